import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FaceClassificationError } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { L2Penalty } from './architectures/builder.js';
import { batchGradients, l2Penalty } from './gradient-step.js';
import { GradientPool, type ChunkRequest } from './parallel/gradient-pool.js';
import { SharedSliceSums, sliceSumsBuffer } from './parallel/slice-sums.js';
import { withSynchronisedBatchNorm } from './architectures/batch-norm.js';
import type { ModelSpec } from './parallel/model-spec.js';
import { randomTransform, type AugmentOptions } from './augmentation.js';
import { CsvLog } from './callbacks/csv-log.js';
import { EarlyStopping, PAPER_REDUCE_LR, ReduceLrOnPlateau, type ReduceLrOptions } from './callbacks/plateau.js';
import type { BatchProgress } from './callbacks/progress.js';
import { CheckpointError, hasCheckpoint, loadCheckpoint, saveCheckpoint, type TrainingState } from './checkpoint.js';
import type { LabelledImages } from './data.js';
import { Random } from './random.js';

/** One head's data: which model output it trains, and its images. */
export interface HeadData {
  /** Short name for logs and CSV columns (emotion, gender, or the output's name). */
  name: string;
  /** Index of the model output this head's loss applies to. */
  output: number;
  train: LabelledImages;
  validation?: LabelledImages;
}

export interface TrainerOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** null: no augmentation. */
  augmentation: AugmentOptions | null;
  /** Early stopping patience in epochs (the authors: 50). */
  patience: number;
  reduceLr?: ReduceLrOptions;
  /** Output folder: checkpoint/, training.csv. */
  outDir: string;
  /** Continue from outDir/checkpoint when there is one. */
  resume: boolean;
  /** Settings that a resumed run must share with the checkpoint (architecture, data, seed...). */
  run: Record<string, string | number | boolean>;
  log?: Logger;
  onBatch?: (progress: BatchProgress) => void;
  onEpochEnd?: () => void;
  /** Each finished epoch's metrics (as written to the CSV log). */
  onEpoch?: (metrics: EpochMetrics) => void;
  /** Called when the monitored validation loss improves: write the best model file. */
  onBest?: (epoch: number, metrics: EpochMetrics) => Promise<void>;
  /** Checked between batches: stop after checkpointing the last finished epoch. */
  interrupted?: { value: boolean };
  /**
   * Threads that compute each batch's gradient (default 1: this thread alone). With N > 1 the
   * batch is cut into N contiguous slices: this thread takes the first, N - 1 worker threads
   * (each its own wasm backend and network, built from `modelSpec`) the others; the gradients
   * are summed in slice order weighted by slice size, and Adam steps once here.
   */
  workers?: number;
  /** The network, for the workers to build (required when workers > 1). */
  modelSpec?: ModelSpec;
}

export type EpochMetrics = Record<string, number>;

export interface TrainResult {
  epochsDone: number;
  bestEpoch: number;
  bestMonitor: number;
  stoppedEarly: boolean;
  interrupted: boolean;
  history: EpochMetrics[];
}

/**
 * The images at `indices` as one [n, h, w, 1] batch with one-hot labels, each image transformed at
 * random (with `rng`) when augmentation is given; labels and sizes never change.
 */
export function trainingBatch(images: LabelledImages, indices: Int32Array, rng: Random | null, augmentation: AugmentOptions | null): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const size = images.height * images.width;
  const classes = images.classes.length;
  const x = new Float32Array(indices.length * size);
  const y = new Float32Array(indices.length * classes);
  indices.forEach((index, i) => {
    const image = images.inputs.subarray(index * size, (index + 1) * size);
    x.set(rng && augmentation ? randomTransform(image, images.height, images.width, rng, augmentation) : image, i * size);
    y[i * classes + images.labels[index]!] = 1;
  });
  return { x: tf.tensor4d(x, [indices.length, images.height, images.width, 1]), y: tf.tensor2d(y, [indices.length, classes]) };
}

interface Batch {
  head: number;
  indices: Int32Array;
}

/**
 * Keras-style training of a tf.layers model on one or more heads: Adam, categorical cross-entropy
 * (plus the model's l2 penalties), the paper's augmentation, validation after each epoch,
 * ReduceLROnPlateau, EarlyStopping, best-model and resumable checkpoints, a CSV log.
 *
 * Two heads (the dual mini-Xception) train by alternating batches: an emotion batch, then a
 * gender batch, while both have batches left; each batch's loss is its own head's. The other
 * head's weights get zero gradient on that step (as with a masked loss), so Adam sees every
 * variable on every step.
 */
export class Trainer {
  private readonly variables: tf.Variable[];
  private readonly optimizer: tf.AdamOptimizer;
  private readonly log: Logger;
  /** The threads' shared batch-norm sums (with --workers), made at the first step. */
  private sliceBuffer: SharedArrayBuffer | undefined;

  constructor(
    readonly model: tf.LayersModel,
    readonly heads: readonly HeadData[],
    readonly penalties: readonly L2Penalty[],
    readonly options: TrainerOptions,
  ) {
    this.variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    // Keras 2.0.5's Adam defaults: beta1 0.9, beta2 0.999, epsilon 1e-8.
    this.optimizer = tf.train.adam(options.learningRate, 0.9, 0.999, 1e-8);
    this.log = options.log ?? silentLogger;
  }

  private get learningRate(): number {
    return (this.optimizer as unknown as { learningRate: number }).learningRate;
  }

  private set learningRate(value: number) {
    // AdamOptimizer reads this field on every step; TF.js has no public setter.
    (this.optimizer as unknown as { learningRate: number }).learningRate = value;
  }

  private penalty(): tf.Scalar {
    return l2Penalty(this.model, this.penalties);
  }

  private schedule(rng: Random): Batch[] {
    const perHead = this.heads.map((head, h) => {
      const order = rng.permutation(head.train.count);
      const batches: Batch[] = [];
      for (let start = 0; start < order.length; start += this.options.batchSize) batches.push({ head: h, indices: order.subarray(start, start + this.options.batchSize) });
      return batches;
    });
    const out: Batch[] = [];
    for (let i = 0; perHead.some((b) => i < b.length); i++) for (const batches of perHead) if (i < batches.length) out.push(batches[i]!);
    return out;
  }

  private headOutput(outputs: tf.Tensor | tf.Tensor[], head: HeadData): tf.Tensor2D {
    return (Array.isArray(outputs) ? outputs[head.output]! : outputs) as tf.Tensor2D;
  }

  /** One Adam step on one batch; returns the batch's loss (with penalties) and accuracy. */
  private step(head: HeadData, x: tf.Tensor4D, y: tf.Tensor2D): { loss: number; accuracy: number } {
    return tf.tidy(() => {
      const { value, correct, grads } = batchGradients(this.model, this.variables, this.penalties, head.output, x, y);
      this.optimizer.applyGradients(this.variables.map((v, i) => ({ name: v.name, tensor: grads[i]! })));
      const right = correct.dataSync()[0]!;
      correct.dispose();
      return { loss: value.dataSync()[0]!, accuracy: right / x.shape[0] };
    });
  }

  /**
   * The same step with the batch cut into slices: the first here, the others on the pool's
   * workers at the same time. Batch norm is synchronised across the slices (each normalises with
   * the whole batch's statistics and back-propagates through them), and slice i's loss weighs
   * n_i / n, so the summed gradient is the whole batch's, the penalty counted once: the step on
   * the whole batch, up to the order of float additions. Every thread updates the moving averages
   * with the same batch statistics; this thread's are kept. Fixed slices, fixed summation order:
   * same seed, same result.
   */
  private async parallelStep(pool: GradientPool, head: HeadData, x: tf.Tensor4D, y: tf.Tensor2D): Promise<{ loss: number; accuracy: number }> {
    const n = x.shape[0];
    const slices = Math.min(pool.size + 1, n);
    const sizes = Array.from({ length: slices }, (_, i) => Math.floor(n / slices) + (i < n % slices ? 1 : 0));
    const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
    const share = sizes.map((size) => size / n);
    this.sliceBuffer ??= sliceSumsBuffer(pool.size + 1);
    const weights = this.model.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
    const xData = x.dataSync() as Float32Array;
    const yData = y.dataSync() as Float32Array;
    const [, h, w, c] = x.shape;
    const classes = y.shape[1];
    const chunks: ChunkRequest[] = sizes.slice(1).map((size, i) => {
      const start = starts[i + 1]!;
      return {
        weights, output: head.output, share: share[i + 1]!, sums: this.sliceBuffer!, participants: slices, rank: i + 1,
        x: xData.slice(start * h * w * c, (start + size) * h * w * c), xShape: [size, h, w, c],
        y: yData.slice(start * classes, (start + size) * classes), yShape: [size, classes],
      };
    });
    // Posted before this thread starts its own slice, which waits for theirs at every batch norm.
    const remote = pool.compute(chunks);
    const own = tf.tidy(() => withSynchronisedBatchNorm(new SharedSliceSums(this.sliceBuffer!, slices, 0), () => {
      const xs = tf.slice(x, 0, sizes[0]!);
      const ys = tf.slice(y, 0, sizes[0]!);
      const { value, correct, grads } = batchGradients(this.model, this.variables, this.penalties, head.output, xs, ys, share[0]!);
      const result = { loss: value.dataSync()[0]!, correct: correct.dataSync()[0]!, grads };
      correct.dispose();
      return result;
    }));
    let results;
    try {
      results = await remote;
    } catch (error) {
      tf.dispose(own.grads);
      throw error;
    }
    tf.tidy(() => {
      const summed = this.variables.map((v, k) => results.reduce((total: tf.Tensor, r) => tf.add(total, tf.tensor(r.grads[k]!, v.shape)), own.grads[k]!));
      this.optimizer.applyGradients(this.variables.map((v, k) => ({ name: v.name, tensor: summed[k]! })));
    });
    tf.dispose(own.grads);
    const loss = results.reduce((total, r) => total + r.loss, own.loss);
    const correct = results.reduce((total, r) => total + r.correct, own.correct);
    return { loss, accuracy: correct / n };
  }

  /** Mean loss (with penalties, as Keras's val_loss) and accuracy of one head on held-out images. */
  evaluate(head: HeadData, images: LabelledImages, batchSize = 256): { loss: number; accuracy: number } {
    let lossSum = 0;
    let correct = 0;
    const all = Int32Array.from({ length: images.count }, (_, i) => i);
    for (let start = 0; start < images.count; start += batchSize) {
      const { x, y } = trainingBatch(images, all.subarray(start, start + batchSize), null, null);
      tf.tidy(() => {
        const p = this.headOutput(this.model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[], head);
        lossSum += tf.sum(tf.metrics.categoricalCrossentropy(y, p)).dataSync()[0]!;
        correct += tf.sum(tf.cast(tf.equal(tf.argMax(p, 1), tf.argMax(y, 1)), 'float32')).dataSync()[0]!;
      });
      tf.dispose([x, y]);
    }
    const penalty = tf.tidy(() => this.penalty().dataSync()[0]!);
    return { loss: lossSum / images.count + penalty, accuracy: correct / images.count };
  }

  private columns(): string[] {
    const metrics = this.heads.length === 1 ? [''] : this.heads.map((h) => `${h.name}_`);
    const cols = ['epoch', 'seconds', 'lr'];
    for (const m of metrics) cols.push(`${m}loss`, `${m}acc`);
    for (const m of metrics) if (this.heads.some((h) => h.validation)) cols.push(`val_${m}loss`, `val_${m}acc`);
    if (this.heads.length > 1) cols.push('val_loss');
    return cols;
  }

  private checkRun(state: TrainingState): void {
    for (const [key, value] of Object.entries(this.options.run)) {
      if (key in state.run && state.run[key] !== value) {
        throw new CheckpointError(`checkpoint in ${this.options.outDir}: it was made with ${key}=${String(state.run[key])}, this run has ${key}=${String(value)}; use another --out or the same settings`);
      }
    }
  }

  async train(): Promise<TrainResult> {
    const workers = this.options.workers ?? 1;
    if (workers <= 1) return this.trainWith(undefined);
    if (!this.options.modelSpec) throw new FaceClassificationError('training with workers > 1 needs the model spec (TrainerOptions.modelSpec)');
    const pool = await GradientPool.start(workers - 1, this.options.modelSpec);
    try {
      return await this.trainWith(pool);
    } finally {
      await pool.terminate();
    }
  }

  private async trainWith(pool: GradientPool | undefined): Promise<TrainResult> {
    const { options } = this;
    const checkpointDir = path.join(options.outDir, 'checkpoint');
    fs.mkdirSync(options.outDir, { recursive: true });
    const reduceLr = new ReduceLrOnPlateau(options.reduceLr ?? PAPER_REDUCE_LR);
    const early = new EarlyStopping(options.patience);
    let epoch = 0;
    let bestMonitor = Infinity;
    let bestEpoch = 0;
    if (options.resume && hasCheckpoint(checkpointDir)) {
      const state = await loadCheckpoint(checkpointDir, this.model, this.optimizer);
      this.checkRun(state);
      epoch = state.epochsDone;
      this.learningRate = state.learningRate;
      reduceLr.state = state.reduceLr;
      early.state = state.earlyStopping;
      bestMonitor = state.bestMonitor ?? Infinity;
      bestEpoch = state.bestEpoch;
      this.log.info({ checkpoint: checkpointDir, epochsDone: epoch, lr: this.learningRate, bestEpoch }, 'resuming from checkpoint');
      if (early.stopped) {
        this.log.info({ epochsDone: epoch, patience: options.patience, bestEpoch }, 'already stopped early: nothing to train (a larger --patience goes on)');
        return { epochsDone: epoch, bestEpoch, bestMonitor, stoppedEarly: true, interrupted: false, history: [] };
      }
    }
    const csv = new CsvLog(path.join(options.outDir, 'training.csv'), this.columns());
    csv.resumeAt(epoch + 1);
    const history: EpochMetrics[] = [];
    let stoppedEarly = false;
    let interrupted = false;
    for (; epoch < options.epochs; epoch++) {
      const started = performance.now();
      const rng = new Random(options.seed, epoch + 1);
      const batches = this.schedule(rng);
      const sums = this.heads.map(() => ({ loss: 0, correct: 0, seen: 0 }));
      for (let b = 0; b < batches.length; b++) {
        // Let signal handlers run (Ctrl-C sets `interrupted`): the steps themselves never yield.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (options.interrupted?.value) break;
        const { head: h, indices } = batches[b]!;
        const head = this.heads[h]!;
        const { x, y } = trainingBatch(head.train, indices, rng, this.options.augmentation);
        let result;
        try {
          result = pool ? await this.parallelStep(pool, head, x, y) : this.step(head, x, y);
        } finally {
          tf.dispose([x, y]);
        }
        const { loss, accuracy } = result;
        const s = sums[h]!;
        s.loss += loss * indices.length;
        s.correct += accuracy * indices.length;
        s.seen += indices.length;
        const all = sums.reduce((a, c) => ({ loss: a.loss + c.loss, correct: a.correct + c.correct, seen: a.seen + c.seen }), { loss: 0, correct: 0, seen: 0 });
        options.onBatch?.({ epoch: epoch + 1, epochs: options.epochs, batch: b + 1, batches: batches.length, loss: all.loss / all.seen, accuracy: all.correct / all.seen, elapsed: (performance.now() - started) / 1000 });
      }
      options.onEpochEnd?.();
      if (options.interrupted?.value) {
        interrupted = true;
        this.log.warn({ epoch: epoch + 1 }, 'interrupted: the unfinished epoch is dropped; resume continues from the last checkpoint');
        break;
      }
      const metrics: EpochMetrics = { epoch: epoch + 1, lr: this.learningRate };
      const prefix = (h: HeadData): string => (this.heads.length === 1 ? '' : `${h.name}_`);
      let monitor = 0;
      this.heads.forEach((head, h) => {
        const s = sums[h]!;
        metrics[`${prefix(head)}loss`] = s.loss / Math.max(1, s.seen);
        metrics[`${prefix(head)}acc`] = s.correct / Math.max(1, s.seen);
        if (head.validation) {
          const v = this.evaluate(head, head.validation);
          metrics[`val_${prefix(head)}loss`] = v.loss;
          metrics[`val_${prefix(head)}acc`] = v.accuracy;
          monitor += v.loss;
        } else {
          monitor += metrics[`${prefix(head)}loss`]!;
        }
      });
      if (this.heads.length > 1) metrics['val_loss'] = monitor;
      metrics['seconds'] = (performance.now() - started) / 1000;
      history.push(metrics);
      this.log.info(metrics, 'epoch done');
      if (monitor < bestMonitor) {
        bestMonitor = monitor;
        bestEpoch = epoch + 1;
        await options.onBest?.(epoch + 1, metrics);
      }
      const nextLr = reduceLr.update(monitor, this.learningRate);
      if (nextLr !== this.learningRate) this.log.info({ epoch: epoch + 1, from: this.learningRate, to: nextLr }, 'reducing learning rate on plateau');
      const stop = early.update(monitor);
      csv.append(metrics);
      options.onEpoch?.(metrics);
      this.learningRate = nextLr;
      await saveCheckpoint(checkpointDir, this.model, this.optimizer, {
        version: 1, epochsDone: epoch + 1, learningRate: this.learningRate, run: options.run,
        reduceLr: reduceLr.state, earlyStopping: early.state, bestMonitor, bestEpoch,
      });
      if (stop) {
        stoppedEarly = true;
        this.log.info({ epoch: epoch + 1, patience: options.patience, bestEpoch }, 'early stopping: the validation loss stopped improving');
        epoch++;
        break;
      }
    }
    return { epochsDone: epoch, bestEpoch, bestMonitor, stoppedEarly, interrupted, history };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
