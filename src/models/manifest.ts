import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import { ModelFileError } from '../errors.js';

export type ModelTask = 'emotion' | 'gender' | 'emotion+gender' | 'face-detection';

/** One classifier of a model with several (the dual mini-Xception): its task, output layer and classes. */
export interface ManifestHead {
  task: 'emotion' | 'gender';
  /** The Keras output layer, e.g. emotion_predictions. */
  output: string;
  labels: string[];
}

/** What the project knows about one released model; the weights themselves are resolved at run time. */
export interface ModelManifest {
  id: string;
  task: ModelTask;
  /** The default model of its task. */
  default?: boolean;
  file: string;
  sha256: string;
  url: string;
  format: 'keras-hdf5' | 'onnx';
  architecture: string;
  parameters?: number;
  inputShape: [number, number, number];
  /** The classes; of the first head when there are `heads`. */
  labels: string[];
  /**
   * Task 'emotion+gender' only: the heads in the file's output order. One forward pass of the
   * shared backbone answers all of them.
   */
  heads?: ManifestHead[];
  preprocessing?: { color: 'gray'; resize: 'bilinear'; scale: 'minus-one-to-one' | 'zero-to-one' };
  dataset?: string;
  reportedAccuracy?: number;
  license: string;
  /**
   * A model this project trained (not one of the authors' releases): the folder, relative to the
   * package, of the run that made it (training.csv, training.png, evaluation/). Its weights ship in
   * models/ beside this manifest, so it has no download `url`.
   */
  run?: string;
}

export const MANIFEST_DIR = path.join(packageRoot, 'models');

let cache: ModelManifest[] | undefined;

export function listManifests(): ModelManifest[] {
  cache ??= fs
    .readdirSync(MANIFEST_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => JSON.parse(fs.readFileSync(path.join(MANIFEST_DIR, name), 'utf8')) as ModelManifest);
  return cache;
}

export function findManifest(idOrFile: string): ModelManifest | undefined {
  const base = path.basename(idOrFile);
  return listManifests().find((m) => m.id === idOrFile || m.file === base || m.id === base.replace(/\.(hdf5|h5|onnx)$/, ''));
}

export function defaultManifest(task: ModelTask): ModelManifest {
  const found = listManifests().find((m) => m.task === task && m.default) ?? listManifests().find((m) => m.task === task);
  if (!found) throw new ModelFileError(task, `no model manifest for task ${task} in ${MANIFEST_DIR}`);
  return found;
}

/** Where a model file's own manifest lives: `model.hdf5` -> `model.manifest.json` (as `train` writes it). */
export function sidecarManifestPath(file: string): string {
  return file.replace(/\.(hdf5|h5|onnx)$/, '') + '.manifest.json';
}

/** The manifest written beside a model file (a trained model's), if there is one. */
export function readSidecarManifest(file: string): ModelManifest | undefined {
  const sidecar = sidecarManifestPath(file);
  if (!fs.existsSync(sidecar)) return undefined;
  try {
    return { ...(JSON.parse(fs.readFileSync(sidecar, 'utf8')) as ModelManifest), file: path.basename(file) };
  } catch (error) {
    throw new ModelFileError(sidecar, `manifest is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * A manifest for a Keras file the project does not know: labels and input come from the caller and
 * the imported architecture, and no digest is checked.
 */
export function customManifest(file: string, task: ModelTask, labels: string[], inputShape: [number, number, number]): ModelManifest {
  return {
    id: path.basename(file).replace(/\.(hdf5|h5)$/, ''), task, file: path.basename(file), sha256: '', url: '', format: 'keras-hdf5',
    architecture: 'custom Keras model', inputShape, labels, preprocessing: { color: 'gray', resize: 'bilinear', scale: 'minus-one-to-one' },
    license: 'unknown',
  };
}
