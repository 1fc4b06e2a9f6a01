import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { ModelFileError, errorMessage } from '../errors.js';
import { sharedDir, userCacheDir } from '../paths.js';
import { findManifest, readSidecarManifest, type ModelManifest } from './manifest.js';

export interface ResolveOptions {
  /** A folder searched first for model files (config `models.directory`, env FACE_CLASSIFICATION_MODELS). */
  directory?: string;
  /** Allow downloading from the manifest's upstream URL into the user cache (default true). */
  download?: boolean;
  log?: Logger;
}

export interface ResolvedModel {
  path: string;
  /** Undefined for a file the project has no manifest for. */
  manifest: ModelManifest | undefined;
  source: 'path' | 'directory' | 'shared' | 'cache' | 'download';
}

export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function verify(file: string, manifest: ModelManifest | undefined): void {
  if (!manifest?.sha256) return;
  let actual: string;
  try {
    actual = sha256File(file);
  } catch (error) {
    throw new ModelFileError(file, `cannot read (${errorMessage(error)})`);
  }
  if (actual !== manifest.sha256) {
    throw new ModelFileError(file, `sha256 mismatch: expected ${manifest.sha256} for ${manifest.id}, found ${actual} (damaged or a different file)`);
  }
}

async function download(manifest: ModelManifest, target: string, log: Logger): Promise<void> {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  log.info({ model: manifest.id, url: manifest.url, target }, 'downloading model');
  let response: Response;
  try {
    response = await fetch(manifest.url, { redirect: 'follow' });
  } catch (error) {
    throw new ModelFileError(target, `not found locally and the download from ${manifest.url} failed (${errorMessage(error)}); put the file in ../shared/models or set FACE_CLASSIFICATION_MODELS`);
  }
  if (!response.ok) throw new ModelFileError(target, `download from ${manifest.url} answered HTTP ${response.status}`);
  const partial = `${target}.partial-${process.pid}`;
  fs.writeFileSync(partial, Buffer.from(await response.arrayBuffer()));
  try {
    verify(partial, manifest);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }
  fs.renameSync(partial, target);
}

/**
 * Find a model's file. `spec` is a model id from models/*.json or a path to a file. Order: an explicit
 * path; the configured directory (or FACE_CLASSIFICATION_MODELS); ../shared/models; the user cache,
 * downloading there from the authors' repository. The sha256 of every known model is checked.
 */
export async function resolveModel(spec: string, options: ResolveOptions = {}): Promise<ResolvedModel> {
  const log = options.log ?? silentLogger;
  const looksLikePath = spec.includes('/') || spec.includes(path.sep) || /\.(hdf5|h5|onnx)$/.test(spec);
  const manifest = findManifest(spec);
  if (looksLikePath) {
    if (!fs.existsSync(spec)) throw new ModelFileError(spec, 'no such file');
    if (fs.statSync(spec).isDirectory()) throw new ModelFileError(spec, 'is a directory, expected a model file');
    // A trained model's own manifest (written beside it) wins over a released one of the same name.
    const own = readSidecarManifest(spec) ?? manifest;
    verify(spec, own);
    return { path: path.resolve(spec), manifest: own, source: 'path' };
  }
  if (!manifest) throw new ModelFileError(spec, 'unknown model id (see `face-classification models`) and not a file path');
  const directories: [ResolvedModel['source'], string | undefined][] = [
    ['directory', options.directory],
    ['directory', process.env.FACE_CLASSIFICATION_MODELS],
    ['shared', sharedDir() && path.join(sharedDir()!, 'models')],
    ['cache', userCacheDir()],
  ];
  for (const [source, dir] of directories) {
    if (!dir) continue;
    const candidate = path.join(dir, manifest.file);
    if (fs.existsSync(candidate)) {
      verify(candidate, manifest);
      log.debug({ model: manifest.id, path: candidate, source }, 'model resolved');
      return { path: candidate, manifest, source };
    }
  }
  const target = path.join(userCacheDir(), manifest.file);
  if (options.download === false) throw new ModelFileError(target, `model ${manifest.id} not found locally and downloads are off`);
  await download(manifest, target, log);
  return { path: target, manifest, source: 'download' };
}
