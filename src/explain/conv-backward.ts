import * as tf from '@tensorflow/tfjs';
import type { Padding } from '../models/keras/layers.js';
import { axisGeometry } from './geometry.js';

type Pair = [number, number];

/**
 * Spread dy of a strided convolution back onto the grid of the same convolution with stride 1
 * (zeros between and after), so one stride-1 formula covers every stride. Returns dy padded for a
 * 'valid' correlation with the flipped kernel whose output has the input's size.
 */
function spreadAndPad(dy: tf.Tensor4D, inputShape: readonly number[], kernel: Pair, strides: Pair, padding: Padding): tf.Tensor4D {
  const [n, oh, ow, c] = dy.shape;
  const axis = (a: 0 | 1): { before: number; after: number; dense: number } => {
    const size = inputShape[a + 1]!;
    const g = axisGeometry(size, kernel[a], strides[a], padding);
    // Length of the stride-1 convolution's output over the same padded input.
    return { before: g.before, after: g.after, dense: size + g.before + g.after - kernel[a] + 1 };
  };
  const axes = [axis(0), axis(1)] as const;
  let spread = dy;
  if (strides[0] > 1) spread = tf.pad(spread.reshape([n, oh, 1, ow * c]), [[0, 0], [0, 0], [0, strides[0] - 1], [0, 0]]).reshape([n, oh * strides[0], ow, c]);
  if (strides[1] > 1) spread = tf.pad(spread.reshape([n * spread.shape[1], ow, 1, c]), [[0, 0], [0, 0], [0, strides[1] - 1], [0, 0]]).reshape([n, spread.shape[1], ow * strides[1], c]);
  // The spread grid has out*stride cells; the stride-1 output has `dense`: cut or extend with zeros.
  const fit = (length: number, dense: number): [number, number] => [Math.min(length, dense), Math.max(0, dense - length)];
  const [rows, extraRows] = fit(spread.shape[1], axes[0].dense);
  const [cols, extraCols] = fit(spread.shape[2], axes[1].dense);
  if (rows < spread.shape[1] || cols < spread.shape[2]) spread = tf.slice(spread, [0, 0, 0, 0], [n, rows, cols, c]);
  // dx[p] = sum_b dy1[p + b - (k-1-before)] k[k-1-b]: pad k-1-before ahead and k-1-after behind.
  return tf.pad(spread, [
    [0, 0],
    [kernel[0] - 1 - axes[0].before, kernel[0] - 1 - axes[0].after + extraRows],
    [kernel[1] - 1 - axes[1].before, kernel[1] - 1 - axes[1].after + extraCols],
    [0, 0],
  ]);
}

/**
 * d loss / d x of tf.conv2d(x, filter, strides, padding) given dy: a stride-1 'valid' convolution of
 * the spread, padded dy with the kernel flipped in space and with its in/out channels swapped. Uses
 * the forward Conv2D kernel, fast on every backend (wasm's Conv2DBackpropInput is a plain loop, several
 * times slower: GBP on 8 faces took 16 ms per face with it, 9 without).
 */
export function conv2dInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: readonly number[], strides: Pair, padding: Padding): tf.Tensor4D {
  const [kh, kw] = filter.shape;
  const padded = spreadAndPad(dy, inputShape, [kh, kw], strides, padding);
  const backward = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.conv2d(padded, backward, 1, 'valid');
}

/**
 * d loss / d x of tf.depthwiseConv2d(x, filter, strides, padding): a depthwise correlation of the
 * spread, padded dy with the flipped kernel (wasm has no DepthwiseConv2dNativeBackpropInput). A
 * channel multiplier m > 1 sums each input channel's m outputs.
 */
export function depthwiseInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: readonly number[], strides: Pair, padding: Padding): tf.Tensor4D {
  const [kh, kw, channels, multiplier] = filter.shape;
  const [n, h, w] = inputShape as [number, number, number, number];
  const padded = spreadAndPad(dy, inputShape, [kh, kw], strides, padding);
  const flipped = tf.reverse(filter, [0, 1]).reshape([kh, kw, channels * multiplier, 1]) as tf.Tensor4D;
  const dx = tf.depthwiseConv2d(padded, flipped, 1, 'valid');
  if (multiplier === 1) return dx;
  return tf.sum(dx.reshape([n, h, w, channels, multiplier]), 4) as tf.Tensor4D;
}
