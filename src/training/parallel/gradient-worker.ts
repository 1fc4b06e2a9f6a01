/**
 * A gradient worker (worker_threads): its own TF.js wasm backend and copy of the network. For each
 * step it takes the trainer's current weights and a slice of the batch, and answers the slice's
 * weighted loss, correct count and gradients, its batch norm synchronised with the other threads
 * of the batch (slice-sums.ts). It keeps no state between steps
 * besides the network's shapes, so the trainer's weights and optimiser stay the only truth.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../backend.js';
import { errorMessage } from '../../errors.js';
import type { BuiltModel } from '../architectures/cnn.js';
import { withSynchronisedBatchNorm } from '../architectures/batch-norm.js';
import { batchGradients } from '../gradient-step.js';
import { SharedSliceSums } from './slice-sums.js';
import { installWasmTrainingKernels } from '../gradients/wasm-kernels.js';
import type { WorkerReply, WorkerRequest } from './messages.js';
import { buildFromSpec } from './model-spec.js';

const port = parentPort;
if (!port) throw new Error('gradient-worker.js runs as a worker thread only');
let built: BuiltModel | undefined;
let variables: tf.Variable[] = [];

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function copy(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}

async function handle(request: WorkerRequest): Promise<void> {
  if (request.type === 'init') {
    const backend = await initBackend('wasm');
    installWasmTrainingKernels();
    built = buildFromSpec(request.spec);
    variables = built.model.trainableWeights.map((w) => w.read() as tf.Variable);
    reply({ type: 'ready', backend });
    return;
  }
  const { model, penalties } = built!;
  model.weights.forEach((w, i) => {
    const value = tf.tensor(request.weights[i]!, w.read().shape);
    w.write(value);
    value.dispose();
  });
  const result = tf.tidy(() => {
    const x = tf.tensor4d(request.x, request.xShape);
    const y = tf.tensor2d(request.y, request.yShape);
    const sums = new SharedSliceSums(request.sums, request.participants, request.rank);
    const { value, correct, grads } = withSynchronisedBatchNorm(sums, () => batchGradients(model, variables, penalties, request.output, x, y, request.share));
    return { loss: value.dataSync()[0]!, correct: correct.dataSync()[0]!, grads: grads.map(copy) };
  });
  reply({ type: 'result', id: request.id, ...result }, result.grads.map((a) => a.buffer as ArrayBuffer));
}

port.on('message', (request: WorkerRequest) => {
  handle(request).catch((error: unknown) => reply({ type: 'error', message: errorMessage(error) }));
});
