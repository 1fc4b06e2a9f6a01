import type { Padding } from '../../models/keras/layers.js';
import { axisGeometry } from '../../explain/geometry.js';
import { maxPoolInputGradientSimd } from './simd/kernels.js';

type Pair = [number, number];

/**
 * d loss / d x of a max-pool: each output cell's gradient goes to the FIRST maximum of its window
 * in row-major order, 'same' padding cells counting as -inf (TF.js's cpu backend's rule, and the
 * explanations' maxPoolRouting), in one SIMD pass over the windows (simd/kernels.wat). dx has x's shape.
 */
export function maxPoolInputGradient(x: Float32Array, dy: Float32Array, dx: Float32Array, shape: readonly number[], pool: Pair, strides: Pair, padding: Padding): void {
  const [n, h, w, c] = shape as [number, number, number, number];
  const rows = axisGeometry(h, pool[0], strides[0], padding);
  const cols = axisGeometry(w, pool[1], strides[1], padding);
  maxPoolInputGradientSimd(x, dy, dx, { n, h, w, c, oh: rows.out, ow: cols.out, kh: pool[0], kw: pool[1], sy: strides[0], sx: strides[1], top: rows.before, left: cols.before });
}
