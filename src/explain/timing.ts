import * as tf from '@tensorflow/tfjs';
import type { ClassifierHead } from '../models/classifier.js';
import { explainFaces, type ExplainOptions } from './explainer.js';
import { ExplanationError } from './types.js';

export interface ExplainTiming {
  backend: string;
  method: string;
  faces: number;
  /** Median wall time of one explainFaces call (after warm-up). */
  batchMs: number;
  perFaceMs: number;
  runs: number;
}

/**
 * Warm timings of explainFaces for batches of the given sizes, built by cycling through `faces`.
 * The median of `runs` calls resists other load on the machine better than the mean.
 */
export function timeExplanations(head: ClassifierHead, faces: readonly Float32Array[], sizes: readonly number[] = [1, 8], options: ExplainOptions & { runs?: number; warmup?: number } = {}): ExplainTiming[] {
  if (faces.length === 0) throw new ExplanationError('timing needs at least one face');
  const runs = options.runs ?? 10;
  return sizes.map((size) => {
    const batch = Array.from({ length: size }, (_, i) => faces[i % faces.length]!);
    for (let i = 0; i < (options.warmup ?? 2); i++) explainFaces(head, batch, options);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      explainFaces(head, batch, options);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const batchMs = times[Math.floor(times.length / 2)]!;
    return { backend: tf.getBackend(), method: options.method ?? 'gbp', faces: size, batchMs, perFaceMs: batchMs / size, runs };
  });
}
