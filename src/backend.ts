import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import { FaceClassificationError, errorMessage } from './errors.js';

/**
 * Which TensorFlow.js backend runs the models. `auto` tries the native bindings first
 * (tfjs-node-gpu, then tfjs-node: optional dependencies that only install where libtensorflow can be
 * downloaded), then WebAssembly, then the pure-JS cpu backend.
 */
export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

const require = createRequire(import.meta.url);
let active: Promise<string> | undefined;

async function tryNative(packageName: string, log: Logger): Promise<boolean> {
  try {
    await import(packageName);
    return tf.findBackend('tensorflow') !== null || tf.getBackend() === 'tensorflow';
  } catch (error) {
    log.debug({ package: packageName, reason: errorMessage(error).split('\n')[0] }, 'native backend unavailable');
    return false;
  }
}

async function tryWasm(log: Logger): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the .wasm binaries are read from the package's dist folder.
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(dist + path.sep);
    return await tf.setBackend('wasm');
  } catch (error) {
    log.debug({ reason: errorMessage(error) }, 'wasm backend unavailable');
    return false;
  }
}

async function select(choice: BackendChoice, log: Logger): Promise<string> {
  const order: BackendChoice[] = choice === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [choice];
  for (const candidate of order) {
    let ok = false;
    if (candidate === 'tensorflow-gpu') ok = (await tryNative('@tensorflow/tfjs-node-gpu', log)) && (await tf.setBackend('tensorflow'));
    else if (candidate === 'tensorflow') ok = (await tryNative('@tensorflow/tfjs-node', log)) && (await tf.setBackend('tensorflow'));
    else if (candidate === 'wasm') ok = await tryWasm(log);
    else {
      // The cpu backend prints a multi-line "Hi, looks like you are running TensorFlow.js in Node.js"
      // banner through console.warn at its first tensor; PROD turns TF.js's console warnings off, and
      // the line below says the same once, in our log.
      tf.env().set('PROD', true);
      ok = await tf.setBackend('cpu');
      if (ok && choice === 'auto') log.warn({ backend: 'cpu' }, 'using the slow pure-JavaScript TensorFlow.js backend (wasm and tfjs-node are unavailable; --debug says why)');
    }
    if (ok) {
      await tf.ready();
      log.info({ backend: tf.getBackend(), requested: choice }, 'tensorflow backend ready');
      return tf.getBackend();
    }
  }
  throw new FaceClassificationError(`backend ${choice}: could not be initialised (run with --debug for the reason)`);
}

/**
 * Initialise the backend once per process. The environment variable FACE_CLASSIFICATION_BACKEND
 * overrides `auto`. Later calls return the backend chosen first.
 */
export function initBackend(choice: BackendChoice = 'auto', log: Logger = silentLogger): Promise<string> {
  const fromEnv = process.env.FACE_CLASSIFICATION_BACKEND as BackendChoice | undefined;
  const effective = choice === 'auto' && fromEnv && (BACKENDS as readonly string[]).includes(fromEnv) ? fromEnv : choice;
  active ??= select(effective, log);
  return active;
}
