import * as tf from '@tensorflow/tfjs';
import type { Padding } from '../../models/keras/layers.js';
import { axisGeometry } from '../../explain/geometry.js';

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

/**
 * d loss / d filter of tf.depthwiseConv2d(x, filter, strides, padding) from forward kernels (the
 * wasm backend has no DepthwiseConv2dNativeBackpropFilter). dW[i,j,c,m] = sum over n,y,x of
 * xp[n, s*y+i, s*x+j, c] * dy[n,y,x,c*M+m]: one depthwise 'valid' correlation of a single image
 * whose channels are (n, c, m), with dy (dilated by the stride) as its filter, summed over n.
 */
export function depthwiseFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: readonly number[], strides: Pair, padding: Padding): tf.Tensor4D {
  const [kh, kw, channels, multiplier] = filterShape as [number, number, number, number];
  const [n, oh, ow] = dy.shape;
  return tf.tidy(() => {
    let xp = padAsForward(x, [kh, kw], strides, padding);
    const [, hp, wp] = xp.shape;
    // Channel c*M+m of the output reads input channel c: repeat each input channel M times.
    if (multiplier > 1) xp = tf.tile(xp.reshape([n, hp, wp, channels, 1]), [1, 1, 1, 1, multiplier]).reshape([n, hp, wp, channels * multiplier]) as tf.Tensor4D;
    const groups = n * channels * multiplier;
    const input = tf.transpose(xp, [1, 2, 0, 3]).reshape([1, hp, wp, groups]) as tf.Tensor4D;
    const filter = tf.transpose(dy, [1, 2, 0, 3]).reshape([oh, ow, groups, 1]) as tf.Tensor4D;
    const correlated = tf.depthwiseConv2d(input, filter, 1, 'valid', 'NHWC', strides); // [1, >=kh, >=kw, groups]
    const cut = correlated.shape[1] === kh && correlated.shape[2] === kw ? correlated : tf.slice(correlated, [0, 0, 0, 0], [1, kh, kw, groups]);
    return tf.sum(cut.reshape([kh, kw, n, channels * multiplier]), 2).reshape([kh, kw, channels, multiplier]) as tf.Tensor4D;
  });
}
