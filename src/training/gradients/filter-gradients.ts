import * as tf from '@tensorflow/tfjs';
import type { Padding } from '../../models/keras/layers.js';
import { axisGeometry } from '../../explain/geometry.js';
import { depthwiseFilterGradientSimd } from './simd/kernels.js';

type Pair = [number, number];

/** x padded as the forward pass pads it ('same': TensorFlow's split, the odd cell after). */
function padAsForward(x: tf.Tensor4D, kernel: Pair, strides: Pair, padding: Padding): tf.Tensor4D {
  if (padding === 'valid') return x;
  const rows = axisGeometry(x.shape[1], kernel[0], strides[0], padding);
  const cols = axisGeometry(x.shape[2], kernel[1], strides[1], padding);
  if (rows.before + rows.after + cols.before + cols.after === 0) return x;
  return tf.pad(x, [[0, 0], [rows.before, rows.after], [cols.before, cols.after], [0, 0]]);
}

/**
 * d loss / d filter of tf.conv2d(x, filter, strides, padding) from forward kernels only (the wasm
 * backend has no Conv2DBackpropFilter). dW[i,j,a,b] = sum over n,y,x of xp[n, s*y+i, s*x+j, a] *
 * dy[n,y,x,b]: a forward 'valid' convolution of xp with the input channels as the batch and the
 * batch as channels, using dy as a filter dilated by the stride. A 1x1 filter is a matrix product.
 */
export function conv2dFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: readonly number[], strides: Pair, padding: Padding): tf.Tensor4D {
  const [kh, kw, inChannels, outChannels] = filterShape as [number, number, number, number];
  const [, oh, ow] = dy.shape;
  return tf.tidy(() => {
    const xp = padAsForward(x, [kh, kw], strides, padding);
    if (kh === 1 && kw === 1) {
      // The cells a 1x1 filter reads: every stride-th one, starting at the first.
      // As a 1x1 depthwise convolution with weight 1 (wasm's StridedSlice is a slow generic loop).
      let taken = strides[0] === 1 && strides[1] === 1 ? xp : tf.depthwiseConv2d(xp, tf.ones([1, 1, inChannels, 1]) as tf.Tensor4D, strides, 'valid');
      if (taken.shape[1] !== oh || taken.shape[2] !== ow) taken = tf.slice(taken, [0, 0, 0, 0], [taken.shape[0], oh, ow, inChannels]);
      // An explicit transpose: wasm's BatchMatMul with transposeA is several times slower.
      const product = tf.matMul(tf.transpose(taken.reshape([-1, inChannels])) as tf.Tensor2D, dy.reshape([-1, outChannels]) as tf.Tensor2D);
      return product.reshape([1, 1, inChannels, outChannels]) as tf.Tensor4D;
    }
    const input = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // [a, Hp, Wp, n]
    const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [oh, ow, n, b]
    const correlated = tf.conv2d(input, filter, 1, 'valid', 'NHWC', strides); // [a, >=kh, >=kw, b]
    const cut = correlated.shape[1] === kh && correlated.shape[2] === kw ? correlated : tf.slice(correlated, [0, 0, 0, 0], [inChannels, kh, kw, outChannels]);
    return tf.transpose(cut, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/** x with each channel repeated m times (channel c*m + k is channel c). */
function repeatChannels(x: Float32Array, channels: number, m: number): Float32Array {
  if (m === 1) return x;
  const out = new Float32Array(x.length * m);
  for (let cell = 0, o = 0; cell < x.length; cell += channels) {
    for (let c = 0; c < channels; c++) for (let k = 0; k < m; k++) out[o++] = x[cell + c]!;
  }
  return out;
}

/**
 * d loss / d filter of tf.depthwiseConv2d(x, filter, strides, padding) (the wasm backend has no
 * DepthwiseConv2dNativeBackpropFilter), into dW ([kh, kw, C, M]). dW[i,j,c,m] = sum over n,y,x of
 * xp[n, s*y+i, s*x+j, c] * dy[n,y,x,c*M+m], four channels at a time in WebAssembly SIMD
 * (simd/kernels.wat): as a depthwise convolution with dy as its filter, the wasm backend's own
 * kernel ran at a third of the speed.
 */
export function depthwiseFilterGradient(x: Float32Array, xShape: readonly number[], dy: Float32Array, dyShape: readonly number[], dW: Float32Array, filterShape: readonly number[], strides: Pair, padding: Padding): void {
  const [kh, kw, channels, multiplier] = filterShape as [number, number, number, number];
  const [n, h, w] = xShape as [number, number, number, number];
  const [, oh, ow] = dyShape as [number, number, number, number];
  const rows = axisGeometry(h, kh, strides[0], padding);
  const cols = axisGeometry(w, kw, strides[1], padding);
  depthwiseFilterGradientSimd(repeatChannels(x, channels, multiplier), dy, dW, {
    n, h, w, c: channels * multiplier, oh, ow, kh, kw, sy: strides[0], sx: strides[1], top: rows.before, left: cols.before,
  });
}
