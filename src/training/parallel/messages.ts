import type { ModelSpec } from './model-spec.js';

/** One slice of a batch, as a worker computes its gradients. */
export interface ChunkRequest {
  /** Every model weight (trainable, then batch-norm moving statistics) in model.weights order. */
  weights: Float32Array[];
  output: number;
  /** This slice's share of the batch (n_i / n): its loss and gradient are weighted by it. */
  share: number;
  /** Batch-norm sums shared by the batch's threads (slice-sums.ts): `participants` of them, this one `rank`. */
  sums: SharedArrayBuffer;
  participants: number;
  rank: number;
  x: Float32Array;
  xShape: [number, number, number, number];
  y: Float32Array;
  yShape: [number, number];
}

/** What a worker answers for its slice. */
export interface ChunkResult {
  /** The slice's loss times its share. */
  loss: number;
  correct: number;
  /** One gradient per trainable weight (of the weighted loss), in model.trainableWeights order. */
  grads: Float32Array[];
}

/** Main thread -> gradient worker. */
export type WorkerRequest =
  | { type: 'init'; spec: ModelSpec }
  | ({ type: 'step'; id: number } & ChunkRequest);

/** Gradient worker -> main thread. */
export type WorkerReply =
  | { type: 'ready'; backend: string }
  | ({ type: 'result'; id: number } & ChunkResult)
  | { type: 'error'; message: string };
