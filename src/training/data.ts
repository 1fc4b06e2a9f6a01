import { errorMessage } from '../errors.js';
import type { Sample } from '../evaluation/datasets.js';
import { sampleInput, type InputGeometry } from '../evaluation/sample-input.js';
import { Random } from './random.js';

/** Preprocessed images in one buffer (count * height * width floats) with class indices. */
export interface LabelledImages {
  inputs: Float32Array;
  labels: Int32Array;
  count: number;
  height: number;
  width: number;
  classes: string[];
}

export interface UnreadableSample {
  file: string;
  reason: string;
}

/**
 * Decode and preprocess every sample once (as inference does: OpenCV gray, bilinear resize,
 * scaling). Samples that cannot be read are skipped and returned, so one bad file costs one image.
 */
export function loadImages(samples: readonly Sample[], classes: readonly string[], geometry: InputGeometry, onProgress?: (done: number) => void): { images: LabelledImages; unreadable: UnreadableSample[] } {
  const size = geometry.height * geometry.width;
  const inputs = new Float32Array(samples.length * size);
  const labels = new Int32Array(samples.length);
  const unreadable: UnreadableSample[] = [];
  let count = 0;
  samples.forEach((sample, i) => {
    const label = classes.indexOf(sample.label);
    if (label < 0) {
      unreadable.push({ file: sample.file, reason: `label ${sample.label} is not one of ${classes.join(', ')}` });
      return;
    }
    try {
      inputs.set(sampleInput(sample, geometry), count * size);
      labels[count++] = label;
    } catch (error) {
      unreadable.push({ file: sample.file, reason: errorMessage(error) });
    }
    if (onProgress && (i + 1) % 500 === 0) onProgress(i + 1);
  });
  return {
    images: { inputs: inputs.subarray(0, count * size), labels: labels.subarray(0, count), count, height: geometry.height, width: geometry.width, classes: [...classes] },
    unreadable,
  };
}

/** A seeded split: `fraction` of the samples, chosen at random, for validation. */
export function seededSplit<T>(samples: readonly T[], fraction: number, seed: number): { train: T[]; validation: T[] } {
  const order = new Random(seed, 0x5eed).permutation(samples.length);
  const cut = Math.round(samples.length * (1 - fraction));
  return { train: Array.from(order.subarray(0, cut), (i) => samples[i]!), validation: Array.from(order.subarray(cut), (i) => samples[i]!) };
}

/** Class counts, in class order. */
export function classCounts(images: LabelledImages): number[] {
  const counts = new Array<number>(images.classes.length).fill(0);
  for (const label of images.labels) counts[label]! += 1;
  return counts;
}
