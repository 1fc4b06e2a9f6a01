import * as tf from '@tensorflow/tfjs';
import { ModelFileError } from '../../errors.js';
import type { KerasLayerJson, KerasModelJson, WeightArray } from './hdf5.js';

export type Activation = 'linear' | 'relu' | 'softmax';
export type Padding = 'same' | 'valid';
type Pair = [number, number];

interface Node {
  name: string;
  /** Names of the layers whose outputs feed this one, in order. */
  inputs: string[];
}

/** One layer of an imported model, with its weights as tensors; activations may be fused into convs. */
export type LayerSpec = Node &
  (
    | { kind: 'input'; shape: number[] }
    | { kind: 'conv2d'; kernel: tf.Tensor4D; bias?: tf.Tensor1D; strides: Pair; padding: Padding; activation: Activation }
    | {
        kind: 'separableConv2d';
        depthwise: tf.Tensor4D;
        pointwise: tf.Tensor4D;
        bias?: tf.Tensor1D;
        strides: Pair;
        padding: Padding;
        activation: Activation;
      }
    | { kind: 'depthwiseConv2d'; depthwise: tf.Tensor4D; bias?: tf.Tensor1D; strides: Pair; padding: Padding; activation: Activation }
    | { kind: 'batchNorm'; scale: tf.Tensor1D; offset: tf.Tensor1D }
    | { kind: 'activation'; activation: Activation }
    | { kind: 'maxPool'; pool: Pair; strides: Pair; padding: Padding }
    | { kind: 'avgPool'; pool: Pair; strides: Pair; padding: Padding }
    | { kind: 'globalAvgPool' }
    | { kind: 'add' }
    | { kind: 'identity' }
    | { kind: 'flatten' }
    | { kind: 'dense'; kernel: tf.Tensor2D; bias?: tf.Tensor1D; activation: Activation }
  );

export const SUPPORTED_LAYER_CLASSES = [
  'InputLayer', 'Conv2D', 'SeparableConv2D', 'DepthwiseConv2D', 'BatchNormalization', 'Activation', 'ReLU',
  'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'Add', 'Dropout', 'Flatten', 'Dense',
] as const;

class LayerReader {
  constructor(
    private readonly file: string,
    private readonly json: KerasLayerJson,
    private readonly weights: WeightArray[],
  ) {}

  get name(): string {
    return String(this.json.config.name ?? this.json.name);
  }

  fail(reason: string): never {
    throw new ModelFileError(this.file, `layer ${this.name} (${this.json.class_name}): ${reason}`);
  }

  value(key: string): unknown {
    return this.json.config[key];
  }

  pair(key: string, fallback: Pair): Pair {
    const v = this.value(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'number') return [v, v];
    if (Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number')) return [v[0] as number, v[1] as number];
    return this.fail(`${key} must be a pair of integers, found ${JSON.stringify(v)}`);
  }

  padding(): Padding {
    const v = this.value('padding') ?? 'valid';
    if (v !== 'same' && v !== 'valid') this.fail(`padding ${JSON.stringify(v)} is not supported (same, valid)`);
    return v;
  }

  activation(): Activation {
    const v = this.value('activation') ?? 'linear';
    if (v !== 'linear' && v !== 'relu' && v !== 'softmax') this.fail(`activation ${JSON.stringify(v)} is not supported (linear, relu, softmax)`);
    return v;
  }

  channelsLast(): void {
    const format = this.value('data_format');
    if (format !== undefined && format !== null && format !== 'channels_last') this.fail(`data_format ${String(format)} is not supported (channels_last)`);
    const dilation = this.pair('dilation_rate', [1, 1]);
    if (dilation[0] !== 1 || dilation[1] !== 1) this.fail(`dilation_rate ${dilation.join('x')} is not supported`);
  }

  weight(suffix: string, rank: number): tf.Tensor {
    const found = this.weights.find((w) => w.name === suffix);
    if (!found) return this.fail(`weight ${suffix} is missing from the file`);
    if (found.shape.length !== rank) this.fail(`weight ${suffix} has rank ${found.shape.length}, expected ${rank}`);
    return tf.tensor(found.values, found.shape, 'float32');
  }

  optionalBias(): tf.Tensor1D | undefined {
    return this.value('use_bias') === false ? undefined : (this.weight('bias', 1) as tf.Tensor1D);
  }
}

/** Fold inference-mode batch normalisation into one scale and one offset per channel (float64 arithmetic). */
function foldBatchNorm(reader: LayerReader, weights: WeightArray[]): { scale: tf.Tensor1D; offset: tf.Tensor1D } {
  const axis = reader.value('axis');
  if (axis !== undefined && axis !== -1 && axis !== 3) reader.fail(`axis ${String(axis)} is not supported (-1)`);
  const get = (name: string): Float32Array | undefined => weights.find((w) => w.name === name)?.values;
  const mean = get('moving_mean');
  const variance = get('moving_variance');
  if (!mean || !variance) return reader.fail('moving_mean or moving_variance is missing from the file');
  const gamma = reader.value('scale') === false ? undefined : get('gamma');
  const beta = reader.value('center') === false ? undefined : get('beta');
  const epsilon = Number(reader.value('epsilon') ?? 1e-3);
  const scale = new Float32Array(mean.length);
  const offset = new Float32Array(mean.length);
  for (let c = 0; c < mean.length; c++) {
    const s = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + epsilon);
    scale[c] = s;
    offset[c] = (beta ? beta[c]! : 0) - mean[c]! * s;
  }
  return { scale: tf.tensor1d(scale), offset: tf.tensor1d(offset) };
}

function inboundNames(reader: LayerReader, json: KerasLayerJson): string[] {
  const nodes = json.inbound_nodes ?? [];
  if (nodes.length === 0) return [];
  if (nodes.length > 1) reader.fail('a layer shared between several calls is not supported');
  const first = nodes[0];
  if (!Array.isArray(first)) reader.fail('inbound_nodes in this format are not supported (Keras 2.x files only)');
  return first.map((entry) => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') reader.fail('inbound_nodes entry is malformed');
    if (entry[1] !== 0 && entry[1] !== undefined) reader.fail('a layer shared between several calls is not supported');
    return entry[0] as string;
  });
}

function parseLayer(reader: LayerReader, json: KerasLayerJson, weights: WeightArray[], inputs: string[]): LayerSpec {
  const name = reader.name;
  switch (json.class_name) {
    case 'InputLayer': {
      const shape = (reader.value('batch_input_shape') ?? reader.value('batch_shape')) as (number | null)[] | undefined;
      if (!Array.isArray(shape) || shape.length !== 4) reader.fail('only image inputs of shape [batch, height, width, channels] are supported');
      return { kind: 'input', name, inputs, shape: shape.slice(1).map(Number) };
    }
    case 'Conv2D':
      reader.channelsLast();
      return {
        kind: 'conv2d', name, inputs, kernel: reader.weight('kernel', 4) as tf.Tensor4D, bias: reader.optionalBias(),
        strides: reader.pair('strides', [1, 1]), padding: reader.padding(), activation: reader.activation(),
      };
    case 'SeparableConv2D': {
      reader.channelsLast();
      return {
        kind: 'separableConv2d', name, inputs,
        depthwise: reader.weight('depthwise_kernel', 4) as tf.Tensor4D, pointwise: reader.weight('pointwise_kernel', 4) as tf.Tensor4D,
        bias: reader.optionalBias(), strides: reader.pair('strides', [1, 1]), padding: reader.padding(), activation: reader.activation(),
      };
    }
    case 'DepthwiseConv2D':
      reader.channelsLast();
      return {
        kind: 'depthwiseConv2d', name, inputs, depthwise: reader.weight('depthwise_kernel', 4) as tf.Tensor4D,
        bias: reader.optionalBias(), strides: reader.pair('strides', [1, 1]), padding: reader.padding(), activation: reader.activation(),
      };
    case 'BatchNormalization':
      return { kind: 'batchNorm', name, inputs, ...foldBatchNorm(reader, weights) };
    case 'Activation':
      return { kind: 'activation', name, inputs, activation: reader.activation() };
    case 'ReLU': {
      const plain = [['max_value', null], ['negative_slope', 0], ['threshold', 0]] as const;
      for (const [key, neutral] of plain) {
        const v = reader.value(key);
        if (v !== undefined && v !== neutral && !(neutral === null && v === undefined)) reader.fail(`${key}=${String(v)} is not supported (plain ReLU only)`);
      }
      return { kind: 'activation', name, inputs, activation: 'relu' };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      reader.channelsLast();
      const pool = reader.pair('pool_size', [2, 2]);
      return {
        kind: json.class_name === 'MaxPooling2D' ? 'maxPool' : 'avgPool', name, inputs, pool,
        strides: reader.pair('strides', pool), padding: reader.padding(),
      };
    }
    case 'GlobalAveragePooling2D':
      reader.channelsLast();
      return { kind: 'globalAvgPool', name, inputs };
    case 'Add':
      if (inputs.length < 2) reader.fail('Add needs at least two inputs');
      return { kind: 'add', name, inputs };
    case 'Dropout':
      return { kind: 'identity', name, inputs };
    case 'Flatten':
      return { kind: 'flatten', name, inputs };
    case 'Dense':
      return { kind: 'dense', name, inputs, kernel: reader.weight('kernel', 2) as tf.Tensor2D, bias: reader.optionalBias(), activation: reader.activation() };
    default:
      return reader.fail(`layer class ${json.class_name} is not supported (supported: ${SUPPORTED_LAYER_CLASSES.join(', ')})`);
  }
}

export interface ParsedGraph {
  layers: LayerSpec[];
  inputName: string;
  /** The model's output layers in the file's order (one, or one per head of a dual model). */
  outputNames: string[];
}

/** A functional model's `output_layers` ([[name, node, tensor], ...]) as layer names. */
function outputLayerNames(file: string, outputs: unknown, known: ReadonlySet<string>): string[] {
  if (!Array.isArray(outputs) || outputs.length === 0) throw new ModelFileError(file, 'the model has no output layer');
  return outputs.map((entry: unknown) => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') throw new ModelFileError(file, `output_layers entry ${JSON.stringify(entry)} is malformed`);
    const [name, node] = entry as [string, unknown];
    if (node !== 0 && node !== undefined) throw new ModelFileError(file, `output ${name}: a layer shared between several calls is not supported`);
    if (!known.has(name)) throw new ModelFileError(file, `output layer ${name} is not a layer of the model`);
    return name;
  });
}

/**
 * Turn a Keras 2.x functional ("Model") or Sequential config plus its weights into layer specs in
 * topological order (Keras saves functional layers in an order where inputs come first).
 */
export function parseKerasGraph(file: string, model: KerasModelJson, weights: Map<string, WeightArray[]>): ParsedGraph {
  const config = model.config;
  const sequential = model.class_name === 'Sequential';
  if (!sequential && model.class_name !== 'Model' && model.class_name !== 'Functional') {
    throw new ModelFileError(file, `model class ${model.class_name} is not supported (Model, Functional, Sequential)`);
  }
  const layerJsons: KerasLayerJson[] = Array.isArray(config) ? config : ((config.layers as KerasLayerJson[] | undefined) ?? []);
  if (layerJsons.length === 0) throw new ModelFileError(file, 'the model has no layers');
  const layers: LayerSpec[] = [];
  const specs: LayerSpec[] = [];
  try {
    for (const json of layerJsons) {
      const reader: LayerReader = new LayerReader(file, json, weights.get(String(json.config.name ?? json.name)) ?? []);
      let inputs = sequential ? [] : inboundNames(reader, json);
      if (sequential) {
        if (layers.length === 0 && json.class_name !== 'InputLayer') {
          const shape = json.config.batch_input_shape as (number | null)[] | undefined;
          if (!Array.isArray(shape)) reader.fail('the first layer of a Sequential model must give batch_input_shape');
          layers.push({ kind: 'input', name: '__input__', inputs: [], shape: shape.slice(1).map(Number) });
        }
        inputs = layers.length ? [layers[layers.length - 1]!.name] : [];
      }
      const known = new Set(layers.map((l) => l.name));
      for (const input of inputs) if (!known.has(input)) reader.fail(`input ${input} is not defined before this layer`);
      const spec = parseLayer(reader, json, weights.get(reader.name) ?? [], inputs);
      layers.push(spec);
      specs.push(spec);
    }
    const inputLayers = layers.filter((l) => l.kind === 'input');
    if (inputLayers.length !== 1) throw new ModelFileError(file, `the model must have exactly one input, found ${inputLayers.length}`);
    const outputs = !sequential && !Array.isArray(config) ? config.output_layers : undefined;
    const outputNames = outputs === undefined ? [layers[layers.length - 1]!.name] : outputLayerNames(file, outputs, new Set(layers.map((l) => l.name)));
    return { layers, inputName: inputLayers[0]!.name, outputNames };
  } catch (error) {
    // Nothing is returned: release the weight tensors already made.
    for (const spec of specs) disposeLayer(spec);
    throw error;
  }
}

export function disposeLayer(layer: LayerSpec): void {
  for (const value of Object.values(layer)) if (value instanceof tf.Tensor) value.dispose();
}
