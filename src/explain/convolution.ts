import * as tf from '@tensorflow/tfjs';
import type { Padding } from '../models/keras/layers.js';
import { conv2dInputGradient, depthwiseInputGradient } from './conv-backward.js';
import { unaryCustomGrad } from './custom-grad.js';

type Pair = [number, number];

/*
 * Convolutions whose backward pass (to the input only: explanations never need weight gradients)
 * is built from forward kernels. The wasm backend has no DepthwiseConv2dNativeBackpropInput at all
 * and its Conv2DBackpropInput is several times slower than its forward Conv2D. Filters are model
 * weights that live as long as the model, so the gradient closures may hold them without `save`.
 */

export function depthwiseConv2dWithGrad(x: tf.Tensor4D, filter: tf.Tensor4D, strides: Pair, padding: Padding): tf.Tensor4D {
  return unaryCustomGrad<tf.Tensor4D>((input) => ({
    value: tf.depthwiseConv2d(input as tf.Tensor4D, filter, strides, padding),
    gradFunc: (dy) => depthwiseInputGradient(dy, filter, input.shape, strides, padding),
  }))(x);
}

export function conv2dWithGrad(x: tf.Tensor4D, filter: tf.Tensor4D, strides: Pair, padding: Padding): tf.Tensor4D {
  return unaryCustomGrad<tf.Tensor4D>((input) => ({
    value: tf.conv2d(input as tf.Tensor4D, filter, strides, padding),
    gradFunc: (dy) => conv2dInputGradient(dy, filter, input.shape, strides, padding),
  }))(x);
}
