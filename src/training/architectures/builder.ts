import * as tf from '@tensorflow/tfjs';
import { FastBatchNormalization } from './batch-norm.js';

type Symbolic = tf.SymbolicTensor;
type Pair = [number, number];

/** A kernel the loss penalises with Keras's l2(coefficient): coefficient * sum(w^2). */
export interface L2Penalty {
  layer: string;
  coefficient: number;
}

/**
 * Builds a tf.layers graph with Keras 2's layer names (conv2d_1, batch_normalization_1, ...) and
 * Keras's defaults (glorot-uniform kernels, batch norm momentum 0.99 and epsilon 1e-3), so the saved
 * model_config reads like the authors' files. Every initialiser is seeded from one seed.
 */
export class GraphBuilder {
  readonly penalties: L2Penalty[] = [];
  private readonly counters = new Map<string, number>();
  private nextSeed: number;

  constructor(seed: number) {
    this.nextSeed = seed;
  }

  name(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}_${n}`;
  }

  private glorot(): ReturnType<typeof tf.initializers.glorotUniform> {
    this.nextSeed = (this.nextSeed * 1103515245 + 12345) % 2147483648;
    return tf.initializers.glorotUniform({ seed: this.nextSeed });
  }

  input(shape: readonly number[]): Symbolic {
    return tf.input({ shape: [...shape], name: this.name('input') });
  }

  conv(x: Symbolic, filters: number, kernel: number, options: { strides?: number; padding?: 'same' | 'valid'; bias?: boolean; l2?: number; name?: string } = {}): Symbolic {
    const name = options.name ?? this.name('conv2d');
    if (options.l2) this.penalties.push({ layer: name, coefficient: options.l2 });
    return tf.layers.conv2d({
      name, filters, kernelSize: kernel, strides: options.strides ?? 1, padding: options.padding ?? 'valid', useBias: options.bias ?? true,
      kernelInitializer: this.glorot(),
    }).apply(x) as Symbolic;
  }

  separable(x: Symbolic, filters: number, kernel: number, options: { bias?: boolean } = {}): Symbolic {
    return tf.layers.separableConv2d({
      name: this.name('separable_conv2d'), filters, kernelSize: kernel, padding: 'same', useBias: options.bias ?? false,
      depthwiseInitializer: this.glorot(), pointwiseInitializer: this.glorot(),
    }).apply(x) as Symbolic;
  }

  batchNorm(x: Symbolic, name?: string): Symbolic {
    return new FastBatchNormalization({ name: name ?? this.name('batch_normalization'), axis: -1, momentum: 0.99, epsilon: 1e-3 }).apply(x) as Symbolic;
  }

  activation(x: Symbolic, activation: 'relu' | 'softmax', name?: string): Symbolic {
    return tf.layers.activation({ name: name ?? this.name('activation'), activation }).apply(x) as Symbolic;
  }

  maxPool(x: Symbolic, pool: number, strides: number): Symbolic {
    return tf.layers.maxPooling2d({ name: this.name('max_pooling2d'), poolSize: pool, strides, padding: 'same' }).apply(x) as Symbolic;
  }

  avgPool(x: Symbolic, pool: Pair): Symbolic {
    return tf.layers.averagePooling2d({ name: this.name('average_pooling2d'), poolSize: pool, padding: 'same' }).apply(x) as Symbolic;
  }

  dropout(x: Symbolic, rate: number): Symbolic {
    this.nextSeed = (this.nextSeed * 1103515245 + 12345) % 2147483648;
    return tf.layers.dropout({ name: this.name('dropout'), rate, seed: this.nextSeed }).apply(x) as Symbolic;
  }

  add(a: Symbolic, b: Symbolic): Symbolic {
    return tf.layers.add({ name: this.name('add') }).apply([a, b]) as Symbolic;
  }

  globalAvgPool(x: Symbolic): Symbolic {
    return tf.layers.globalAveragePooling2d({ name: this.name('global_average_pooling2d') }).apply(x) as Symbolic;
  }

  flatten(x: Symbolic): Symbolic {
    return tf.layers.flatten({ name: this.name('flatten') }).apply(x) as Symbolic;
  }
}
