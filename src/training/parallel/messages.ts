import type { ModelSpec } from './model-spec.js';

/** Main thread -> gradient worker. */
export type WorkerRequest =
  | { type: 'init'; spec: ModelSpec }
  | {
    type: 'step';
    id: number;
    /** Every model weight (trainable, then batch-norm moving statistics) in model.weights order. */
    weights: Float32Array[];
    output: number;
    x: Float32Array;
    xShape: [number, number, number, number];
    y: Float32Array;
    yShape: [number, number];
  };

/** Gradient worker -> main thread. */
export type WorkerReply =
  | { type: 'ready'; backend: string }
  | {
    type: 'result';
    id: number;
    loss: number;
    correct: number;
    /** One gradient per trainable weight, in model.trainableWeights order. */
    grads: Float32Array[];
    /** model.nonTrainableWeights after the step (the moving averages this chunk updated). */
    state: Float32Array[];
  }
  | { type: 'error'; message: string };
