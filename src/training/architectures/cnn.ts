import * as tf from '@tensorflow/tfjs';
import { GraphBuilder, type L2Penalty } from './builder.js';

/**
 * The architectures of the authors' src/models/cnn.py (oarriaga/face_classification), layer for
 * layer, for any input shape and class count. Keras 2.0's SeparableConv2D ignores its
 * kernel_regularizer (it only uses depthwise_/pointwise_regularizer), so in the authors' models
 * only the two stem convolutions of tiny- and mini-Xception carry l2(0.01), as their files show.
 */

export const ARCHITECTURES = ['simple-cnn', 'simpler-cnn', 'tiny-xception', 'mini-xception', 'big-xception'] as const;
export type ArchitectureName = (typeof ARCHITECTURES)[number];

export interface BuiltModel {
  model: tf.LayersModel;
  /** Output layer names, one per head, in the model's output order. */
  outputs: string[];
  penalties: L2Penalty[];
}

type Symbolic = tf.SymbolicTensor;

function finish(b: GraphBuilder, input: Symbolic, outputs: Symbolic[], names: string[], modelName: string): BuiltModel {
  const model = tf.model({ inputs: input, outputs, name: modelName });
  return { model, outputs: names, penalties: b.penalties };
}

function classifier(b: GraphBuilder, x: Symbolic, classes: number, name: string): Symbolic {
  const scores = b.globalAvgPool(b.conv(x, classes, 3, { padding: 'same' }));
  return b.activation(scores, 'softmax', name);
}

function simpleCnn(b: GraphBuilder, shape: readonly number[], classes: number): BuiltModel {
  const input = b.input(shape);
  let x: Symbolic = input;
  const stages: [number, number][] = [[16, 7], [32, 5], [64, 3], [128, 3]];
  stages.forEach(([filters, kernel], i) => {
    x = b.batchNorm(b.conv(x, filters, kernel, { padding: 'same', name: i === 0 ? 'image_array' : undefined }));
    x = b.batchNorm(b.conv(x, filters, kernel, { padding: 'same' }));
    x = b.activation(x, 'relu');
    x = b.dropout(b.avgPool(x, [2, 2]), 0.5);
  });
  x = b.batchNorm(b.conv(x, 256, 3, { padding: 'same' }));
  const scores = b.globalAvgPool(b.conv(x, classes, 3, { padding: 'same' }));
  return finish(b, input, [b.activation(scores, 'softmax', 'predictions')], ['predictions'], 'simple_CNN');
}

function simplerCnn(b: GraphBuilder, shape: readonly number[], classes: number): BuiltModel {
  const input = b.input(shape);
  let x: Symbolic = input;
  x = b.batchNorm(b.conv(x, 16, 5, { padding: 'same', name: 'image_array' }));
  x = b.batchNorm(b.conv(x, 16, 5, { strides: 2, padding: 'same' }));
  x = b.dropout(b.activation(x, 'relu'), 0.25);
  const stages: [number, number, number, number][] = [[32, 5, 32, 5], [64, 3, 64, 3], [64, 1, 128, 3]];
  for (const [f1, k1, f2, k2] of stages) {
    x = b.batchNorm(b.conv(x, f1, k1, { padding: 'same' }));
    x = b.batchNorm(b.conv(x, f2, k2, { strides: 2, padding: 'same' }));
    x = b.dropout(b.activation(x, 'relu'), 0.25);
  }
  x = b.batchNorm(b.conv(x, 256, 1, { padding: 'same' }));
  x = b.conv(x, 128, 3, { strides: 2, padding: 'same' });
  x = b.batchNorm(b.conv(x, 256, 1, { padding: 'same' }));
  x = b.conv(x, classes, 3, { strides: 2, padding: 'same' });
  return finish(b, input, [b.activation(b.flatten(x), 'softmax', 'predictions')], ['predictions'], 'simpler_CNN');
}

/** Residual module of tiny- and mini-Xception: two separable convolutions, max-pool, 1x1 strided shortcut. */
function xceptionModule(b: GraphBuilder, x: Symbolic, filters: number, reluFirst = false): Symbolic {
  const residual = b.batchNorm(b.conv(x, filters, 1, { strides: 2, padding: 'same', bias: false }));
  let y = reluFirst ? b.activation(x, 'relu') : x;
  y = b.activation(b.batchNorm(b.separable(y, filters, 3)), 'relu');
  y = b.batchNorm(b.separable(y, filters, 3));
  return b.add(b.maxPool(y, 3, 2), residual);
}

/** tiny- (base 5/8 filters) and mini-Xception (8/16): stem of two 3x3 convs, four modules. */
function xceptionBackbone(b: GraphBuilder, input: Symbolic, stem: number, first: number): Symbolic {
  let x = b.activation(b.batchNorm(b.conv(input, stem, 3, { bias: false, l2: 0.01 })), 'relu');
  x = b.activation(b.batchNorm(b.conv(x, stem, 3, { bias: false, l2: 0.01 })), 'relu');
  for (let i = 0; i < 4; i++) x = xceptionModule(b, x, first * 2 ** i);
  return x;
}

function smallXception(b: GraphBuilder, shape: readonly number[], classes: number, stem: number, first: number, name: string): BuiltModel {
  const input = b.input(shape);
  const x = xceptionBackbone(b, input, stem, first);
  return finish(b, input, [classifier(b, x, classes, 'predictions')], ['predictions'], name);
}

function bigXception(b: GraphBuilder, shape: readonly number[], classes: number): BuiltModel {
  const input = b.input(shape);
  let x = b.activation(b.batchNorm(b.conv(input, 32, 3, { strides: 2, bias: false }), 'block1_conv1_bn'), 'relu', 'block1_conv1_act');
  x = b.activation(b.batchNorm(b.conv(x, 64, 3, { bias: false }), 'block1_conv2_bn'), 'relu', 'block1_conv2_act');
  x = xceptionModule(b, x, 128);
  x = xceptionModule(b, x, 256, true);
  return finish(b, input, [classifier(b, x, classes, 'predictions')], ['predictions'], 'big_XCEPTION');
}

export interface ArchitectureOptions {
  /** [height, width, channels] */
  inputShape: readonly number[];
  classes: number;
  seed: number;
}

export function buildArchitecture(name: ArchitectureName, options: ArchitectureOptions): BuiltModel {
  const b = new GraphBuilder(options.seed);
  const { inputShape: shape, classes } = options;
  switch (name) {
    case 'simple-cnn':
      return simpleCnn(b, shape, classes);
    case 'simpler-cnn':
      return simplerCnn(b, shape, classes);
    case 'tiny-xception':
      return smallXception(b, shape, classes, 5, 8, 'tiny_XCEPTION');
    case 'mini-xception':
      return smallXception(b, shape, classes, 8, 16, 'mini_XCEPTION');
    case 'big-xception':
      return bigXception(b, shape, classes);
  }
}

/**
 * mini-Xception with one shared backbone and two heads (emotion, gender), each the authors'
 * classifier (3x3 conv to the class count, global average pooling, softmax): one forward pass
 * answers both tasks.
 */
export function buildDualHeadMiniXception(options: { inputShape: readonly number[]; emotionClasses: number; genderClasses: number; seed: number }): BuiltModel {
  const b = new GraphBuilder(options.seed);
  const input = b.input(options.inputShape);
  const x = xceptionBackbone(b, input, 8, 16);
  const emotion = classifier(b, x, options.emotionClasses, 'emotion_predictions');
  const gender = classifier(b, x, options.genderClasses, 'gender_predictions');
  return finish(b, input, [emotion, gender], ['emotion_predictions', 'gender_predictions'], 'dual_mini_XCEPTION');
}
