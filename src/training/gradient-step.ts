import * as tf from '@tensorflow/tfjs';
import type { L2Penalty } from './architectures/builder.js';

/** The model's l2 penalties: sum of coefficient * sum(kernel^2) over the regularised layers. */
export function l2Penalty(model: tf.LayersModel, penalties: readonly L2Penalty[]): tf.Scalar {
  let total: tf.Scalar = tf.scalar(0);
  for (const p of penalties) {
    const kernel = model.getLayer(p.layer).trainableWeights[0]!.read();
    total = tf.add(total, tf.mul(tf.scalar(p.coefficient), tf.sum(tf.square(kernel))));
  }
  return total;
}

export interface BatchGradients {
  /** Mean categorical cross-entropy of the batch plus the penalties, times the weight. */
  value: tf.Scalar;
  /** How many of the batch's images the model got right. */
  correct: tf.Scalar;
  /** One gradient per variable, in the variables' order (zeros where a variable does not take part). */
  grads: tf.Tensor[];
}

/**
 * The loss of one batch on model output `output` (training mode: batch-norm batch statistics, the
 * moving averages updated) and its gradient with respect to `variables`. Call inside tf.tidy.
 * `weight` scales both: a slice of a batch weighs its share of the batch, so that the slices'
 * gradients add up to the batch's.
 */
export function batchGradients(model: tf.LayersModel, variables: readonly tf.Variable[], penalties: readonly L2Penalty[], output: number, x: tf.Tensor4D, y: tf.Tensor2D, weight = 1): BatchGradients {
  let correct: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const outputs = model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
    const p = (Array.isArray(outputs) ? outputs[output]! : outputs) as tf.Tensor2D;
    correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(p, 1), tf.argMax(y, 1)), 'float32'))) as tf.Scalar;
    const loss = tf.add(tf.mean(tf.metrics.categoricalCrossentropy(y, p)), l2Penalty(model, penalties)) as tf.Scalar;
    return weight === 1 ? loss : tf.mul(loss, weight) as tf.Scalar;
  }, [...variables]);
  // Every variable in the same order on every step: Adam keys its moments by position.
  return { value: value as tf.Scalar, correct: correct!, grads: variables.map((v) => grads[v.name] ?? tf.zerosLike(v)) };
}
