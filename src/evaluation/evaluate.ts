import type { Classification, ClassifierHead } from '../models/classifier.js';
import { errorMessage } from '../errors.js';
import type { Sample } from './datasets.js';
import { sampleInput } from './sample-input.js';

export { padReplicate } from './sample-input.js';

export interface ClassStats {
  /** Samples of this class predicted as this class. */
  correct: number;
  /** Samples of this class (support). */
  total: number;
  /** Per-class accuracy, the same as recall. */
  accuracy: number;
  /** Samples predicted as this class. */
  predicted: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface UnreadableFile {
  file: string;
  reason: string;
}

export interface EvaluationReport {
  model: string;
  /** Samples evaluated (the unreadable ones are not counted). */
  samples: number;
  accuracy: number;
  /** Unweighted mean of the per-class F1 scores. */
  macroF1: number;
  labels: string[];
  perClass: Record<string, ClassStats>;
  /** confusion[true label][predicted label] = count */
  confusion: Record<string, Record<string, number>>;
  /** Samples that could not be read or decoded, each named with the reason. */
  unreadable: UnreadableFile[];
}

/** Accuracy, per-class precision / recall / F1 and macro F1 from a confusion matrix. */
export function summarise(model: string, labels: readonly string[], confusion: Record<string, Record<string, number>>, unreadable: UnreadableFile[] = []): EvaluationReport {
  const perClass: Record<string, ClassStats> = {};
  let samples = 0;
  let correct = 0;
  for (const label of labels) {
    const row = confusion[label]!;
    const total = Object.values(row).reduce((a, b) => a + b, 0);
    const predicted = labels.reduce((a, t) => a + confusion[t]![label]!, 0);
    const hits = row[label]!;
    const precision = predicted ? hits / predicted : 0;
    const recall = total ? hits / total : 0;
    perClass[label] = { correct: hits, total, accuracy: recall, predicted, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
    samples += total;
    correct += hits;
  }
  const macroF1 = labels.reduce((a, l) => a + perClass[l]!.f1, 0) / Math.max(1, labels.length);
  return { model, samples, accuracy: samples ? correct / samples : 0, macroF1, labels: [...labels], perClass, confusion, unreadable };
}

/**
 * Run a head over labelled samples in batches; `pad` widens each crop first. A sample that cannot
 * be read is named in `unreadable` and left out; the rest are still scored. `classify` runs the
 * preprocessed faces through the head (default: TF.js, `head.predict`; the command line passes the
 * configured inference engine).
 */
export function evaluateHead(head: ClassifierHead, samples: readonly Sample[], options: { pad?: number; chunk?: number; classify?: (faces: Float32Array[]) => Classification[] } = {}): EvaluationReport {
  const classify = options.classify ?? ((faces: Float32Array[]) => head.predict(faces));
  const confusion: Record<string, Record<string, number>> = {};
  for (const t of head.labels) confusion[t] = Object.fromEntries(head.labels.map((p) => [p, 0]));
  const unreadable: UnreadableFile[] = [];
  const chunk = options.chunk ?? 256;
  const geometry = { height: head.inputHeight, width: head.inputWidth, scaling: head.scaling, pad: options.pad ?? 0 };
  for (let start = 0; start < samples.length; start += chunk) {
    const part: Sample[] = [];
    const inputs: Float32Array[] = [];
    for (const sample of samples.slice(start, start + chunk)) {
      if (!confusion[sample.label]) {
        unreadable.push({ file: sample.file, reason: `label ${sample.label} is not one of the model's (${head.labels.join(', ')})` });
        continue;
      }
      try {
        inputs.push(sampleInput(sample, geometry));
        part.push(sample);
      } catch (error) {
        unreadable.push({ file: sample.file, reason: errorMessage(error) });
      }
    }
    if (inputs.length === 0) continue;
    classify(inputs).forEach((answer, i) => {
      confusion[part[i]!.label]![answer.label]! += 1;
    });
  }
  return summarise(head.manifest.id, head.labels, confusion, unreadable);
}
