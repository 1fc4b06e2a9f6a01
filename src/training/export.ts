import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { sidecarManifestPath, type ManifestHead, type ModelManifest, type ModelTask } from '../models/manifest.js';
import { sha256File } from '../models/resolve.js';
import type { L2Penalty } from './architectures/builder.js';
import { kerasModelConfig, layerWeights, writeKerasHdf5 } from './keras-file.js';

/** A trained model's manifest: the released manifests' fields, plus how it was trained. */
export interface TrainedManifest extends ModelManifest {
  training: {
    epoch: number;
    metrics: Record<string, number>;
    settings: Record<string, string | number | boolean>;
    trainedAt: string;
  };
}

export interface ExportRequest {
  id: string;
  task: ModelTask;
  labels: readonly string[];
  /** Task 'emotion+gender': the heads, in the order of the outputs exported. */
  heads?: ManifestHead[];
  architecture: string;
  dataset: string;
  inputShape: [number, number, number];
  epoch: number;
  metrics: Record<string, number>;
  /** The validation accuracy to report (the model list shows it), when there is one. */
  accuracy?: number;
  settings: Record<string, string | number | boolean>;
}

/**
 * Save one output of a trained model as a released-style model: a Keras 2 HDF5 file (one input,
 * one softmax output) and `<name>.manifest.json` beside it with the labels, input, preprocessing
 * and the file's sha256, which classify, detect, explain, evaluate and the node read as they read
 * a released model's manifest.
 */
export async function exportHead(model: tf.LayersModel, output: string | readonly string[], penalties: readonly L2Penalty[], file: string, request: ExportRequest): Promise<TrainedManifest> {
  const config = kerasModelConfig(model, output, penalties);
  const layers = (config.config as { layers: { name?: string }[] }).layers.map((l) => String(l.name));
  await writeKerasHdf5(file, config, layerWeights(model, layers));
  const parameters = layerWeights(model, layers).reduce((sum, l) => sum + l.weights.reduce((s, w) => s + w.values.length, 0), 0);
  const manifest: TrainedManifest = {
    id: request.id, task: request.task, file: path.basename(file), sha256: sha256File(file), url: '', format: 'keras-hdf5',
    architecture: request.architecture, parameters, inputShape: request.inputShape, labels: [...request.labels],
    ...(request.heads ? { heads: request.heads } : {}),
    preprocessing: { color: 'gray', resize: 'bilinear', scale: 'minus-one-to-one' }, dataset: request.dataset,
    reportedAccuracy: request.accuracy, license: 'trained with face-classification train: the training data\'s terms apply',
    training: { epoch: request.epoch, metrics: request.metrics, settings: request.settings, trainedAt: new Date().toISOString() },
  };
  const manifestFile = sidecarManifestPath(file);
  fs.writeFileSync(`${manifestFile}.partial`, JSON.stringify(manifest, null, 2) + '\n');
  fs.renameSync(`${manifestFile}.partial`, manifestFile);
  return manifest;
}
