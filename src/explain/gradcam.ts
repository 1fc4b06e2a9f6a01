import * as tf from '@tensorflow/tfjs';
import type { LayerSpec } from '../models/keras/layers.js';
import { Network } from '../models/network.js';
import { layersNeeded } from '../models/layer_graph.js';
import { headLogits, splitMaps, type FaceMaps } from './gbp.js';
import { explanationOps } from './guided.js';
import { selectTargets, type TargetChooser } from './target.js';
import { ExplanationError } from './types.js';

/** Tail networks by model and layer: built once, they share the model's weight tensors. */
const tails = new WeakMap<Network, Map<string, Network>>();

/**
 * The part of `network` after `layerName`, as a network whose input is that layer's output: Grad-CAM
 * needs d score / d activations, and TF.js differentiates only with respect to a function's input.
 * Fails when a later layer also reads an earlier one (a skip connection around the layer).
 */
export function tailNetwork(network: Network, layerName: string, shape: readonly number[]): Network {
  // Keyed without the batch size: the tail network's input shape is per face.
  const key = `${layerName}:${shape.slice(1).join('x')}`;
  let byLayer = tails.get(network);
  const cached = byLayer?.get(key);
  if (cached) return cached;
  const byName = new Map(network.layers.map((l) => [l.name, l]));
  const inputsOf = (name: string): readonly string[] | undefined => {
    const layer = byName.get(name);
    if (layer?.kind === 'input') throw new ExplanationError(`Grad-CAM: the output depends on the input by a path around layer ${layerName}; choose a layer every path passes`);
    return layer?.inputs;
  };
  const needed = layersNeeded(network.outputNames, inputsOf, (name) => name === layerName);
  const input: LayerSpec = { kind: 'input', name: layerName, inputs: [], shape: shape.slice(1) };
  const tail = new Network([input, ...network.layers.filter((l) => needed.has(l.name))], layerName, network.outputNames);
  if (!byLayer) tails.set(network, (byLayer = new Map()));
  byLayer.set(key, tail);
  return tail;
}

/**
 * Grad-CAM (Selvaraju et al. 2017) on the last convolution: per face, ReLU(sum_k alpha_k A_k) with
 * alpha_k the spatial mean of d score / d A_k, upsampled bilinearly (half-pixel centres, as OpenCV's
 * INTER_LINEAR) to the model's input size. The maps are not normalised.
 */
export function gradCam(network: Network, batch: tf.Tensor4D, choose: TargetChooser): FaceMaps {
  const layer = network.lastConvName;
  if (!layer) throw new ExplanationError('Grad-CAM needs a convolution layer and this model has none');
  const [faces, height, width] = batch.shape;
  let selection: ReturnType<typeof selectTargets> | undefined;
  const values = tf.tidy(() => {
    // Forward values are right on every backend; only the tail below is differentiated.
    const forward = network.forward(batch, { capture: [layer] });
    const logits = headLogits(network, forward);
    const captured = forward.captured;
    const activations = captured.get(layer) as tf.Tensor4D;
    const classes = logits.shape[1];
    const chosen = selectTargets(logits.dataSync() as Float32Array, faces, classes, choose);
    selection = chosen;
    const tail = tailNetwork(network, layer, activations.shape);
    const mask = tf.tensor2d(chosen.mask, [faces, classes]);
    const targetScore = (a: tf.Tensor): tf.Scalar => tf.sum(tf.mul(headLogits(tail, tail.forward(a as tf.Tensor4D, { ops: explanationOps('plain') })), mask));
    const grads = tf.grad(targetScore)(activations);
    const alpha = tf.mean(grads, [1, 2], true);
    const cam = tf.relu(tf.sum(tf.mul(activations, alpha), 3, true)) as tf.Tensor4D;
    return tf.image.resizeBilinear(cam, [height, width], false, true).dataSync() as Float32Array;
  });
  const { targets, scores, probabilities } = selection!;
  return { maps: splitMaps(values, [faces, height, width, 1]), targets, scores, probabilities };
}
