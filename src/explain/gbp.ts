import * as tf from '@tensorflow/tfjs';
import type { ForwardResult, Network } from '../models/network.js';
import { explanationOps } from './guided.js';
import { selectTargets, type SelectedTargets, type TargetChooser } from './target.js';
import { ExplanationError, type GradientRule } from './types.js';

export interface FaceMaps {
  /** One height*width map per face. */
  maps: Float32Array[];
  targets: number[];
  scores: number[];
  probabilities: number[];
}

/** Split a [n, h, w, c] buffer into n maps of h*w, summing channels (the face heads have one). */
export function splitMaps(values: Float32Array, shape: readonly number[]): Float32Array[] {
  const [n, h, w, c] = shape as [number, number, number, number];
  const size = h * w;
  return Array.from({ length: n }, (_, i) => {
    if (c === 1) return values.slice(i * size, (i + 1) * size);
    const map = new Float32Array(size);
    for (let p = 0; p < size; p++) for (let ch = 0; ch < c; ch++) map[p]! += values[(i * size + p) * c + ch]!;
    return map;
  });
}

/**
 * The logits of a network's only output. An explanation is of one head's score: a dual model's head
 * explains through its own one-output view (Network.select), so the gradient is of that head alone.
 */
export function headLogits(network: Network, result: ForwardResult): tf.Tensor2D {
  if (result.outputs.length !== 1) throw new ExplanationError(`explanations need a network of one output; this one has ${network.outputNames.join(', ')}: explain one head (Network.select)`);
  return result.outputs[0]!.logits;
}

/**
 * Gradient of each face's target pre-softmax score with respect to its (scaled) input, with the
 * ReLU rule `rule`: guided backpropagation, or the true gradient with 'plain'. One forward and one
 * backward pass for the whole batch; targets are chosen from the same forward pass's logits.
 */
export function inputGradients(network: Network, batch: tf.Tensor4D, rule: GradientRule, choose: TargetChooser): FaceMaps {
  const ops = explanationOps(rule);
  const faces = batch.shape[0];
  let selected: SelectedTargets | undefined;
  const values = tf.tidy(() => {
    const targetScore = (x: tf.Tensor): tf.Scalar => {
      const logits = headLogits(network, network.forward(x as tf.Tensor4D, { ops }));
      const classes = logits.shape[1];
      selected = selectTargets(logits.dataSync() as Float32Array, faces, classes, choose);
      return tf.sum(tf.mul(logits, tf.tensor2d(selected.mask, [faces, classes])));
    };
    return tf.grad(targetScore)(batch).dataSync() as Float32Array;
  });
  const { targets, scores, probabilities } = selected!;
  return { maps: splitMaps(values, batch.shape), targets, scores, probabilities };
}
