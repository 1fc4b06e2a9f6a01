import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ModelFileError } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { importKerasModel } from './keras/import.js';
import { customManifest, defaultManifest, sidecarManifestPath, type ModelManifest } from './manifest.js';
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
 * One model file's imported network and the heads that read it: a dual model (one backbone, an
 * emotion and a gender classifier) is loaded once and both its heads share this, so one forward
 * pass can answer both. The network is disposed when its last head is.
 */
export class LoadedModel {
  /** Forward passes of this network so far (one per batch, however many heads it answered). */
  calls = 0;
  private users = 0;
  private readonly views = new Map<string, Network>();

  constructor(
    readonly network: Network,
    readonly path: string,
  ) {}

  /** The network answering these outputs, in this order, with only the layers they need (cached; shares the weights). */
  answering(outputs: readonly string[]): Network {
    const key = outputs.join('\n');
    let view = this.views.get(key);
    if (!view) this.views.set(key, (view = this.network.select(outputs)));
    return view;
  }

  retain(): void {
    this.users++;
  }

  release(): void {
    if (--this.users === 0) this.network.dispose();
  }
}

/** Which output of the file a head reads, its classes and manifest. */
interface HeadOutput {
  manifest: ModelManifest;
  output: string;
  labels: string[];
}

const article = (task: string): string => (task === 'emotion' ? 'an' : 'a');

/** Refusals that need only the manifest (before the file is imported). */
function checkManifest(task: HeadTask, file: string, manifest: ModelManifest | undefined): void {
  if (!manifest) return;
  if (manifest.format !== 'keras-hdf5') throw new ModelFileError(file, `is a ${manifest.task} model (${manifest.format}), not a Keras ${task} classifier`);
  if (manifest.heads) {
    if (!manifest.heads.some((h) => h.task === task)) {
      throw new ModelFileError(file, `is the ${manifest.task} model ${manifest.id} with heads ${manifest.heads.map((h) => `${h.task} (${h.output})`).join(', ')}; it has no ${task} head`);
    }
    return;
  }
  if (manifest.task === 'emotion+gender') throw new ModelFileError(file, `is an ${manifest.task} model but its manifest lists no heads (task, output, labels of each)`);
  if (manifest.task !== task) {
    throw new ModelFileError(file, `is the ${manifest.task} model ${manifest.id} (labels ${manifest.labels.join(', ')}), not ${article(task)} ${task} model; give it as ${manifest.task}.model`);
  }
}

/** The output `task` reads from an imported network, checked against the manifest and the task's classes. */
function headOutput(task: HeadTask, file: string, manifest: ModelManifest | undefined, model: LoadedModel): HeadOutput {
  const network = model.network;
  const entry = manifest?.heads?.find((h) => h.task === task);
  if (!entry && network.outputNames.length > 1) {
    throw new ModelFileError(file, `has ${network.outputNames.length} outputs (${network.outputNames.join(', ')}); a model of several outputs needs a manifest naming its heads (${sidecarManifestPath(file)})`);
  }
  const output = entry?.output ?? network.outputNames[0]!;
  if (!network.outputNames.includes(output)) {
    throw new ModelFileError(file, `its manifest's ${task} head reads output ${output}, which the model does not have (outputs: ${network.outputNames.join(', ')})`);
  }
  const classes = tf.tidy(() => model.answering([output]).forward(tf.zeros([1, ...network.inputShape]) as tf.Tensor4D).outputs[0]!.logits.shape[1]!);
  // A file without a manifest can only be told by its outputs: one per class of the task.
  if (!manifest && classes !== DEFAULT_LABELS[task].length) {
    const other = (Object.keys(DEFAULT_LABELS) as HeadTask[]).find((t) => t !== task && DEFAULT_LABELS[t].length === classes);
    throw new ModelFileError(file, `has ${classes} outputs; a ${task} model has ${DEFAULT_LABELS[task].length} (${DEFAULT_LABELS[task].join(', ')})${other ? `: it looks like ${article(other)} ${other} model` : ''}`);
  }
  const own = manifest ?? customManifest(file, task, DEFAULT_LABELS[task], network.inputShape);
  const labels = entry?.labels ?? own.labels;
  if (labels.length !== classes) throw new ModelFileError(file, `${entry ? `output ${output}` : 'the model'} has ${classes} classes but its manifest lists ${labels.length} labels`);
  if (network.inputShape[2] !== 1) throw new ModelFileError(file, `expects ${network.inputShape[2]} input channels; face heads take gray images (1 channel)`);
  return { manifest: own, output, labels };
}

/**
 * Load the heads named (task -> model id or path; empty: the task's default model). Heads whose
 * models resolve to the same file share ONE imported network: a dual model named for both heads is
 * read once and answers both in one forward pass. On any failure nothing stays loaded.
 */
export async function loadHeads(specs: Partial<Record<HeadTask, string | undefined>>, options: LoadHeadOptions = {}): Promise<Partial<Record<HeadTask, ClassifierHead>>> {
  const log = options.log ?? silentLogger;
  const models = new Map<string, LoadedModel>();
  const heads: Partial<Record<HeadTask, ClassifierHead>> = {};
  try {
    for (const task of ['emotion', 'gender'] as const) {
      if (!(task in specs)) continue;
      const resolved = await resolveModel(specs[task] || defaultManifest(task).id, options);
      checkManifest(task, resolved.path, resolved.manifest);
      const key = path.resolve(resolved.path);
      const shared = models.get(key);
      let model = shared;
      if (!model) {
        model = new LoadedModel(await importKerasModel(resolved.path), resolved.path);
        // Owned by the map until a head takes it: a refusal below then releases it.
        model.retain();
        models.set(key, model);
      }
      const found = headOutput(task, resolved.path, resolved.manifest, model);
      const head = new ClassifierHead(task, found.manifest, found.labels, model, found.output, resolved.path, options.batchSize ?? 32);
      heads[task] = head;
      log.info({ head: task, model: found.manifest.id, path: resolved.path, source: resolved.source, output: found.output, shared: shared !== undefined, parameters: model.network.parameterCount, input: model.network.inputShape }, 'model loaded');
    }
  } catch (error) {
    for (const head of Object.values(heads)) head.dispose();
    throw error;
  } finally {
    // The map's hold: each model now lives as long as its heads.
    for (const model of models.values()) model.release();
  }
  return heads;
}

/**
 * Classify the same faces with heads that share one network (a dual model's two heads, or one
 * head): one forward pass per `batchSize` faces answers every head given. One list per head.
 */
export function predictHeads(heads: readonly ClassifierHead[], faces: readonly Float32Array[]): Classification[][] {
  const first = heads[0];
  if (!first) return [];
  if (heads.some((h) => h.model !== first.model)) throw new Error(`heads ${heads.map((h) => h.task).join(', ')} do not share one network; classify them one by one`);
  const network = first.model.answering(heads.map((h) => h.output));
  const results: Classification[][] = heads.map(() => []);
  for (let start = 0; start < faces.length; start += first.batchSize) {
    const chunk = faces.slice(start, start + first.batchSize);
    first.model.calls++;
    const probabilities = tf.tidy(() => network.forward(first.toBatch(chunk)).outputs.map((o) => o.probabilities.dataSync() as Float32Array));
    heads.forEach((head, i) => results[i]!.push(...toClassifications(probabilities[i]!, head.labels, chunk.length)));
  }
  return results;
}

/**
 * A classifier head (emotion or gender): one output of an imported Keras model plus its manifest.
 * `predict` takes preprocessed face inputs and runs them through the network in batches.
 */
export class ClassifierHead {
  /** The network of this head alone: the model's, or for a dual model its one-output view (explanations differentiate it). */
  readonly network: Network;
  private disposed = false;

  /** Made by loadHeads (or ClassifierHead.load), which shares a model between the heads that name it. */
  constructor(
    readonly task: HeadTask,
    readonly manifest: ModelManifest,
    readonly labels: string[],
    /** The imported file, shared with the other head when both name the same dual model. */
    readonly model: LoadedModel,
    /** The output layer this head reads. */
    readonly output: string,
    readonly path: string,
    readonly batchSize: number,
  ) {
    this.network = model.answering([output]);
    model.retain();
  }

  static async load(task: HeadTask, spec: string | undefined, options: LoadHeadOptions = {}): Promise<ClassifierHead> {
    return (await loadHeads({ [task]: spec }, options))[task]!;
  }

  /** Network invocations so far (one per batch) of this head's model: tests and diagnostics read it. */
  get calls(): number {
    return this.model.calls;
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
    return predictHeads([this], faces)[0]!;
  }

  /** Releases this head's hold on its model; the network goes with the last head that uses it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.release();
  }
}
