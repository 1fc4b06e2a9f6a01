import * as tf from '@tensorflow/tfjs';

/** The fields of tf.layers' BatchNormalization this subclass uses (TF.js keeps them protected). */
interface BatchNormFields {
  gamma?: tf.LayerVariable;
  beta?: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
  epsilon: number;
  momentum: number;
}

type LayerArgs = Parameters<typeof tf.layers.batchNormalization>[0];
type CallArgs = Parameters<tf.layers.Layer['call']>;

/**
 * Sum over every axis but the last. Of an image batch with 16 channels or more, as a global
 * average pool times the cell count (one vectorised pass on wasm, about 5x faster than tf.sum over
 * the leading axes, which transposes first); else tf.sum of the [cells, channels] matrix. Not a
 * product with a ones row: wasm's BatchMatMul repacks its fresh right operand on every call.
 */
export function channelSum(t: tf.Tensor): tf.Tensor1D {
  const channels = t.shape[t.rank - 1]!;
  if (t.rank === 4 && channels >= 16) {
    const [n, h, w] = t.shape as [number, number, number, number];
    return tf.mul(tf.sum(tf.avgPool(t as tf.Tensor4D, [h, w], 1, 'valid').reshape([n, channels]), 0), h * w) as tf.Tensor1D;
  }
  return tf.sum(t.reshape([t.size / channels, channels]), 0) as tf.Tensor1D;
}

/**
 * Adds a vector across the threads that compute one batch in slices (`train --workers`), the same
 * sum in every thread. While one is set, batch norm normalises each slice with the whole batch's
 * statistics and back-propagates through them (synchronised batch norm), so a step in slices is the
 * step on the whole batch.
 */
export interface SliceSums {
  add(local: Float32Array): Float32Array;
}

let acrossSlices: SliceSums | undefined;

/** Run fn (a forward and backward pass) with batch norm synchronised across slices by `sums`. */
export function withSynchronisedBatchNorm<T>(sums: SliceSums, fn: () => T): T {
  acrossSlices = sums;
  try {
    return fn();
  } finally {
    acrossSlices = undefined;
  }
}

/** Per-channel sums (and a count) of this slice, summed across slices when synchronised. */
function batchSums(parts: readonly tf.Tensor1D[], count: number): { parts: tf.Tensor1D[]; count: number } {
  const sums = acrossSlices;
  if (!sums) return { parts: [...parts], count };
  const channels = parts[0]!.size;
  const local = new Float32Array(parts.length * channels + 1);
  parts.forEach((p, i) => local.set(p.dataSync() as Float32Array, i * channels));
  local[parts.length * channels] = count;
  const total = sums.add(local);
  return { parts: parts.map((_, i) => tf.tensor1d(total.subarray(i * channels, (i + 1) * channels))), count: total[parts.length * channels]! };
}

/**
 * y = gamma * (x - mean) * rsqrt(var + eps) + beta with the batch's own mean and (biased) variance,
 * and its closed-form gradient. With c = x - mean, r = rsqrt(var + eps) and per-channel sums over
 * the N = n*h*w cells: dx = gamma r dy - gamma r^3 sum(dy c) c / N - gamma r sum(dy) / N,
 * dgamma = r sum(dy c), dbeta = sum(dy). TF.js differentiates the same function through moments
 * and FusedBatchNorm op by op; this needs fewer passes over the tensor (the wasm backend's
 * element-wise kernels are memory-bound, so passes are what costs). Synchronised across slices,
 * the statistics and dx's sums are the whole batch's, dgamma and dbeta this slice's share.
 */
export function trainingBatchNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const channels = x.shape[x.rank - 1]!;
  // Statistics outside the custom op: the tape keeps them only as dead ends, the op's gradient
  // (with respect to x, gamma and beta) accounts for how they depend on x.
  const first = batchSums([channelSum(x)], x.size / channels);
  const count = first.count;
  const mean = tf.div(first.parts[0]!, count) as tf.Tensor1D;
  const centred = tf.sub(x, mean);
  const variance = tf.div(batchSums([channelSum(tf.square(centred))], count).parts[0]!, count) as tf.Tensor1D;
  const rstd = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [, g, b] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    // Saved (the tape frees everything else before the backward pass).
    save([g, centred, rstd]);
    return {
      value: tf.add(tf.mul(centred, tf.mul(rstd, g)), b),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const d = dy as tf.Tensor;
        const [g0, c, r] = saved as [tf.Tensor1D, tf.Tensor, tf.Tensor1D];
        const gr = tf.mul(g0, r);
        const sumDy = channelSum(d);
        const sumDyC = channelSum(tf.mul(d, c));
        const [batchSumDy, batchSumDyC] = batchSums([sumDy, sumDyC], 0).parts as [tf.Tensor1D, tf.Tensor1D];
        const onC = tf.neg(tf.div(tf.mul(tf.mul(gr, tf.square(r)), batchSumDyC), count));
        const constant = tf.neg(tf.div(tf.mul(gr, batchSumDy), count));
        const dx = tf.add(tf.add(tf.mul(d, gr), tf.mul(c, onC)), constant);
        return [dx, tf.mul(r, sumDyC), sumDy];
      },
    };
  });
  return { y: op(x, gamma, beta), mean, variance };
}

const BaseBatchNormalization = tf.layers.batchNormalization({}).constructor as new (args: LayerArgs) => tf.layers.Layer;

/**
 * tf.layers' BatchNormalization (same class name, weights and config, so saved files are the same)
 * whose training-mode pass is trainingBatchNorm; inference and the moving-average updates (Keras
 * 2.0's: biased batch variance, momentum 0.99) are unchanged.
 */
export class FastBatchNormalization extends BaseBatchNormalization {
  override call(inputs: CallArgs[0], kwargs: CallArgs[1]): tf.Tensor | tf.Tensor[] {
    if (!kwargs['training']) return super.call(inputs, kwargs);
    const fields = this as unknown as BatchNormFields;
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const channels = x.shape[x.rank - 1]!;
      const gamma = (fields.gamma?.read() ?? tf.ones([channels])) as tf.Tensor1D;
      const beta = (fields.beta?.read() ?? tf.zeros([channels])) as tf.Tensor1D;
      const { y, mean, variance } = trainingBatchNorm(x, gamma, beta, fields.epsilon);
      for (const [variable, value] of [[fields.movingMean, mean], [fields.movingVariance, variance]] as const) {
        tf.tidy(() => {
          const old = variable.read();
          variable.write(tf.sub(old, tf.mul(tf.sub(old, value), 1 - fields.momentum)));
        });
      }
      return y;
    });
  }
}
