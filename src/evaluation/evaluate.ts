import type { ClassifierHead } from '../models/classifier.js';
import type { Mat } from '../vision/opencv.js';
import { cv } from '../vision/opencv.js';
import { readGray } from '../vision/image.js';
import { faceInput } from '../vision/preprocess.js';
import type { Sample } from './datasets.js';

export interface ClassStats {
  correct: number;
  total: number;
  accuracy: number;
}

export interface EvaluationReport {
  model: string;
  samples: number;
  accuracy: number;
  perClass: Record<string, ClassStats>;
  /** confusion[true label][predicted label] = count */
  confusion: Record<string, Record<string, number>>;
}

/** Pad a crop on each side by `fraction` of its size, repeating the edge pixels (wider framing, as the paper's crops). */
export function padReplicate(gray: Mat, fraction: number): Mat {
  if (fraction <= 0) return gray;
  const dx = Math.round(gray.cols * fraction);
  const dy = Math.round(gray.rows * fraction);
  return gray.copyMakeBorder(dy, dy, dx, dx, cv.BORDER_REPLICATE);
}

/** Run a head over labelled samples in batches; `pad` widens each crop first. */
export function evaluateHead(head: ClassifierHead, samples: readonly Sample[], options: { pad?: number; chunk?: number } = {}): EvaluationReport {
  const confusion: Record<string, Record<string, number>> = {};
  for (const t of head.labels) confusion[t] = Object.fromEntries(head.labels.map((p) => [p, 0]));
  const chunk = options.chunk ?? 256;
  let correct = 0;
  for (let start = 0; start < samples.length; start += chunk) {
    const part = samples.slice(start, start + chunk);
    const inputs = part.map((s) => faceInput(padReplicate(readGray(s.file), options.pad ?? 0), head.inputHeight, head.inputWidth, head.scaling));
    head.predict(inputs).forEach((answer, i) => {
      const truth = part[i]!.label;
      confusion[truth]![answer.label]! += 1;
      if (answer.label === truth) correct++;
    });
  }
  const perClass: Record<string, ClassStats> = {};
  for (const label of head.labels) {
    const row = confusion[label]!;
    const total = Object.values(row).reduce((a, b) => a + b, 0);
    perClass[label] = { correct: row[label]!, total, accuracy: total ? row[label]! / total : 0 };
  }
  return { model: head.manifest.id, samples: samples.length, accuracy: samples.length ? correct / samples.length : 0, perClass, confusion };
}
