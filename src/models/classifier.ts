import * as tf from '@tensorflow/tfjs';
import { ModelFileError } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { importKerasModel } from './keras/import.js';
import { customManifest, defaultManifest, type ModelManifest } from './manifest.js';
import type { Network } from './network.js';
import { resolveModel, type ResolveOptions } from './resolve.js';
import type { Scaling } from '../vision/preprocess.js';
import type { Config } from '../config/schema.js';

export type HeadTask = 'emotion' | 'gender';

/** One head's answer for one face. */
export interface Classification {
  label: string;
  confidence: number;
  /** Softmax score per class, in the model's class order (see `labels`). */
  scores: number[];
}

const DEFAULT_LABELS: Record<HeadTask, string[]> = {
  emotion: ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'],
  gender: ['woman', 'man'],
};

export interface LoadHeadOptions extends ResolveOptions {
  batchSize?: number;
  log?: Logger;
}

/**
 * Faces (each `size` floats, row-major [h, w, 1]) in one array: the layout of a [n, h, w, 1] batch,
 * which every inference engine takes.
 */
export function packFaces(faces: readonly Float32Array[], size: number, task: HeadTask): Float32Array {
  const data = new Float32Array(faces.length * size);
  faces.forEach((face, i) => {
    if (face.length !== size) throw new Error(`face input ${i} has ${face.length} values, the ${task} model needs ${size}`);
    data.set(face, i * size);
  });
  return data;
}

/** One Classification per face from softmax scores laid out [count, labels.length]. */
export function toClassifications(probabilities: Float32Array, labels: readonly string[], count: number): Classification[] {
  const classes = labels.length;
  const results: Classification[] = [];
  for (let i = 0; i < count; i++) {
    const scores = Array.from(probabilities.subarray(i * classes, (i + 1) * classes));
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[c]! > scores[best]!) best = c;
    results.push({ label: labels[best]!, confidence: scores[best]!, scores });
  }
  return results;
}

/** How the configured heads are found and batched. */
export function headLoadOptions(config: Config, log?: Logger): LoadHeadOptions {
  return { directory: config['models.directory'] || undefined, download: config['models.download'], batchSize: config['models.batch_size'], log };
}

/**
 * A classifier head (emotion or gender): an imported Keras model plus its manifest. `predict` takes
 * preprocessed face inputs and runs them through the network in batches.
 */
export class ClassifierHead {
  /** Network invocations so far (one per batch): tests and diagnostics read it. */
  calls = 0;

  private constructor(
    readonly task: HeadTask,
    readonly manifest: ModelManifest,
    readonly network: Network,
    readonly path: string,
    readonly batchSize: number,
  ) {}

  static async load(task: HeadTask, spec: string | undefined, options: LoadHeadOptions = {}): Promise<ClassifierHead> {
    const log = options.log ?? silentLogger;
    const resolved = await resolveModel(spec || defaultManifest(task).id, options);
    if (resolved.manifest && resolved.manifest.format !== 'keras-hdf5') {
      throw new ModelFileError(resolved.path, `is a ${resolved.manifest.task} model (${resolved.manifest.format}), not a Keras ${task} classifier`);
    }
    if (resolved.manifest && resolved.manifest.task !== task) {
      throw new ModelFileError(resolved.path, `is the ${resolved.manifest.task} model ${resolved.manifest.id} (labels ${resolved.manifest.labels.join(', ')}), not ${task === 'emotion' ? 'an' : 'a'} ${task} model; give it as ${resolved.manifest.task}.model`);
    }
    const network = await importKerasModel(resolved.path);
    const classes = tf.tidy(() => network.forward(tf.zeros([1, ...network.inputShape]) as tf.Tensor4D).logits.shape[1]!);
    // A file without a manifest can only be told by its outputs: one per class of the task.
    if (!resolved.manifest && classes !== DEFAULT_LABELS[task].length) {
      network.dispose();
      const other = (Object.keys(DEFAULT_LABELS) as HeadTask[]).find((t) => t !== task && DEFAULT_LABELS[t].length === classes);
      throw new ModelFileError(resolved.path, `has ${classes} outputs; a ${task} model has ${DEFAULT_LABELS[task].length} (${DEFAULT_LABELS[task].join(', ')})${other ? `: it looks like ${other === 'emotion' ? 'an' : 'a'} ${other} model` : ''}`);
    }
    const manifest = resolved.manifest ?? customManifest(resolved.path, task, DEFAULT_LABELS[task], network.inputShape);
    if (manifest.labels.length !== classes) {
      network.dispose();
      throw new ModelFileError(resolved.path, `has ${classes} outputs but its manifest lists ${manifest.labels.length} labels`);
    }
    if (network.inputShape[2] !== 1) {
      network.dispose();
      throw new ModelFileError(resolved.path, `expects ${network.inputShape[2]} input channels; face heads take gray images (1 channel)`);
    }
    log.info({ head: task, model: manifest.id, path: resolved.path, source: resolved.source, parameters: network.parameterCount, input: network.inputShape }, 'model loaded');
    return new ClassifierHead(task, manifest, network, resolved.path, options.batchSize ?? 32);
  }

  get labels(): string[] {
    return this.manifest.labels;
  }

  get inputHeight(): number {
    return this.network.inputShape[0];
  }

  get inputWidth(): number {
    return this.network.inputShape[1];
  }

  get scaling(): Scaling {
    return this.manifest.preprocessing?.scale ?? 'minus-one-to-one';
  }

  /** Pack preprocessed faces (each inputHeight*inputWidth floats) into one [n, h, w, 1] tensor. */
  toBatch(faces: readonly Float32Array[]): tf.Tensor4D {
    return tf.tensor4d(packFaces(faces, this.inputHeight * this.inputWidth, this.task), [faces.length, this.inputHeight, this.inputWidth, 1]);
  }

  /** Classify preprocessed faces with TensorFlow.js; one network call per `batchSize` faces. */
  predict(faces: readonly Float32Array[]): Classification[] {
    const results: Classification[] = [];
    for (let start = 0; start < faces.length; start += this.batchSize) {
      const chunk = faces.slice(start, start + this.batchSize);
      this.calls++;
      const probabilities = tf.tidy(() => this.network.forward(this.toBatch(chunk)).probabilities.dataSync() as Float32Array);
      results.push(...toClassifications(probabilities, this.labels, chunk.length));
    }
    return results;
  }

  dispose(): void {
    this.network.dispose();
  }
}
