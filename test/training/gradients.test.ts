import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { Random } from '../../src/training/random.js';
import { installWasmTrainingKernels } from '../../src/training/gradients/wasm-kernels.js';

/*
 * Every gradient the training code provides for the wasm backend, against TF.js's cpu backend
 * (whose kernels are plain loops over the definitions). Each case differentiates a random linear
 * function of the op's output, so every output cell gets its own weight.
 */

type Pair = [number, number];

function values(n: number, seed: number, negative = false): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n }, () => (negative ? -rng.uniform(0.1, 2) : rng.uniform(-1, 1)));
}

/** d/d(inputs) of sum(op(inputs) * weights) on the current backend, as flat arrays. */
function gradients(op: (...xs: tf.Tensor[]) => tf.Tensor, shapes: number[][], data: Float32Array[], weightSeed: number): Float32Array[] {
  return tf.tidy(() => {
    const inputs = shapes.map((s, i) => tf.tensor(data[i]!, s));
    const outShape = op(...inputs).shape;
    const weights = tf.tensor(values(outShape.reduce((a, b) => a * b, 1), weightSeed), outShape);
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(op(...xs), weights)))(inputs);
    return grads.map((g) => g.dataSync() as Float32Array);
  });
}

/** sum(op(inputs) * weights) on the current backend. */
function objective(op: (...xs: tf.Tensor[]) => tf.Tensor, shapes: number[][], data: Float32Array[], weightSeed: number): number {
  return tf.tidy(() => {
    const out = op(...shapes.map((s, i) => tf.tensor(data[i]!, s)));
    return tf.sum(tf.mul(out, tf.tensor(values(out.size, weightSeed), out.shape))).dataSync()[0]!;
  });
}

function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  return diff / Math.max(scale, 1e-12);
}

interface Case {
  name: string;
  shapes: number[][];
  op: (...xs: tf.Tensor[]) => tf.Tensor;
  negative?: boolean;
  /** Round the first input to steps of 0.5, so windows hold equal maxima (the first one wins). */
  ties?: boolean;
}

const conv = (strides: Pair, padding: 'same' | 'valid') => (x: tf.Tensor, f: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, strides, padding);
const depthwise = (strides: Pair, padding: 'same' | 'valid') => (x: tf.Tensor, f: tf.Tensor) => tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, strides, padding);

const CASES: Case[] = [
  { name: 'conv2d 3x3 valid (stem)', shapes: [[2, 9, 9, 3], [3, 3, 3, 4]], op: conv([1, 1], 'valid') },
  { name: 'conv2d 3x3 same', shapes: [[2, 8, 7, 3], [3, 3, 3, 5]], op: conv([1, 1], 'same') },
  { name: 'conv2d 1x1 (pointwise)', shapes: [[2, 6, 6, 4], [1, 1, 4, 6]], op: conv([1, 1], 'same') },
  { name: 'conv2d 1x1 stride 2 same (residual), odd size', shapes: [[2, 7, 9, 4], [1, 1, 4, 6]], op: conv([2, 2], 'same') },
  { name: 'conv2d 3x3 stride 2 valid (big-Xception stem)', shapes: [[2, 10, 11, 2], [3, 3, 2, 3]], op: conv([2, 2], 'valid') },
  { name: 'conv2d 3x3 stride 2 same', shapes: [[1, 9, 8, 2], [3, 3, 2, 3]], op: conv([2, 2], 'same') },
  { name: 'depthwise 3x3 same (separable)', shapes: [[2, 8, 8, 5], [3, 3, 5, 1]], op: depthwise([1, 1], 'same') },
  { name: 'depthwise 3x3 valid, multiplier 2', shapes: [[2, 7, 6, 3], [3, 3, 3, 2]], op: depthwise([1, 1], 'valid') },
  { name: 'depthwise 3x3 stride 2 same', shapes: [[1, 9, 9, 4], [3, 3, 4, 1]], op: depthwise([2, 2], 'same') },
  { name: 'max-pool 3x3 stride 2 same', shapes: [[2, 9, 8, 3]], op: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same') },
  { name: 'max-pool 3x3 stride 2 same, all values negative', shapes: [[2, 8, 8, 3]], op: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'), negative: true },
  { name: 'max-pool 2x2 valid', shapes: [[1, 6, 6, 2]], op: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), negative: true },
  // Channels in fours go through the SIMD lanes, the rest through the scalar tail.
  { name: 'max-pool 3x3 stride 2 same, 8 channels, all values negative', shapes: [[2, 7, 8, 8]], op: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'), negative: true },
  { name: 'max-pool 3x3 stride 2 same, 6 channels', shapes: [[2, 9, 9, 6]], op: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same') },
  { name: 'max-pool 3x3 stride 2 same, 8 channels, tied maxima', shapes: [[2, 9, 8, 8]], op: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'), ties: true },
  { name: 'depthwise 3x3 same, 8 channels', shapes: [[2, 7, 9, 8], [3, 3, 8, 1]], op: depthwise([1, 1], 'same') },
  {
    name: 'batch norm with batch statistics (stock gradient, through wasm\'s kernels)',
    shapes: [[4, 5, 5, 3], [3], [3]],
    op: (x, gamma, beta) => {
      const { mean, variance } = tf.moments(x!, [0, 1, 2]);
      return tf.batchNorm(x!, mean, variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-3);
    },
  },
];

function caseData(c: Case, seed: number): Float32Array[] {
  return c.shapes.map((s, i) => {
    const data = values(s.reduce((a, b) => a * b, 1), seed * 10 + i, c.negative && i === 0);
    return c.ties && i === 0 ? data.map((v) => Math.round(v * 2) / 2) : data;
  });
}

test('the stock wasm MaxPoolGrad misroutes all-negative windows (why it is replaced)', async () => {
  await initBackend('wasm');
  const c = CASES.find((k) => k.name.includes('all values negative'))!;
  const data = caseData(c, 7);
  await tf.setBackend('cpu');
  const [cpu] = gradients(c.op, c.shapes, data, 99);
  await tf.setBackend('wasm');
  const [stock] = gradients(c.op, c.shapes, data, 99);
  const error = relativeError(cpu!, stock!);
  console.log(`# stock wasm MaxPoolGrad vs cpu on negative input: relative error ${error.toExponential(2)}`);
  assert.ok(error > 0.1, 'the stock kernel now agrees with cpu: the override may be dropped');
});

test('provided wasm gradients agree with the cpu backend and with finite differences', async () => {
  await initBackend('wasm');
  installWasmTrainingKernels();
  for (const [k, c] of CASES.entries()) {
    const data = caseData(c, k + 1);
    await tf.setBackend('cpu');
    const cpu = gradients(c.op, c.shapes, data, 1000 + k);
    await tf.setBackend('wasm');
    const wasm = gradients(c.op, c.shapes, data, 1000 + k);
    cpu.forEach((g, i) => {
      const error = relativeError(g, wasm[i]!);
      assert.ok(error < 1e-5, `${c.name}, input ${i}: relative error ${error}`);
      // Central differences at a few cells: the convolutions are linear, max-pool piecewise
      // linear (the step stays far below the gaps between window values) and batch norm smooth.
      // At a tie the max-pool has no derivative: only the cpu backend's rule is checked.
      const h = c.name.startsWith('max-pool') ? 1e-4 : 1e-2;
      for (const at of c.ties ? [] : [0, Math.floor(g.length / 3), g.length - 1]) {
        const shifted = (delta: number): number => objective(c.op, c.shapes, data.map((d, j) => (j === i ? Float32Array.from(d, (v, p) => (p === at ? v + delta : v)) : d)), 1000 + k);
        const numeric = (shifted(h) - shifted(-h)) / (2 * h);
        assert.ok(Math.abs(numeric - wasm[i]![at]!) < 5e-3 + 5e-3 * Math.abs(numeric), `${c.name}, input ${i}, cell ${at}: finite difference ${numeric}, gradient ${wasm[i]![at]}`);
      }
    });
  }
});

test('a whole mini-Xception training step: wasm gradients agree with the cpu backend', async () => {
  const { buildArchitecture } = await import('../../src/training/architectures/cnn.js');
  await initBackend('wasm');
  installWasmTrainingKernels();
  await tf.setBackend('cpu');
  const { model } = buildArchitecture('mini-xception', { inputShape: [32, 32, 1], classes: 7, seed: 5 });
  const x = values(4 * 32 * 32, 3);
  const labels = [0, 3, 6, 2];
  const loss = (): tf.Scalar => {
    const input = tf.tensor4d(x, [4, 32, 32, 1]);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 7);
    return tf.mean(tf.metrics.categoricalCrossentropy(y, model.apply(input, { training: true }) as tf.Tensor)) as tf.Scalar;
  };
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const run = (): { value: number; grads: Map<string, Float32Array> } => {
    const grads = new Map<string, Float32Array>();
    const value = tf.tidy(() => {
      const result = tf.variableGrads(loss, vars);
      for (const [k, g] of Object.entries(result.grads)) grads.set(k, g.dataSync() as Float32Array);
      return result.value.dataSync()[0]!;
    });
    return { value, grads };
  };
  // Training-mode batch norm updates the moving statistics, which do not enter the loss.
  const cpu = run();
  await tf.setBackend('wasm');
  const wasm = run();
  assert.ok(Math.abs(cpu.value - wasm.value) < 1e-5, `loss ${cpu.value} vs ${wasm.value}`);
  for (const [name, g] of cpu.grads) assert.ok(relativeError(g, wasm.grads.get(name)!) < 2e-3, `${name}: ${relativeError(g, wasm.grads.get(name)!)}`);
  model.dispose();
});

test('the training layers\' batch norm equals tf.layers\' own: output, gradients and moving statistics', async () => {
  const { FastBatchNormalization } = await import('../../src/training/architectures/batch-norm.js');
  await initBackend('wasm');
  installWasmTrainingKernels();
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    const shape = [4, 6, 5, 3];
    const x = tf.tensor(values(4 * 6 * 5 * 3, 21), shape);
    const weights = () => [tf.tensor1d(values(3, 22)), tf.tensor1d(values(3, 23)), tf.zeros([3]), tf.ones([3])];
    const results = [tf.layers.batchNormalization({ momentum: 0.9 }), new FastBatchNormalization({ momentum: 0.9 })].map((layer) => {
      layer.build(shape);
      layer.setWeights(weights());
      const dy = tf.tensor(values(x.size, 24), shape);
      const objective = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, dy));
      const dx = tf.grad(objective)(x).dataSync() as Float32Array;
      const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const { grads: byName } = tf.variableGrads(() => objective(x), variables);
      const grads = [dx, ...variables.map((v) => byName[v.name]!.dataSync() as Float32Array)];
      assert.ok(grads.every((g) => g.some((v) => v !== 0)), 'every gradient is non-zero');
      const out = (layer.apply(x, { training: true }) as tf.Tensor).dataSync() as Float32Array;
      return { grads, out, moving: layer.getWeights().slice(2).map((w) => w.dataSync() as Float32Array) };
    });
    const [stock, fast] = results as [(typeof results)[0], (typeof results)[0]];
    assert.ok(relativeError(stock.out, fast.out) < 1e-5, `${backend}: output`);
    stock.grads.forEach((g, i) => assert.ok(relativeError(g, fast.grads[i]!) < 1e-4, `${backend}: gradient ${i} ${relativeError(g, fast.grads[i]!)}`));
    stock.moving.forEach((m, i) => assert.ok(relativeError(m, fast.moving[i]!) < 1e-5, `${backend}: moving statistic ${i}`));
  }
});
