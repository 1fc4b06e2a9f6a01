import * as tf from '@tensorflow/tfjs';
import type { Activation, LayerSpec, Padding } from './keras/layers.js';
import { disposeLayer } from './keras/layers.js';
import { layersNeeded } from './layer_graph.js';

type Pair = [number, number];

/**
 * The primitive operations whose backward pass explanations need to change or replace. The
 * forward pass uses `standardOps`; guided backpropagation swaps in ops with custom gradients.
 */
export interface NetworkOps {
  relu(x: tf.Tensor): tf.Tensor;
  conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, strides: Pair, padding: Padding): tf.Tensor4D;
  maxPool(x: tf.Tensor4D, pool: Pair, strides: Pair, padding: Padding): tf.Tensor4D;
  depthwiseConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, strides: Pair, padding: Padding): tf.Tensor4D;
}

export const standardOps: NetworkOps = {
  relu: (x) => tf.relu(x),
  conv2d: (x, filter, strides, padding) => tf.conv2d(x, filter, strides, padding),
  maxPool: (x, pool, strides, padding) => tf.maxPool(x, pool, strides, padding),
  depthwiseConv2d: (x, filter, strides, padding) => tf.depthwiseConv2d(x, filter, strides, padding),
};

export interface ForwardOptions {
  ops?: Partial<NetworkOps>;
  /** Names of layers whose outputs to return as well (e.g. the last convolution for Grad-CAM). */
  capture?: readonly string[];
}

/** One output layer's answer for a batch. */
export interface NetworkOutput {
  /** Pre-softmax class scores, [batch, classes]. */
  logits: tf.Tensor2D;
  /** Softmax of the logits, [batch, classes]. */
  probabilities: tf.Tensor2D;
}

export interface ForwardResult {
  /** One per output layer, in `outputNames` order; a classifier of one output has one. */
  outputs: NetworkOutput[];
  captured: Map<string, tf.Tensor>;
}

/**
 * An imported image classifier: layer specs in topological order, run with TF.js ops. It may have
 * several output layers (the dual-head mini-Xception: one backbone, an emotion and a gender
 * classifier); one forward pass then computes the shared layers once and answers every output.
 */
export class Network {
  /** [height, width, channels] */
  readonly inputShape: [number, number, number];
  readonly parameterCount: number;
  /** The last layer with a 4-D output that is a convolution: Grad-CAM's target layer. */
  readonly lastConvName: string | undefined;

  constructor(
    readonly layers: readonly LayerSpec[],
    readonly inputName: string,
    readonly outputNames: readonly string[],
  ) {
    if (outputNames.length === 0) throw new Error('a network needs at least one output layer');
    for (const name of outputNames) if (!layers.some((l) => l.name === name)) throw new Error(`output layer ${name} not found`);
    const input = layers.find((l) => l.name === inputName);
    if (!input || input.kind !== 'input') throw new Error(`input layer ${inputName} not found`);
    const [h, w, c] = input.shape;
    this.inputShape = [h!, w!, c!];
    let count = 0;
    let lastConv: string | undefined;
    for (const layer of layers) {
      for (const value of Object.values(layer)) if (value instanceof tf.Tensor) count += value.size;
      if (layer.kind === 'conv2d' || layer.kind === 'separableConv2d' || layer.kind === 'depthwiseConv2d') lastConv = layer.name;
    }
    // Keras counts a BatchNormalization layer's four vectors; we store two folded ones.
    for (const layer of layers) if (layer.kind === 'batchNorm') count += layer.scale.size * 2;
    this.parameterCount = count;
    this.lastConvName = lastConv;
  }

  /**
   * The same network answering only `outputNames` (in that order), with only the layers they need:
   * one head of a dual model, for explanations and for a head used alone. It shares this network's
   * weight tensors, so it is released by disposing this network, never itself.
   */
  select(outputNames: readonly string[]): Network {
    if (outputNames.length === this.outputNames.length && outputNames.every((n, i) => n === this.outputNames[i])) return this;
    const byName = new Map(this.layers.map((l) => [l.name, l]));
    const needed = layersNeeded(outputNames, (name) => byName.get(name)?.inputs);
    return new Network(this.layers.filter((l) => needed.has(l.name)), this.inputName, outputNames);
  }

  /** Run the network on a [batch, h, w, c] tensor. Call inside tf.tidy: intermediates are not disposed here. */
  forward(input: tf.Tensor4D, options: ForwardOptions = {}): ForwardResult {
    const ops: NetworkOps = { ...standardOps, ...options.ops };
    const values = new Map<string, tf.Tensor>();
    const captured = new Map<string, tf.Tensor>();
    const logits = new Map<string, tf.Tensor>();
    for (const layer of this.layers) {
      const inputs = layer.inputs.map((name) => values.get(name)!);
      const { output, preActivation } = this.evaluate(layer, inputs, input, ops);
      values.set(layer.name, output);
      if (options.capture?.includes(layer.name)) captured.set(layer.name, output);
      if (this.outputNames.includes(layer.name)) {
        if (preActivation) logits.set(layer.name, preActivation);
        else if (layer.kind === 'activation' && layer.activation === 'softmax') logits.set(layer.name, inputs[0]!);
        else logits.set(layer.name, output);
        // Layers after the last output feed nothing that is asked for.
        if (logits.size === this.outputNames.length) break;
      }
    }
    const outputs = this.outputNames.map((name): NetworkOutput => {
      const scores = logits.get(name);
      if (!scores) throw new Error(`output layer ${name} was not reached`);
      const flat = scores.reshape([scores.shape[0]!, -1]) as tf.Tensor2D;
      return { logits: flat, probabilities: tf.softmax(flat) };
    });
    return { outputs, captured };
  }

  private evaluate(
    layer: LayerSpec,
    inputs: tf.Tensor[],
    networkInput: tf.Tensor4D,
    ops: NetworkOps,
  ): { output: tf.Tensor; preActivation?: tf.Tensor } {
    const x = inputs[0] as tf.Tensor4D;
    const activate = (pre: tf.Tensor, activation: Activation): { output: tf.Tensor; preActivation?: tf.Tensor } => {
      if (activation === 'linear') return { output: pre };
      if (activation === 'relu') return { output: ops.relu(pre) };
      return { output: tf.softmax(pre.reshape([pre.shape[0]!, -1])).reshape(pre.shape), preActivation: pre };
    };
    const withBias = (t: tf.Tensor, bias?: tf.Tensor1D): tf.Tensor => (bias ? tf.add(t, bias) : t);
    switch (layer.kind) {
      case 'input':
        return { output: networkInput };
      case 'conv2d':
        return activate(withBias(ops.conv2d(x, layer.kernel, layer.strides, layer.padding), layer.bias), layer.activation);
      case 'separableConv2d': {
        const depthwise = ops.depthwiseConv2d(x, layer.depthwise, layer.strides, layer.padding);
        const pointwise = ops.conv2d(depthwise, layer.pointwise, [1, 1], 'valid');
        return activate(withBias(pointwise, layer.bias), layer.activation);
      }
      case 'depthwiseConv2d':
        return activate(withBias(ops.depthwiseConv2d(x, layer.depthwise, layer.strides, layer.padding), layer.bias), layer.activation);
      case 'batchNorm':
        return { output: tf.add(tf.mul(x, layer.scale), layer.offset) };
      case 'activation':
        return activate(x, layer.activation);
      case 'maxPool':
        return { output: ops.maxPool(x, layer.pool, layer.strides, layer.padding) };
      case 'avgPool':
        return { output: tf.avgPool(x, layer.pool, layer.strides, layer.padding) };
      case 'globalAvgPool':
        return { output: tf.mean(x, [1, 2]) };
      case 'add':
        return { output: inputs.length === 2 ? tf.add(inputs[0]!, inputs[1]!) : tf.addN(inputs) };
      case 'identity':
        return { output: x };
      case 'flatten':
        return { output: x.reshape([x.shape[0]!, -1]) };
      case 'dense':
        return activate(withBias(tf.matMul(inputs[0] as tf.Tensor2D, layer.kernel), layer.bias), layer.activation);
    }
  }

  dispose(): void {
    for (const layer of this.layers) disposeLayer(layer);
  }
}
