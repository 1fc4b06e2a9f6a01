import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FaceClassificationError } from '../errors.js';
import type { KerasModelJson } from '../models/keras/hdf5.js';
import { layerWeights, loadWeightsInto, writeKerasHdf5 } from './keras-file.js';
import type { EarlyStoppingState, ReduceLrState } from './callbacks/plateau.js';

/** Everything besides the weights that a resumed run needs to continue as if never stopped. */
export interface TrainingState {
  version: 1;
  /** Epochs finished (the next epoch to run, counting from 0). */
  epochsDone: number;
  learningRate: number;
  /** The run's settings that must not change on resume. */
  run: Record<string, string | number | boolean>;
  reduceLr: ReduceLrState;
  earlyStopping: EarlyStoppingState;
  bestMonitor: number;
  bestEpoch: number;
  optimizer: { name: string; shape: number[]; dtype: 'float32' | 'int32'; offset: number }[];
  /**
   * Adam's running powers beta1^t and beta2^t as float32 values. TF.js's setWeights recomputes
   * them as pow(beta, t), which differs in the last bits from the running product: without them a
   * resumed run drifts from the uninterrupted one. Absent in older checkpoints.
   */
  adamPowers?: [number, number];
}

/** The fields of TF.js's AdamOptimizer that hold beta1^t and beta2^t (not in getWeights). */
interface AdamPowers {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

const MODEL_FILE = 'model.hdf5';
const STATE_FILE = 'state.json';
const OPTIMIZER_FILE = 'optimizer.bin';

export class CheckpointError extends FaceClassificationError {}

/** The model_config of a whole tf.layers model, every output included (a checkpoint, not a released-style file). */
export function wholeModelConfig(model: tf.LayersModel): KerasModelJson {
  return model.toJSON(null, false) as unknown as KerasModelJson;
}

/**
 * Save weights (Keras HDF5), Adam's moments and iteration count, and the trainer's state into
 * `dir`, replacing the previous checkpoint only once the new one is complete.
 */
export async function saveCheckpoint(dir: string, model: tf.LayersModel, optimizer: tf.Optimizer, state: Omit<TrainingState, 'optimizer' | 'adamPowers'>): Promise<void> {
  const staging = `${dir}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  await writeKerasHdf5(path.join(staging, MODEL_FILE), wholeModelConfig(model), layerWeights(model));
  const named = await optimizer.getWeights();
  const index: TrainingState['optimizer'] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const { name, tensor } of named) {
    const values = tensor.dtype === 'int32' ? Int32Array.from(tensor.dataSync()) : Float32Array.from(tensor.dataSync());
    index.push({ name, shape: [...tensor.shape], dtype: tensor.dtype === 'int32' ? 'int32' : 'float32', offset });
    chunks.push(Buffer.from(values.buffer));
    offset += values.byteLength;
  }
  fs.writeFileSync(path.join(staging, OPTIMIZER_FILE), Buffer.concat(chunks));
  const { accBeta1, accBeta2 } = optimizer as unknown as AdamPowers;
  // float32 -> JSON number -> float32 is exact.
  const adamPowers = accBeta1 && accBeta2 ? [accBeta1.dataSync()[0]!, accBeta2.dataSync()[0]!] : undefined;
  fs.writeFileSync(path.join(staging, STATE_FILE), JSON.stringify({ ...state, optimizer: index, adamPowers }, null, 1));
  const old = `${dir}.old-${process.pid}`;
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(staging, dir);
  fs.rmSync(old, { recursive: true, force: true });
}

export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, STATE_FILE));
}

/** Load a checkpoint into a freshly built model and optimizer; returns the trainer's state. */
export async function loadCheckpoint(dir: string, model: tf.LayersModel, optimizer: tf.Optimizer): Promise<TrainingState> {
  const stateFile = path.join(dir, STATE_FILE);
  if (!fs.existsSync(stateFile)) throw new CheckpointError(`checkpoint ${dir}: no ${STATE_FILE} (nothing to resume)`);
  const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as TrainingState;
  if (state.version !== 1) throw new CheckpointError(`checkpoint ${dir}: version ${String(state.version)} is not supported`);
  await loadWeightsInto(model, path.join(dir, MODEL_FILE));
  const bytes = fs.readFileSync(path.join(dir, OPTIMIZER_FILE));
  const named = state.optimizer.map(({ name, shape, dtype, offset }) => {
    const count = shape.reduce((a, b) => a * b, 1);
    const slice = bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + count * 4);
    const values = dtype === 'int32' ? new Int32Array(slice) : new Float32Array(slice);
    return { name, tensor: tf.tensor(values, shape, dtype) };
  });
  await optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
  const { accBeta1, accBeta2 } = optimizer as unknown as AdamPowers;
  if (state.adamPowers && accBeta1 && accBeta2) {
    tf.tidy(() => {
      accBeta1.assign(tf.scalar(state.adamPowers![0]));
      accBeta2.assign(tf.scalar(state.adamPowers![1]));
    });
  }
  return state;
}
