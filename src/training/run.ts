import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { FaceClassificationError } from '../errors.js';
import { DatasetError, GENDER_LABELS, openDataset, type DatasetFormat, type Sample } from '../evaluation/datasets.js';
import { readSidecarManifest, type ModelTask } from '../models/manifest.js';
import { ARCHITECTURES, type ArchitectureName, type BuiltModel } from './architectures/cnn.js';
import { buildFromSpec } from './parallel/model-spec.js';
import { PAPER_AUGMENTATION } from './augmentation.js';
import type { BatchProgress } from './callbacks/progress.js';
import { loadImages, seededSplit, type LabelledImages } from './data.js';
import { exportHead, type TrainedManifest } from './export.js';
import { installWasmTrainingKernels } from './gradients/wasm-kernels.js';
import { hasCheckpoint } from './checkpoint.js';
import { loadMatchingWeightsInto } from './keras-file.js';
import { Random } from './random.js';
import type { ModelSpec } from './parallel/model-spec.js';
import { Trainer, type HeadData, type TrainResult } from './trainer.js';

export const TRAINABLE = [...ARCHITECTURES, 'dual-mini-xception'] as const;
export type TrainableArchitecture = (typeof TRAINABLE)[number];

const ARCHITECTURE_TITLES: Record<TrainableArchitecture, string> = {
  'simple-cnn': 'simple CNN', 'simpler-cnn': 'simpler CNN', 'tiny-xception': 'tiny-Xception', 'mini-xception': 'mini-Xception',
  'big-xception': 'big-Xception', 'dual-mini-xception': 'mini-Xception, dual-head backbone',
};

/** Where one head's images come from. */
export interface DataSpec {
  path: string;
  format?: DatasetFormat;
  labels?: readonly string[];
  /** A separate validation dataset; else the dataset's own split, else a seeded split of valSplit. */
  validation?: string;
  valSplit: number;
  /** Widen each crop by this fraction per side (UTKFace chips are tight). */
  pad?: number;
  /** Use at most this many training (and validation) samples, chosen with the seed. */
  maxSamples?: number;
}

export interface TrainRequest {
  architecture: TrainableArchitecture;
  data: DataSpec;
  /** The gender head's data (dual-mini-xception only). */
  genderData?: DataSpec;
  task?: ModelTask;
  inputSize: [number, number];
  epochs: number;
  batchSize: number;
  learningRate: number;
  patience: number;
  lrPatience: number;
  lrFactor: number;
  augment: boolean;
  seed: number;
  outDir: string;
  resume: boolean;
  name?: string;
  /**
   * Threads computing each batch's gradient on the wasm backend (default 1); other backends use
   * their own threads and always train with 1.
   */
  workers?: number;
  /**
   * A Keras file to start from (fine-tuning, or a dual-head backbone from a trained emotion
   * model): its layers are loaded by name, the others keep their initial weights. Ignored when
   * resuming from a checkpoint, which holds the run's own weights.
   */
  initWeights?: string;
}

export interface TrainOutcome extends TrainResult {
  backend: string;
  /** Gradient threads the run used (1 unless wasm with --workers > 1). */
  workers: number;
  models: { file: string; manifest: TrainedManifest }[];
  parameters: number;
  trainSamples: number[];
  validationSamples: number[];
  unreadable: number;
}

export interface TrainHooks {
  log?: Logger;
  onBatch?: (progress: BatchProgress) => void;
  onEpochEnd?: () => void;
  onEpoch?: (metrics: Record<string, number>) => void;
  interrupted?: { value: boolean };
}

function subset(samples: Sample[], max: number | undefined, seed: number): Sample[] {
  if (!max || samples.length <= max) return samples;
  const order = new Random(seed, 0x5a3e).permutation(samples.length);
  return Array.from(order.subarray(0, max), (i) => samples[i]!).sort((a, b) => (a.file < b.file ? -1 : 1));
}

interface LoadedHead {
  labels: string[];
  source: string;
  train: LabelledImages;
  validation?: LabelledImages;
  unreadable: number;
}

function loadHead(spec: DataSpec, request: TrainRequest, log: Logger): LoadedHead {
  const dataset = openDataset(spec.path, { format: spec.format, labels: spec.labels });
  let train: Sample[];
  let validation: Sample[] = [];
  if (spec.validation) {
    train = dataset.samples;
    validation = openDataset(spec.validation, { format: spec.format, labels: dataset.labels }).samples;
  } else if (dataset.samples.some((s) => s.split)) {
    train = dataset.samples.filter((s) => s.split === 'train');
    validation = dataset.samples.filter((s) => s.split === 'val');
  } else if (spec.valSplit > 0) {
    ({ train, validation } = seededSplit(dataset.samples, spec.valSplit, request.seed));
  } else {
    train = dataset.samples;
  }
  train = subset(train, spec.maxSamples, request.seed);
  validation = subset(validation, spec.maxSamples, request.seed + 1);
  if (train.length === 0) throw new DatasetError(spec.path, 'no training samples');
  const geometry = { height: request.inputSize[0], width: request.inputSize[1], scaling: 'minus-one-to-one' as const, pad: spec.pad };
  const started = performance.now();
  const loaded = loadImages(train, dataset.labels, geometry);
  const loadedVal = validation.length ? loadImages(validation, dataset.labels, geometry) : undefined;
  const unreadable = [...loaded.unreadable, ...(loadedVal?.unreadable ?? [])];
  for (const u of unreadable.slice(0, 20)) log.warn({ file: u.file, reason: u.reason }, 'skipping unreadable sample');
  if (unreadable.length > 20) log.warn({ more: unreadable.length - 20 }, 'more unreadable samples skipped');
  if (loaded.images.count === 0) throw new DatasetError(spec.path, `none of the ${train.length} training samples could be read`);
  log.info({ dataset: spec.path, format: dataset.format, labels: dataset.labels, train: loaded.images.count, validation: loadedVal?.images.count ?? 0, unreadable: unreadable.length, seconds: Math.round(performance.now() - started) / 1000 }, 'dataset loaded');
  return { labels: dataset.labels, source: spec.path, train: loaded.images, validation: loadedVal?.images, unreadable: unreadable.length };
}

function taskOf(labels: readonly string[], requested: ModelTask | undefined): ModelTask {
  if (requested) return requested;
  return labels.length === GENDER_LABELS.length && labels.every((l, i) => l === GENDER_LABELS[i]) ? 'gender' : 'emotion';
}

/**
 * Train one of the paper's architectures on a dataset and write the best model (by validation
 * loss, as the authors' ModelCheckpoint) as released-style files in outDir. On the wasm backend,
 * the gradient kernels it lacks or gets wrong are installed first.
 */
export async function trainModel(request: TrainRequest, hooks: TrainHooks = {}): Promise<TrainOutcome> {
  const log = hooks.log ?? silentLogger;
  const backend = tf.getBackend();
  if (backend === 'wasm') installWasmTrainingKernels();
  const dual = request.architecture === 'dual-mini-xception';
  if (dual && !request.genderData) throw new FaceClassificationError('dual-mini-xception needs a gender dataset (--gender-data) besides the emotion dataset');
  if (!dual && request.genderData) throw new FaceClassificationError('--gender-data is for dual-mini-xception only');
  const first = loadHead(request.data, request, log);
  const second = dual ? loadHead(request.genderData!, request, log) : undefined;
  const inputShape: [number, number, number] = [request.inputSize[0], request.inputSize[1], 1];
  const modelSpec: ModelSpec = dual
    ? { kind: 'dual', inputShape, emotionClasses: first.labels.length, genderClasses: second!.labels.length, seed: request.seed }
    : { kind: 'single', architecture: request.architecture as ArchitectureName, inputShape, classes: first.labels.length, seed: request.seed };
  const built: BuiltModel = buildFromSpec(modelSpec);
  if (request.initWeights && !(request.resume && hasCheckpoint(path.join(request.outDir, 'checkpoint')))) {
    try {
      const { loaded, kept } = await loadMatchingWeightsInto(built.model, request.initWeights);
      log.info({ file: request.initWeights, layersLoaded: loaded.length, layersKept: kept }, 'initial weights loaded');
    } catch (error) {
      built.model.dispose();
      throw error;
    }
  }
  // Gradient workers are for the single-threaded wasm backend; native TensorFlow uses every core.
  const workers = backend === 'wasm' ? Math.max(1, request.workers ?? 1) : 1;
  if (workers !== (request.workers ?? 1)) log.info({ backend, requested: request.workers, workers }, 'gradient workers are for the wasm backend only: training on one thread');
  const tasks: ModelTask[] = dual ? ['emotion', 'gender'] : [taskOf(first.labels, request.task)];
  const loadedHeads = dual ? [first, second!] : [first];
  const heads: HeadData[] = loadedHeads.map((h, i) => ({ name: tasks[i]!, output: i, train: h.train, validation: h.validation }));
  const run = {
    architecture: request.architecture, data: path.resolve(request.data.path), gender: request.genderData ? path.resolve(request.genderData.path) : '',
    input: inputShape.join('x'), classes: loadedHeads.map((h) => h.labels.join('|')).join(' / '), seed: request.seed, batchSize: request.batchSize,
    augment: request.augment, maxSamples: request.data.maxSamples ?? 0,
  };
  const baseName = request.name ?? `${request.architecture}-${path.basename(path.resolve(request.data.path)).replace(/\.[^.]+$/, '')}`;
  // The backend goes in the log and the manifest, not in `run`: a run may resume on another one.
  log.info({ backend, workers, architecture: request.architecture, input: run.input, batchSize: request.batchSize, seed: request.seed, outDir: request.outDir, resume: request.resume }, 'training started');
  const models: TrainOutcome['models'] = [];
  const trainer = new Trainer(built.model, heads, built.penalties, {
    epochs: request.epochs, batchSize: request.batchSize, learningRate: request.learningRate, seed: request.seed,
    augmentation: request.augment ? PAPER_AUGMENTATION : null, patience: request.patience,
    reduceLr: { factor: request.lrFactor, patience: request.lrPatience, minDelta: 1e-4, cooldown: 0, minLr: 0 },
    outDir: request.outDir, resume: request.resume, run, log, workers, modelSpec, onBatch: hooks.onBatch, onEpochEnd: hooks.onEpochEnd, onEpoch: hooks.onEpoch, interrupted: hooks.interrupted,
    onBest: async (epoch, metrics) => {
      models.length = 0;
      for (const [i, output] of built.outputs.entries()) {
        const task = tasks[i]!;
        const file = path.join(request.outDir, dual ? `${task}.hdf5` : 'model.hdf5');
        const accuracy = metrics[dual ? `val_${task}_acc` : 'val_acc'];
        const manifest = await exportHead(built.model, output, built.penalties, file, {
          id: dual ? `${baseName}-${task}` : baseName, task, labels: loadedHeads[i]!.labels, architecture: `${ARCHITECTURE_TITLES[request.architecture]} (trained)`,
          dataset: loadedHeads[i]!.source, inputShape, epoch, metrics, accuracy, settings: { ...run, learningRate: request.learningRate, epochs: request.epochs, backend, workers },
        });
        models.push({ file, manifest });
      }
      if (dual) {
        // Both heads in one file: one forward pass of the shared backbone answers both.
        const file = path.join(request.outDir, 'model.hdf5');
        const heads = tasks.map((task, i) => ({ task: task as 'emotion' | 'gender', output: built.outputs[i]!, labels: [...loadedHeads[i]!.labels] }));
        const manifest = await exportHead(built.model, built.outputs, built.penalties, file, {
          id: baseName, task: 'emotion+gender', labels: heads[0]!.labels, heads, architecture: `${ARCHITECTURE_TITLES[request.architecture]} (trained)`,
          dataset: loadedHeads.map((h) => h.source).join(' + '), inputShape, epoch, metrics, accuracy: metrics['val_emotion_acc'], settings: { ...run, learningRate: request.learningRate, epochs: request.epochs, backend, workers },
        });
        models.push({ file, manifest });
      }
      log.info({ epoch, files: models.map((m) => m.file) }, 'best model so far written');
    },
  });
  try {
    const result = await trainer.train();
    if (models.length === 0) {
      // Resumed without a new best: the best model is the one an earlier run wrote.
      for (const name of dual ? [...tasks, 'model'] : ['model']) {
        const file = path.join(request.outDir, `${name}.hdf5`);
        const manifest = readSidecarManifest(file);
        if (manifest) models.push({ file, manifest: manifest as TrainedManifest });
      }
    }
    return {
      ...result, backend, workers, models, parameters: built.model.countParams(),
      trainSamples: heads.map((h) => h.train.count), validationSamples: heads.map((h) => h.validation?.count ?? 0),
      unreadable: loadedHeads.reduce((a, h) => a + h.unreadable, 0),
    };
  } finally {
    trainer.dispose();
    built.model.dispose();
  }
}
