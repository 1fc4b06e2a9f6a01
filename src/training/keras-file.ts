import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import h5wasm from 'h5wasm/node';
import { ModelFileError, errorMessage } from '../errors.js';
import type { KerasLayerJson, KerasModelJson } from '../models/keras/hdf5.js';
import { readKerasHdf5 } from '../models/keras/hdf5.js';
import type { L2Penalty } from './architectures/builder.js';
import { layersNeeded } from '../models/layer_graph.js';

/** The Keras version whose HDF5 layout (model_config + model_weights) the files follow. */
const KERAS_LAYOUT_VERSION = '2.0.5';

export interface LayerWeights {
  layer: string;
  /** Keras names (`conv2d_1/kernel:0`), shapes and values, in the layer's own order. */
  weights: { name: string; shape: number[]; values: Float32Array }[];
}

type LayerJson = KerasLayerJson & { inbound_nodes: unknown[][][] };

/**
 * The Keras model_config of some outputs of a tf.layers model: the layers those outputs depend on
 * (so one head of a two-head model is a complete one-output model, both heads a two-output one),
 * Keras's l2 regularisers noted where the loss applied them.
 */
export function kerasModelConfig(model: tf.LayersModel, outputs: string | readonly string[], penalties: readonly L2Penalty[] = []): KerasModelJson {
  const wanted = typeof outputs === 'string' ? [outputs] : outputs;
  const json = model.toJSON(null, false) as unknown as { config: { name: string; layers: LayerJson[]; input_layers: unknown[] } };
  const layers = json.config.layers;
  const byName = new Map(layers.map((l) => [String(l.name), l]));
  for (const output of wanted) if (!byName.has(output)) throw new Error(`the model has no layer ${output}`);
  const inboundOf = (name: string): string[] | undefined => {
    const nodes: unknown[][][] | undefined = byName.get(name)?.inbound_nodes;
    return nodes?.flatMap((node) => node.map((entry) => String(entry[0])));
  };
  const needed = layersNeeded(wanted, inboundOf);
  const kept = layers.filter((l) => needed.has(String(l.name))).map((l) => {
    const penalty = penalties.find((p) => p.layer === l.name);
    return penalty ? { ...l, config: { ...l.config, kernel_regularizer: { class_name: 'L1L2', config: { l1: 0, l2: penalty.coefficient } } } } : l;
  });
  return { class_name: 'Model', config: { name: json.config.name, layers: kept, input_layers: json.config.input_layers, output_layers: wanted.map((output) => [output, 0, 0]) } };
}

/** Keras's short weight name from a tf.layers variable name: `conv2d_1/kernel` (maybe `_1`-suffixed) -> kernel. */
function shortWeightName(variable: tf.LayerVariable): string {
  return variable.originalName.replace(/^.*\//, '');
}

/** The current values of the given layers' weights (all layers with weights when omitted). */
export function layerWeights(model: tf.LayersModel, layerNames?: readonly string[]): LayerWeights[] {
  const out: LayerWeights[] = [];
  for (const layer of model.layers) {
    if (layerNames && !layerNames.includes(layer.name)) continue;
    if (layer.weights.length === 0) continue;
    out.push({
      layer: layer.name,
      weights: layer.weights.map((w) => ({ name: `${layer.name}/${shortWeightName(w)}:0`, shape: [...w.shape] as number[], values: w.read().dataSync() as Float32Array })),
    });
  }
  return out;
}

let ready: Promise<unknown> | undefined;

function fixedStrings(values: readonly string[]): { data: string[]; dtype: string } {
  const width = Math.max(1, ...values.map((v) => Buffer.byteLength(v, 'utf8')));
  return { data: [...values], dtype: `S${width}` };
}

/**
 * Write a Keras 2 HDF5 model file: the `model_config` JSON attribute and a `model_weights` group
 * with one group per layer (attribute `weight_names`, datasets `<layer>/<weight>:0`), the layout
 * the authors' files have and src/models/keras reads. Written to a temporary name, then renamed.
 */
export async function writeKerasHdf5(file: string, modelConfig: KerasModelJson, layers: readonly LayerWeights[]): Promise<void> {
  ready ??= h5wasm.ready;
  await ready;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const partial = `${file}.partial-${process.pid}`;
  const h5 = new h5wasm.File(partial, 'w');
  try {
    h5.create_attribute('keras_version', KERAS_LAYOUT_VERSION);
    h5.create_attribute('backend', 'tensorflow');
    // Variable-length: the JSON is larger than a fixed-length attribute may be.
    h5.create_attribute('model_config', JSON.stringify(modelConfig));
    const root = h5.create_group('model_weights');
    const names = fixedStrings(layers.map((l) => l.layer));
    root.create_attribute('layer_names', names.data, [names.data.length], names.dtype);
    root.create_attribute('keras_version', KERAS_LAYOUT_VERSION);
    root.create_attribute('backend', 'tensorflow');
    for (const layer of layers) {
      const group = root.create_group(layer.layer);
      const weightNames = fixedStrings(layer.weights.map((w) => w.name));
      group.create_attribute('weight_names', weightNames.data, [weightNames.data.length], weightNames.dtype);
      const inner = group.create_group(layer.layer);
      for (const weight of layer.weights) {
        inner.create_dataset({ name: weight.name.slice(layer.layer.length + 1), data: weight.values, shape: weight.shape, dtype: '<f4' });
      }
    }
  } catch (error) {
    h5.close();
    fs.rmSync(partial, { force: true });
    throw new ModelFileError(file, `cannot be written (${errorMessage(error)})`);
  }
  h5.close();
  fs.renameSync(partial, file);
}

/**
 * Load a Keras HDF5 file's weights into a tf.layers model built with the same layer names (a
 * checkpoint, or a model file to fine-tune). Every layer with weights must be found, shapes equal.
 */
export async function loadWeightsInto(model: tf.LayersModel, file: string): Promise<void> {
  await loadLayerWeights(model, file, false);
}

/**
 * Start a model from another model's weights (`train --init-weights`): each layer the file has,
 * by name, is loaded (its shapes must agree); layers it lacks (a new head) keep their initial
 * weights. Returns the names of both. The file must share at least one layer.
 */
export async function loadMatchingWeightsInto(model: tf.LayersModel, file: string): Promise<{ loaded: string[]; kept: string[] }> {
  const result = await loadLayerWeights(model, file, true);
  if (result.loaded.length === 0) throw new ModelFileError(file, `shares no layer with the ${model.name} being trained (layer names such as ${model.layers.find((l) => l.weights.length > 0)?.name ?? '?'} are missing)`);
  return result;
}

async function loadLayerWeights(model: tf.LayersModel, file: string, partial: boolean): Promise<{ loaded: string[]; kept: string[] }> {
  const keras = await readKerasHdf5(file);
  const loaded: string[] = [];
  const kept: string[] = [];
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const saved = keras.weights.get(layer.name);
    if (!saved && partial) {
      kept.push(layer.name);
      continue;
    }
    if (!saved) throw new ModelFileError(file, `has no weights for layer ${layer.name}; it was saved from another architecture`);
    const values = layer.weights.map((w) => {
      const match = saved.find((s) => s.name === shortWeightName(w));
      if (!match || match.shape.join('x') !== w.shape.join('x')) {
        throw new ModelFileError(file, `weight ${layer.name}/${shortWeightName(w)} is missing or has shape ${match?.shape.join('x') ?? 'none'}, expected ${w.shape.join('x')}`);
      }
      return tf.tensor(match.values, match.shape, 'float32');
    });
    layer.setWeights(values);
    tf.dispose(values);
    loaded.push(layer.name);
  }
  return { loaded, kept };
}
