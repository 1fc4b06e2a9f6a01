import * as tf from '@tensorflow/tfjs';
import type { Padding } from '../models/keras/layers.js';
import { unaryCustomGrad } from './custom-grad.js';
import { axisGeometry } from './geometry.js';

type Pair = [number, number];

export interface PoolRouting {
  /** The pooled values, NHWC. */
  values: Float32Array;
  /** For every output cell, the flat NHWC index of the input cell its value came from. */
  route: Int32Array;
  shape: [number, number, number, number];
}

/**
 * Max-pool in JS, remembering where each maximum came from: the FIRST maximum of the window in
 * row-major order, with 'same' padding cells treated as -inf. This is the rule of the float64
 * reference and of TF.js's cpu backend; computing it here means the backward pass cannot depend on
 * a backend's MaxPoolGrad (wasm's is wrong for windows whose values are all negative).
 */
export function maxPoolRouting(x: Float32Array, shape: readonly number[], pool: Pair, strides: Pair, padding: Padding): PoolRouting {
  const [n, h, w, c] = shape as [number, number, number, number];
  const rows = axisGeometry(h, pool[0], strides[0], padding);
  const cols = axisGeometry(w, pool[1], strides[1], padding);
  const size = n * rows.out * cols.out * c;
  const values = new Float32Array(size);
  const route = new Int32Array(size);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < rows.out; oy++) {
      const y0 = Math.max(0, oy * strides[0] - rows.before);
      const y1 = Math.min(h, oy * strides[0] - rows.before + pool[0]);
      for (let ox = 0; ox < cols.out; ox++) {
        const x0 = Math.max(0, ox * strides[1] - cols.before);
        const x1 = Math.min(w, ox * strides[1] - cols.before + pool[1]);
        for (let ch = 0; ch < c; ch++, o++) {
          let best = ((b * h + y0) * w + x0) * c + ch;
          let bestValue = x[best]!;
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = iy === y0 ? x0 + 1 : x0; ix < x1; ix++) {
              const at = ((b * h + iy) * w + ix) * c + ch;
              // Strictly greater: a tie keeps the earlier cell.
              if (x[at]! > bestValue) {
                bestValue = x[at]!;
                best = at;
              }
            }
          }
          values[o] = bestValue;
          route[o] = best;
        }
      }
    }
  }
  return { values, route, shape: [n, rows.out, cols.out, c] };
}

/** Max-pool whose gradient goes to each window's first maximum (see maxPoolRouting). */
export function routedMaxPool(x: tf.Tensor4D, pool: Pair, strides: Pair, padding: Padding): tf.Tensor4D {
  const op = unaryCustomGrad<tf.Tensor4D>((input) => {
    const { values, route, shape } = maxPoolRouting(input.dataSync() as Float32Array, input.shape, pool, strides, padding);
    const inputShape = input.shape as [number, number, number, number];
    const inputSize = input.size;
    return {
      value: tf.tensor4d(values, shape),
      // `route` is plain JS data, so nothing needs saving on the tape.
      gradFunc: (dy) => {
        const g = dy.dataSync();
        const dx = new Float32Array(inputSize);
        for (let i = 0; i < route.length; i++) dx[route[i]!] += g[i]!;
        return tf.tensor4d(dx, inputShape);
      },
    };
  });
  return op(x);
}
