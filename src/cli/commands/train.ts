import os from 'node:os';
import type { Command, OptionValues } from '../command.js';
import { UsageError } from '../command.js';
import { initBackend, BACKENDS, type BackendChoice } from '../../backend.js';
import { DATASET_FORMATS, type DatasetFormat } from '../../evaluation/datasets.js';
import { epochEta, isTenth, progressText } from '../../training/callbacks/progress.js';
import { stderrLines } from '../terminal.js';
import { ensureFolder } from '../output_paths.js';
import { TRAINABLE, trainModel, type DataSpec, type TrainableArchitecture } from '../../training/run.js';

function numberFlag(values: OptionValues, flag: string, fallback: number, check: (n: number) => boolean, rule: string): number {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${flag} must be ${rule}, got ${JSON.stringify(raw)}`);
  return n;
}

/** Gradient threads by default: the cores available, no more than this (the step's slices shrink). */
const MAX_DEFAULT_WORKERS = 4;
const positiveInteger = (n: number): boolean => Number.isInteger(n) && n > 0;

function choice<T extends string>(values: OptionValues, flag: string, allowed: readonly T[], fallback: T): T {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  if (!allowed.includes(raw as T)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

function dataSpec(values: OptionValues, path: string, prefix: '' | 'gender-'): DataSpec {
  const labels = values[`${prefix}labels`] as string | undefined;
  return {
    path,
    format: choice<DatasetFormat>(values, `${prefix}format`, DATASET_FORMATS, 'auto'),
    labels: labels ? labels.split(',').map((l) => l.trim()).filter(Boolean) : undefined,
    validation: values[`${prefix}val`] as string | undefined,
    valSplit: numberFlag(values, 'val-split', 0.2, (n) => n >= 0 && n < 1, 'a fraction in [0, 1)'),
    pad: numberFlag(values, `${prefix}pad`, 0, (n) => n >= 0 && n <= 2, 'a fraction between 0 and 2'),
    maxSamples: values['max-samples'] === undefined ? undefined : numberFlag(values, 'max-samples', 0, positiveInteger, 'a positive integer'),
  };
}

export const trainCommand: Command = {
  name: 'train',
  interruptible: true,
  summary: 'train one of the paper\'s CNNs (simple CNN ... big-Xception, dual-head mini-Xception) on a labelled dataset',
  usage: 'DATASET --out DIR [--architecture mini-xception] [--val DATASET | --val-split 0.2] [options]',
  details: [
    'DATASET: a folder per class (FOLDER/<class>/<image>, as ../shared/testdata/fer2013-train), FER-2013\'s CSV',
    '(emotion,pixels,Usage: Training trains, PublicTest validates), a folder of UTKFace chips (age_gender_race_...),',
    'or a CSV index of path,label rows. Images are read with OpenCV and preprocessed as at inference: gray, bilinear',
    'resize to --input-size, scaled to [-1, 1].',
    '',
    'Training follows the authors\' train_emotion_classifier.py: Adam (lr 0.001), categorical cross-entropy plus the',
    'architecture\'s l2 penalties, batches of 32, augmentation (rotation 10 degrees, width/height shift 0.1, zoom 0.1,',
    'horizontal flip), validation after every epoch, the learning rate divided by 10 after 12 epochs without a lower',
    'validation loss, early stopping after 50.',
    '',
    'Writes into DIR: model.hdf5 + model.manifest.json (the best epoch by validation loss; classify, detect, explain,',
    'evaluate and the ROS node load it like a released model: --emotion-model DIR/model.hdf5), training.csv (one row per',
    'epoch: seconds, lr, loss, acc, val_loss, val_acc), checkpoint/ (weights, Adam state, epoch: --resume continues).',
    'dual-mini-xception writes emotion.hdf5 and gender.hdf5 (each head with the shared backbone) instead of model.hdf5.',
    'Prints one JSON line per epoch and a summary line; on a terminal, a progress bar with loss, accuracy and time left.',
    '',
    'Example (the paper\'s emotion model from scratch):',
    '  face-classification train ../shared/testdata/fer2013-train --val ../shared/testdata/fer2013-publictest --out runs/fer',
  ].join('\n'),
  options: {
    'out': { type: 'string', short: 'o' },
    'architecture': { type: 'string', short: 'a' },
    'format': { type: 'string' },
    'labels': { type: 'string' },
    'val': { type: 'string' },
    'val-split': { type: 'string' },
    'pad': { type: 'string' },
    'head': { type: 'string' },
    'gender-data': { type: 'string' },
    'gender-format': { type: 'string' },
    'gender-labels': { type: 'string' },
    'gender-val': { type: 'string' },
    'gender-pad': { type: 'string' },
    'init-weights': { type: 'string' },
    'input-size': { type: 'string' },
    'epochs': { type: 'string' },
    'batch-size': { type: 'string' },
    'learning-rate': { type: 'string' },
    'patience': { type: 'string' },
    'lr-patience': { type: 'string' },
    'lr-factor': { type: 'string' },
    'no-augment': { type: 'boolean' },
    'seed': { type: 'string' },
    'max-samples': { type: 'string' },
    'resume': { type: 'boolean' },
    'name': { type: 'string' },
    'backend': { type: 'string' },
    'workers': { type: 'string' },
  },
  help: {
    'out': 'output folder (required): model.hdf5, model.manifest.json, training.csv, checkpoint/',
    'architecture': `${TRAINABLE.join(' | ')} (default mini-xception)`,
    'format': `dataset format: ${DATASET_FORMATS.join(' | ')} (default auto: by the path)`,
    'labels': 'class names in output order, comma-separated (default: FER-2013\'s order, or woman,man, or sorted)',
    'val': 'validation dataset (same format); default: the dataset\'s own split (FER-2013 CSV), else --val-split',
    'val-split': 'fraction held out for validation, chosen with the seed, when there is no --val (default 0.2)',
    'pad': 'widen every crop by this fraction per side, edge-replicated (UTKFace chips are tight; default 0)',
    'head': 'task written in the manifest: emotion | gender (default: gender for woman,man labels, else emotion)',
    'gender-data': 'dual-mini-xception: the gender head\'s dataset (e.g. UTKFace chips)',
    'gender-format': 'dual-mini-xception: format of --gender-data (default auto)',
    'gender-labels': 'dual-mini-xception: class names of --gender-data (default woman,man)',
    'gender-val': 'dual-mini-xception: validation dataset of the gender head (default: --val-split of --gender-data)',
    'gender-pad': 'dual-mini-xception: crop widening of the gender images (default 0)',
    'init-weights': 'start from a Keras file\'s weights, layer by layer by name (fine-tuning; a dual-head backbone from a trained emotion model); layers it lacks keep their initial weights',
    'input-size': 'network input, HxW or one number (default 64, the released models\' 64x64)',
    'epochs': 'most epochs to run (default 100; the authors set 10000 and let early stopping end it)',
    'batch-size': 'images per Adam step (default 32)',
    'learning-rate': 'Adam\'s initial learning rate (default 0.001)',
    'patience': 'early stopping: epochs without a lower validation loss (default 50)',
    'lr-patience': 'epochs without a lower validation loss before the learning rate drops (default 12)',
    'lr-factor': 'learning-rate multiplier on a plateau (default 0.1)',
    'no-augment': 'train on the images as they are',
    'seed': 'seed of the initial weights, the shuffling, the split and the augmentation (default 1)',
    'max-samples': 'use at most this many training and validation samples, chosen with the seed (quick runs)',
    'resume': 'continue from DIR/checkpoint (weights, Adam state, learning rate, epoch) when there is one',
    'name': 'model id written in the manifest (default <architecture>-<dataset folder>)',
    'backend': `${BACKENDS.join(' | ')} (default auto: native TensorFlow if installed, else wasm; cpu is ~100x slower)`,
    'workers': `wasm: threads sharing each batch, one core each (default: the cores available, at most ${MAX_DEFAULT_WORKERS}; 1 = this thread alone; other backends always 1)`,
  },
  async run(values, positionals, context) {
    if (positionals.length !== 1) throw new UsageError('give one dataset (a folder per class, a FER-2013 CSV, UTKFace chips or a path,label CSV)');
    const outDir = values['out'] as string | undefined;
    if (!outDir) throw new UsageError('--out DIR is required (the model, its manifest, the CSV log and the checkpoint go there)');
    ensureFolder('out', outDir);
    const architecture = choice<TrainableArchitecture>(values, 'architecture', TRAINABLE, 'mini-xception');
    const sizeText = (values['input-size'] as string | undefined) ?? '64';
    const size = /^(\d+)(?:x(\d+))?$/.exec(sizeText);
    if (!size || Number(size[1]) < 16 || Number(size[2] ?? size[1]) < 16) throw new UsageError(`--input-size must be HxW or one number, at least 16, got ${JSON.stringify(sizeText)}`);
    const genderPath = values['gender-data'] as string | undefined;
    const head = values['head'] === undefined ? undefined : choice(values, 'head', ['emotion', 'gender'] as const, 'emotion');
    const backend = choice<BackendChoice>(values, 'backend', BACKENDS, 'auto');
    const request = {
      architecture,
      data: dataSpec(values, positionals[0]!, ''),
      genderData: genderPath ? dataSpec(values, genderPath, 'gender-') : undefined,
      task: head,
      inputSize: [Number(size[1]), Number(size[2] ?? size[1])] as [number, number],
      epochs: numberFlag(values, 'epochs', 100, positiveInteger, 'a positive integer'),
      batchSize: numberFlag(values, 'batch-size', 32, positiveInteger, 'a positive integer'),
      learningRate: numberFlag(values, 'learning-rate', 0.001, (n) => n > 0 && n < 1, 'a number in (0, 1)'),
      patience: numberFlag(values, 'patience', 50, (n) => Number.isInteger(n) && n >= 0, 'a whole number of epochs'),
      lrPatience: numberFlag(values, 'lr-patience', 12, (n) => Number.isInteger(n) && n >= 0, 'a whole number of epochs'),
      lrFactor: numberFlag(values, 'lr-factor', 0.1, (n) => n > 0 && n < 1, 'a factor in (0, 1)'),
      augment: !values['no-augment'],
      seed: numberFlag(values, 'seed', 1, (n) => Number.isInteger(n) && n >= 0, 'a whole number'),
      outDir,
      resume: Boolean(values['resume']),
      name: values['name'] as string | undefined,
      initWeights: values['init-weights'] as string | undefined,
      workers: numberFlag(values, 'workers', Math.min(MAX_DEFAULT_WORKERS, os.availableParallelism()), positiveInteger, 'a positive integer'),
    };
    await initBackend(backend, context.log);
    // A terminal gets a redrawn status line; a log file a line at every tenth of an epoch.
    let lastDraw = 0;
    const onBatch = (p: Parameters<typeof progressText>[0]): void => {
      if (stderrLines.isTTY) {
        const now = performance.now();
        if (now - lastDraw >= 100 || p.batch === p.batches) {
          stderrLines.draw(progressText(p));
          lastDraw = now;
        }
      } else if (isTenth(p)) {
        context.log.info({ epoch: p.epoch, batch: p.batch, batches: p.batches, loss: p.loss, acc: p.accuracy, elapsed: Math.round(p.elapsed), eta: Math.round(epochEta(p)) }, 'training progress');
      }
    };
    const outcome = await trainModel(request, {
      log: context.log,
      interrupted: context.interrupted,
      onBatch,
      onEpochEnd: () => stderrLines.endStatus(),
      onEpoch: (metrics) => context.emit(metrics),
    });
    context.emit({
      done: true, backend: outcome.backend, workers: outcome.workers, architecture, parameters: outcome.parameters, epochs: outcome.epochsDone, bestEpoch: outcome.bestEpoch,
      stoppedEarly: outcome.stoppedEarly, interrupted: outcome.interrupted, trainSamples: outcome.trainSamples, validationSamples: outcome.validationSamples,
      unreadable: outcome.unreadable, models: outcome.models.map((m) => ({ file: m.file, id: m.manifest.id, task: m.manifest.task, valAccuracy: m.manifest.reportedAccuracy })),
    });
    return outcome.unreadable > 0 ? 1 : 0;
  },
};
