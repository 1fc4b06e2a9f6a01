import { ProtoWriter, littleEndianFloats } from './protobuf.js';

/**
 * The subset of the ONNX schema (onnx/onnx.proto, IR version 7) that a feed-forward float32 image
 * classifier needs: a model with one graph of nodes, float initialisers, and inputs/outputs whose
 * first dimension is a named (dynamic) batch size. Field numbers are those of onnx.proto.
 */

export const IR_VERSION = 7;
/** Opset 13: Softmax along one axis, the last opset that OpenCV 4.6's importer knows well. */
export const OPSET_VERSION = 13;

export type AttributeValue = number | number[] | string;

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  /** Integers become INT/INTS attributes; give floats with `floatAttributes`. */
  attributes?: Record<string, AttributeValue>;
  floatAttributes?: Record<string, number>;
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  values: Float32Array;
}

/** A float32 graph input or output; a string dimension is dynamic (ONNX dim_param), e.g. the batch. */
export interface OnnxValueInfo {
  name: string;
  dims: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModelInfo {
  producerName: string;
  producerVersion: string;
  docString?: string;
  metadata?: Record<string, string>;
}

const enum AttributeType {
  Float = 1,
  Int = 2,
  String = 3,
  Ints = 7,
}
const FLOAT_TYPE = 1;

function encodeAttribute(name: string, value: AttributeValue): Uint8Array {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'string') return w.bytes(4, new TextEncoder().encode(value)).int(20, AttributeType.String).finish();
  if (Array.isArray(value)) return w.ints(8, value).int(20, AttributeType.Ints).finish();
  return w.int(3, value).int(20, AttributeType.Int).finish();
}

function encodeFloatAttribute(name: string, value: number): Uint8Array {
  return new ProtoWriter().string(1, name).float(2, value).int(20, AttributeType.Float).finish();
}

function encodeNode(node: OnnxNode): Uint8Array {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name).string(4, node.op);
  for (const [key, value] of Object.entries(node.attributes ?? {})) w.message(5, encodeAttribute(key, value));
  for (const [key, value] of Object.entries(node.floatAttributes ?? {})) w.message(5, encodeFloatAttribute(key, value));
  return w.finish();
}

function encodeInitializer(tensor: OnnxInitializer): Uint8Array {
  const expected = tensor.dims.reduce((a, b) => a * b, 1);
  if (expected !== tensor.values.length) throw new Error(`initializer ${tensor.name}: ${tensor.values.length} values for dims ${tensor.dims.join('x')}`);
  return new ProtoWriter().ints(1, tensor.dims).int(2, FLOAT_TYPE).string(8, tensor.name).bytes(9, littleEndianFloats(tensor.values)).finish();
}

function encodeValueInfo(info: OnnxValueInfo): Uint8Array {
  const shape = new ProtoWriter();
  for (const dim of info.dims) shape.message(1, typeof dim === 'number' ? new ProtoWriter().int(1, dim).finish() : new ProtoWriter().string(2, dim).finish());
  const tensorType = new ProtoWriter().int(1, FLOAT_TYPE).message(2, shape.finish()).finish();
  const type = new ProtoWriter().message(1, tensorType).finish();
  return new ProtoWriter().string(1, info.name).message(2, type).finish();
}

function encodeGraph(graph: OnnxGraph): Uint8Array {
  return new ProtoWriter()
    .messages(1, graph.nodes.map(encodeNode))
    .string(2, graph.name)
    .messages(5, graph.initializers.map(encodeInitializer))
    .messages(11, graph.inputs.map(encodeValueInfo))
    .messages(12, graph.outputs.map(encodeValueInfo))
    .finish();
}

/** Serialise a whole ModelProto. */
export function encodeModel(graph: OnnxGraph, info: OnnxModelInfo): Uint8Array {
  const opset = new ProtoWriter().string(1, '').int(2, OPSET_VERSION).finish();
  const w = new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, info.producerName)
    .string(3, info.producerVersion)
    .int(5, 1);
  if (info.docString) w.string(6, info.docString);
  w.message(7, encodeGraph(graph)).message(8, opset);
  for (const [key, value] of Object.entries(info.metadata ?? {})) w.message(14, new ProtoWriter().string(1, key).string(2, value).finish());
  return w.finish();
}
