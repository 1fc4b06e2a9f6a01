import fs from 'node:fs';
import h5wasm from 'h5wasm/node';
import { ModelFileError, errorMessage } from '../../errors.js';

/** The JSON a Keras 2.x HDF5 file keeps in its `model_config` attribute. */
export interface KerasLayerJson {
  class_name: string;
  name?: string;
  config: Record<string, unknown>;
  inbound_nodes?: unknown[];
}

export interface KerasModelJson {
  class_name: string;
  config: Record<string, unknown> | KerasLayerJson[];
}

export interface WeightArray {
  /** The weight's own name without the layer prefix and ':0', e.g. `kernel`, `moving_mean`. */
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface KerasFile {
  modelConfig: KerasModelJson;
  kerasVersion: string;
  /** Weights per layer name, in the order Keras saved them. */
  weights: Map<string, WeightArray[]>;
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

function checkReadableHdf5(file: string): void {
  let header: Buffer;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      header = Buffer.alloc(8);
      fs.readSync(fd, header, 0, 8, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelFileError(file, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? errorMessage(error)})`);
  }
  if (!header.equals(HDF5_SIGNATURE)) throw new ModelFileError(file, 'not an HDF5 file (no HDF5 signature)');
}

let ready: Promise<unknown> | undefined;

function stringAttr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return String(value);
}

function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(stringAttr);
  if (typeof value === 'string') return [value];
  return [];
}

/** Read the architecture JSON and every weight array of a Keras 2.x HDF5 model file. */
export async function readKerasHdf5(file: string): Promise<KerasFile> {
  checkReadableHdf5(file);
  ready ??= h5wasm.ready;
  await ready;
  let h5: InstanceType<typeof h5wasm.File>;
  try {
    h5 = new h5wasm.File(file, 'r');
  } catch (error) {
    throw new ModelFileError(file, `HDF5 cannot be opened, the file is damaged or truncated (${errorMessage(error)})`);
  }
  try {
    // A truncated file can open yet lose its superblock's data: h5wasm then reports file_id 0.
    if (!h5.file_id) throw new ModelFileError(file, 'HDF5 cannot be opened, the file is damaged or truncated');
    const configAttr = h5.attrs['model_config'];
    if (!configAttr) throw new ModelFileError(file, 'not a Keras model (no model_config attribute)');
    let modelConfig: KerasModelJson;
    try {
      modelConfig = JSON.parse(stringAttr(configAttr.value)) as KerasModelJson;
    } catch (error) {
      throw new ModelFileError(file, `model_config is not valid JSON (${errorMessage(error)})`);
    }
    const root = h5.get('model_weights') ?? h5;
    if (!(root instanceof h5wasm.Group)) throw new ModelFileError(file, 'no model_weights group');
    const layerNames = stringList(root.attrs['layer_names']?.value);
    const weights = new Map<string, WeightArray[]>();
    for (const layerName of layerNames) {
      const group = root.get(layerName);
      if (!(group instanceof h5wasm.Group)) throw new ModelFileError(file, `weights of layer ${layerName} are missing`);
      const arrays: WeightArray[] = [];
      for (const weightName of stringList(group.attrs['weight_names']?.value)) {
        const dataset = group.get(weightName);
        if (!(dataset instanceof h5wasm.Dataset)) throw new ModelFileError(file, `weight ${layerName}/${weightName} is missing`);
        const raw = dataset.value;
        const values = raw instanceof Float32Array ? raw : Float32Array.from(raw as ArrayLike<number>);
        const shape = dataset.shape ?? [];
        const expected = shape.reduce((a, b) => a * b, 1);
        if (values.length !== expected) {
          throw new ModelFileError(file, `weight ${layerName}/${weightName} holds ${values.length} values, its shape needs ${expected}`);
        }
        arrays.push({ name: weightName.replace(/^.*\//, '').replace(/:\d+$/, ''), shape, values });
      }
      weights.set(layerName, arrays);
    }
    return { modelConfig, kerasVersion: stringAttr(h5.attrs['keras_version']?.value ?? 'unknown'), weights };
  } catch (error) {
    if (error instanceof ModelFileError) throw error;
    throw new ModelFileError(file, `HDF5 read failed, the file is damaged or truncated (${errorMessage(error)})`, { cause: error });
  } finally {
    h5.close();
  }
}
