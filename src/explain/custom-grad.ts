import * as tf from '@tensorflow/tfjs';

export interface UnaryGradient<T extends tf.Tensor> {
  value: T;
  /** Gradient with respect to the op's one input, given the output's gradient and the saved tensors. */
  gradFunc: (dy: T, saved: tf.Tensor[]) => tf.Tensor;
}

/**
 * tf.customGrad for a one-input op, typed: tf.customGrad's callback receives its inputs and the save
 * function as one untyped rest list. Intermediates needed by the backward pass must go through
 * `save` (the tape disposes the rest after the forward pass); JS data and model weights may be closed over.
 */
export function unaryCustomGrad<T extends tf.Tensor>(f: (x: tf.Tensor, save: tf.GradSaveFunc) => UnaryGradient<T>): (x: tf.Tensor) => T {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => f(args[0] as tf.Tensor, args[1] as tf.GradSaveFunc));
  return (x) => op(x) as T;
}
