import * as tf from '@tensorflow/tfjs';
import { FaceClassificationError } from '../../errors.js';
import type { Network } from '../network.js';
import type { Activation, LayerSpec, Padding } from '../keras/layers.js';
import { encodeModel, type OnnxGraph, type OnnxInitializer, type OnnxModelInfo, type OnnxNode, type OnnxValueInfo } from './onnx_proto.js';

/**
 * Export imported Keras networks (src/models/network.ts) to ONNX, several into one model so that one
 * session.run answers all heads. Each network gets its own input and its own prefix for node and
 * weight names; the graphs do not share anything. A network of several outputs (the dual-head
 * model: one backbone, two classifiers) is exported once, with one graph output per network output,
 * so one run computes its backbone once for both heads.
 *
 * Layout: the graph computes in NCHW, ONNX's native layout. Its input takes exactly the Float32Array
 * the TF.js path feeds ([batch, height, width, channels], row-major): for one channel (every face
 * head) NHWC and NCHW are the same bytes, so the input is declared [batch, 1, h, w] and nothing is
 * transposed; a multi-channel network gets an NHWC input and a Transpose.
 *
 * Batch normalisation (already folded to a scale and an offset per channel by the importer) is
 * folded further into the convolution before it, in float64, when that convolution feeds nothing
 * else; otherwise it becomes Mul + Add. 'same' padding is written as explicit pads computed as
 * TensorFlow does: the odd extra row/column goes at the bottom/right. Symmetric padding gives the
 * same shapes and wrong scores.
 */

export class OnnxExportError extends FaceClassificationError {
  constructor(readonly layer: string, readonly reason: string) {
    super(`ONNX export: layer ${layer}: ${reason}`);
  }
}

export interface OnnxHead {
  /** Names the graph input (`${name}`) and the prefix of every node. */
  name: string;
  network: Network;
  /**
   * The graph output of each network output, in the network's order. Default, for a network of
   * one output: `${name}_probabilities` (onnxNames); a network of several must name them.
   */
  outputs?: readonly string[];
}

/** Graph input and output names of a head exported under `name`. */
export function onnxNames(name: string): { input: string; output: string } {
  return { input: name, output: `${name}_probabilities` };
}

type Pair = [number, number];
/** A value's shape without the batch: feature maps in NCHW order, or flat features. */
type Shape = { rank: 4; c: number; h: number; w: number } | { rank: 2; features: number };

interface Value {
  name: string;
  shape: Shape;
}

/** TensorFlow's output size and ONNX pads [top, left, bottom, right] for one window op. */
export function windowPads(input: Pair, kernel: Pair, strides: Pair, padding: Padding): { out: Pair; pads: number[] } {
  const out: number[] = [];
  const begin: number[] = [];
  const end: number[] = [];
  for (let d = 0; d < 2; d++) {
    const size = input[d]!;
    const k = kernel[d]!;
    const s = strides[d]!;
    if (padding === 'valid') {
      out.push(Math.floor((size - k) / s) + 1);
      begin.push(0);
      end.push(0);
    } else {
      const o = Math.ceil(size / s);
      const total = Math.max((o - 1) * s + k - size, 0);
      out.push(o);
      begin.push(Math.floor(total / 2));
      end.push(total - Math.floor(total / 2));
    }
  }
  return { out: [out[0]!, out[1]!], pads: [begin[0]!, begin[1]!, end[0]!, end[1]!] };
}

/** TF conv kernel [kh, kw, cin, cout] -> ONNX [cout, cin, kh, kw]. */
function convWeights(kernel: tf.Tensor4D): { values: Float64Array; dims: number[] } {
  const [kh, kw, cin, cout] = kernel.shape;
  const src = kernel.dataSync();
  const dst = new Float64Array(src.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) dst[((o * cin + i) * kh + y) * kw + x] = src[((y * kw + x) * cin + i) * cout + o]!;
  return { values: dst, dims: [cout, cin, kh, kw] };
}

/** TF depthwise kernel [kh, kw, cin, multiplier] -> ONNX grouped conv [cin*multiplier, 1, kh, kw]; channel c*m+j. */
function depthwiseWeights(kernel: tf.Tensor4D): { values: Float64Array; dims: number[] } {
  const [kh, kw, cin, mult] = kernel.shape;
  const src = kernel.dataSync();
  const dst = new Float64Array(src.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let c = 0; c < cin; c++)
        for (let j = 0; j < mult; j++) dst[((c * mult + j) * kh + y) * kw + x] = src[((y * kw + x) * cin + c) * mult + j]!;
  return { values: dst, dims: [cin * mult, 1, kh, kw] };
}

type ConvLayer = Extract<LayerSpec, { kind: 'conv2d' | 'separableConv2d' | 'depthwiseConv2d' }>;
type BatchNormLayer = Extract<LayerSpec, { kind: 'batchNorm' }>;

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  private used = new Set<string>();

  /** A fresh value name: `base`, or `base_2`, ... if taken. */
  fresh(base: string): string {
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  constant(base: string, dims: number[], values: ArrayLike<number>): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims, values: Float32Array.from(values) });
    return name;
  }

  node(op: string, inputs: string[], outputBase: string, attributes?: OnnxNode['attributes'], floatAttributes?: OnnxNode['floatAttributes']): string {
    const output = this.fresh(outputBase);
    this.nodes.push({ op, inputs, outputs: [output], name: output, ...(attributes ? { attributes } : {}), ...(floatAttributes ? { floatAttributes } : {}) });
    return output;
  }
}

/** Which batch-norm layers can be folded into the convolution that feeds them (and only them). */
function foldableBatchNorms(network: Network): Map<string, BatchNormLayer> {
  const consumers = new Map<string, number>();
  for (const layer of network.layers) for (const input of layer.inputs) consumers.set(input, (consumers.get(input) ?? 0) + 1);
  const byName = new Map(network.layers.map((l) => [l.name, l]));
  const folds = new Map<string, BatchNormLayer>();
  for (const layer of network.layers) {
    if (layer.kind !== 'batchNorm') continue;
    const source = byName.get(layer.inputs[0]!);
    if (!source || (source.kind !== 'conv2d' && source.kind !== 'separableConv2d' && source.kind !== 'depthwiseConv2d')) continue;
    if (source.activation !== 'linear' || consumers.get(source.name) !== 1 || network.outputNames.includes(source.name)) continue;
    folds.set(source.name, layer);
  }
  return folds;
}

class HeadExporter {
  private values = new Map<string, Value>();
  private folds: Map<string, BatchNormLayer>;
  /** Batch-norm layers folded away: they pass their input's value through. */
  private folded = new Set<string>();

  constructor(
    private readonly g: GraphBuilder,
    private readonly head: OnnxHead,
  ) {
    this.folds = foldableBatchNorms(head.network);
    for (const bn of this.folds.values()) this.folded.add(bn.name);
  }

  private id(layer: string, suffix = ''): string {
    return `${this.head.name}/${layer}${suffix}`;
  }

  run(): { input: OnnxValueInfo; outputs: OnnxValueInfo[] } {
    const { network, name } = this.head;
    const outputNames = this.head.outputs ?? (network.outputNames.length === 1 ? [onnxNames(name).output] : []);
    if (outputNames.length !== network.outputNames.length) {
      throw new OnnxExportError(network.outputNames.join('+'), `the network has ${network.outputNames.length} outputs; name ${outputNames.length === 0 ? 'their graph outputs (OnnxHead.outputs)' : `one graph output each, not ${outputNames.length}`}`);
    }
    const [h, w, c] = network.inputShape;
    const batch = `${name}_batch`;
    const input: OnnxValueInfo = { name, dims: c === 1 ? [batch, 1, h, w] : [batch, h, w, c] };
    const logits = new Map<string, Value>();
    for (const layer of network.layers) {
      const inputs = layer.inputs.map((n) => this.values.get(n)!);
      if (layer.kind === 'input') {
        const nchw = c === 1 ? name : this.g.node('Transpose', [name], this.id(layer.name), { perm: [0, 3, 1, 2] });
        this.values.set(layer.name, { name: nchw, shape: { rank: 4, c, h, w } });
        continue;
      }
      const { output, preActivation } = this.layer(layer, inputs);
      this.values.set(layer.name, output);
      if (network.outputNames.includes(layer.name)) {
        // As Network.forward: the scores before a final softmax are the logits; softmax is applied once, below.
        if (preActivation) logits.set(layer.name, preActivation);
        else if (layer.kind === 'activation' && layer.activation === 'softmax') logits.set(layer.name, inputs[0]!);
        else logits.set(layer.name, output);
        if (logits.size === network.outputNames.length) break;
      }
    }
    const outputs = network.outputNames.map((layerName, i): OnnxValueInfo => {
      const scores = logits.get(layerName);
      if (!scores) throw new OnnxExportError(layerName, 'the output layer was not reached');
      const flat = this.flatten(scores, this.id(layerName, '/logits'));
      const features = flat.shape.rank === 2 ? flat.shape.features : 0;
      this.g.nodes.push({ op: 'Softmax', inputs: [flat.name], outputs: [outputNames[i]!], name: this.id(layerName, '/softmax'), attributes: { axis: 1 } });
      return { name: outputNames[i]!, dims: [batch, features] };
    });
    return { input, outputs };
  }

  /** [N, C, H, W] -> [N, C*H*W] in TF's NHWC order (a Transpose first when both C and H*W exceed 1). */
  private flatten(value: Value, base: string): Value {
    if (value.shape.rank === 2) return value;
    const { c, h, w } = value.shape;
    const source = c > 1 && h * w > 1 ? this.g.node('Transpose', [value.name], `${base}/nhwc`, { perm: [0, 2, 3, 1] }) : value.name;
    return { name: this.g.node('Flatten', [source], base, { axis: 1 }), shape: { rank: 2, features: c * h * w } };
  }

  private activate(layerName: string, pre: Value, activation: Activation): { output: Value; preActivation?: Value } {
    if (activation === 'linear') return { output: pre };
    if (activation === 'relu') return { output: { name: this.g.node('Relu', [pre.name], this.id(layerName)), shape: pre.shape } };
    // Network.forward takes a softmax over all of a sample's values; ONNX's Softmax(axis=1) on NCHW
    // runs over channels only. They agree when a value holds one position (the heads' case).
    if (pre.shape.rank === 4 && pre.shape.h * pre.shape.w > 1) {
      throw new OnnxExportError(layerName, `softmax over a ${pre.shape.h}x${pre.shape.w}x${pre.shape.c} feature map is not supported (only over flat scores or 1x1 maps)`);
    }
    return { output: { name: this.g.node('Softmax', [pre.name], this.id(layerName), { axis: 1 }), shape: pre.shape }, preActivation: pre };
  }

  private conv(layer: ConvLayer, input: Value): Value {
    if (input.shape.rank !== 4) throw new OnnxExportError(layer.name, 'a convolution needs a 4-D input');
    const cin = input.shape.c;
    const fold = this.folds.get(layer.name);
    const depthwise = layer.kind === 'conv2d' ? undefined : depthwiseWeights(layer.depthwise);
    const kernelShape: Pair = layer.kind === 'conv2d' ? [layer.kernel.shape[0], layer.kernel.shape[1]] : [layer.depthwise.shape[0], layer.depthwise.shape[1]];
    const { out, pads } = windowPads([input.shape.h, input.shape.w], kernelShape, layer.strides, layer.padding);
    const attrs = (group: number, kernel: Pair, strides: Pair, p: number[]): OnnxNode['attributes'] => ({ kernel_shape: kernel, strides, pads: p, dilations: [1, 1], group });
    // The convolution whose output carries the bias and any folded batch norm.
    let finalWeights: { values: Float64Array; dims: number[] };
    let finalInput = input.name;
    let finalAttrs: OnnxNode['attributes'];
    if (layer.kind === 'separableConv2d') {
      const dw = this.g.constant(this.id(layer.name, '/depthwise_kernel'), depthwise!.dims, depthwise!.values);
      finalInput = this.g.node('Conv', [input.name, dw], this.id(layer.name, '/depthwise'), attrs(cin, kernelShape, layer.strides, pads));
      finalWeights = convWeights(layer.pointwise);
      finalAttrs = attrs(1, [1, 1], [1, 1], [0, 0, 0, 0]);
    } else if (layer.kind === 'depthwiseConv2d') {
      finalWeights = depthwise!;
      finalAttrs = attrs(cin, kernelShape, layer.strides, pads);
    } else {
      finalWeights = convWeights(layer.kernel);
      finalAttrs = attrs(1, kernelShape, layer.strides, pads);
    }
    const cout = finalWeights.dims[0]!;
    const perOut = finalWeights.values.length / cout;
    const bias = new Float64Array(cout);
    if (layer.bias) bias.set(layer.bias.dataSync());
    if (fold) {
      const scale = fold.scale.dataSync();
      const offset = fold.offset.dataSync();
      for (let o = 0; o < cout; o++) {
        for (let i = o * perOut; i < (o + 1) * perOut; i++) finalWeights.values[i] = finalWeights.values[i]! * scale[o]!;
        bias[o] = bias[o]! * scale[o]! + offset[o]!;
      }
    }
    const inputs = [finalInput, this.g.constant(this.id(layer.name, '/kernel'), finalWeights.dims, finalWeights.values)];
    if (layer.bias || fold) inputs.push(this.g.constant(this.id(layer.name, '/bias'), [cout], bias));
    const name = this.g.node('Conv', inputs, this.id(layer.name, fold ? `+${fold.name}` : ''), finalAttrs);
    return { name, shape: { rank: 4, c: cout, h: out[0], w: out[1] } };
  }

  private layer(layer: LayerSpec, inputs: Value[]): { output: Value; preActivation?: Value } {
    const x = inputs[0]!;
    const spatial = (): { c: number; h: number; w: number } => {
      if (x.shape.rank !== 4) throw new OnnxExportError(layer.name, `${layer.kind} needs a 4-D input`);
      return x.shape;
    };
    switch (layer.kind) {
      case 'conv2d':
      case 'separableConv2d':
      case 'depthwiseConv2d':
        return this.activate(layer.name, this.conv(layer, x), layer.activation);
      case 'batchNorm': {
        if (this.folded.has(layer.name)) return { output: x };
        const dims = x.shape.rank === 4 ? [x.shape.c, 1, 1] : [x.shape.features];
        const scaled = this.g.node('Mul', [x.name, this.g.constant(this.id(layer.name, '/scale'), dims, layer.scale.dataSync())], this.id(layer.name, '/mul'));
        return { output: { name: this.g.node('Add', [scaled, this.g.constant(this.id(layer.name, '/offset'), dims, layer.offset.dataSync())], this.id(layer.name)), shape: x.shape } };
      }
      case 'activation':
        return this.activate(layer.name, x, layer.activation);
      case 'maxPool':
      case 'avgPool': {
        const { c, h, w } = spatial();
        const { out, pads } = windowPads([h, w], layer.pool, layer.strides, layer.padding);
        const attrs: OnnxNode['attributes'] = { kernel_shape: layer.pool, strides: layer.strides, pads };
        // TF's average pooling leaves padded cells out of the mean.
        if (layer.kind === 'avgPool') attrs['count_include_pad'] = 0;
        return { output: { name: this.g.node(layer.kind === 'maxPool' ? 'MaxPool' : 'AveragePool', [x.name], this.id(layer.name), attrs), shape: { rank: 4, c, h: out[0], w: out[1] } } };
      }
      case 'globalAvgPool': {
        const { c } = spatial();
        const pooled = this.g.node('GlobalAveragePool', [x.name], this.id(layer.name, '/pool'));
        return { output: { name: this.g.node('Flatten', [pooled], this.id(layer.name), { axis: 1 }), shape: { rank: 2, features: c } } };
      }
      case 'add': {
        const shapes = new Set(inputs.map((v) => JSON.stringify(v.shape)));
        if (shapes.size !== 1) throw new OnnxExportError(layer.name, `inputs of different shapes (${[...shapes].join(', ')})`);
        return { output: { name: this.g.node(inputs.length === 2 ? 'Add' : 'Sum', inputs.map((v) => v.name), this.id(layer.name)), shape: x.shape } };
      }
      case 'identity':
        return { output: x };
      case 'flatten':
        return { output: this.flatten(x, this.id(layer.name)) };
      case 'dense': {
        const flat = x.shape.rank === 2 ? x : this.flatten(x, this.id(layer.name, '/flatten'));
        const [inFeatures, outFeatures] = layer.kernel.shape;
        if (flat.shape.rank !== 2 || flat.shape.features !== inFeatures) throw new OnnxExportError(layer.name, `dense kernel takes ${inFeatures} features, its input has ${JSON.stringify(flat.shape)}`);
        const inputsOf = [flat.name, this.g.constant(this.id(layer.name, '/kernel'), [inFeatures, outFeatures], layer.kernel.dataSync())];
        if (layer.bias) inputsOf.push(this.g.constant(this.id(layer.name, '/bias'), [outFeatures], layer.bias.dataSync()));
        const pre: Value = { name: this.g.node('Gemm', inputsOf, this.id(layer.name, layer.activation === 'linear' ? '' : '/linear')), shape: { rank: 2, features: outFeatures } };
        return this.activate(layer.name, pre, layer.activation);
      }
      case 'input':
        throw new OnnxExportError(layer.name, 'a second input layer is not supported');
      default: {
        const unknown = layer as { name: string; kind: string };
        throw new OnnxExportError(unknown.name, `layer kind ${unknown.kind} has no ONNX export`);
      }
    }
  }
}

export interface ExportOptions {
  /** Producer fields and metadata_props of the model (e.g. the source model ids). */
  info?: Partial<OnnxModelInfo>;
}

/** The ONNX graph of one or more heads (exposed for tests and tools that inspect it). */
export function buildOnnxGraph(heads: readonly OnnxHead[]): OnnxGraph {
  if (heads.length === 0) throw new Error('ONNX export needs at least one head');
  const names = new Set(heads.map((h) => h.name));
  if (names.size !== heads.length) throw new Error(`ONNX export: head names must differ (${heads.map((h) => h.name).join(', ')})`);
  const g = new GraphBuilder();
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  for (const head of heads) {
    const exported = new HeadExporter(g, head).run();
    inputs.push(exported.input);
    outputs.push(...exported.outputs);
  }
  const outputNames = new Set(outputs.map((o) => o.name));
  if (outputNames.size !== outputs.length) throw new Error(`ONNX export: graph output names must differ (${outputs.map((o) => o.name).join(', ')})`);
  return { name: heads.map((h) => h.name).join('+'), nodes: g.nodes, initializers: g.initializers, inputs, outputs };
}

/** Serialise heads to an ONNX model (opset 13): one input `${name}` per head, and one output per network output (`${name}_probabilities` for one). */
export function exportOnnx(heads: readonly OnnxHead[], options: ExportOptions = {}): Uint8Array {
  const graph = buildOnnxGraph(heads);
  return encodeModel(graph, { producerName: 'face-classification', producerVersion: '1', ...options.info });
}
