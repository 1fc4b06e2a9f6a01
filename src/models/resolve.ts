import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { ModelFileError, errorMessage } from '../errors.js';
import { sharedDir, userCacheDir } from '../paths.js';
import { MANIFEST_DIR, findManifest, readSidecarManifest, type ModelManifest } from './manifest.js';

export interface ResolveOptions {
  /** A folder searched first for model files (config `models.directory`, env FACE_CLASSIFICATION_MODELS). */
  directory?: string;
  /** Allow downloading from the manifest's upstream URL into the user cache (default true). */
  download?: boolean;
  /** How downloads are fetched (default: the platform's fetch). */
  fetch?: FetchFunction;
  log?: Logger;
}

export interface ResolvedModel {
  path: string;
  /** Undefined for a file the project has no manifest for. */
  manifest: ModelManifest | undefined;
  source: 'path' | 'directory' | 'package' | 'shared' | 'cache' | 'download';
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

/** The fetch of the platform, or one a caller (a test, a proxy setup) supplies. */
export type FetchFunction = (url: string, init: { redirect: 'follow' }) => Promise<Response>;

/** No released model is near this; a server sending more is not sending a model. */
const MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024;

export interface DownloadOptions {
  fetch?: FetchFunction;
  log?: Logger;
}

/**
 * Download a known model to `target`: only over https, only when the bytes match the manifest's
 * sha256, and atomically: the bytes go to a hidden temporary file in the target's folder (a name
 * the resolver never looks for), are checked, and only then renamed to `target`. So no half-written
 * or wrong file is ever used, and another process resolving the same model at the same time finds
 * either no file or the whole file.
 */
export async function downloadModel(manifest: ModelManifest, target: string, options: DownloadOptions = {}): Promise<void> {
  const log = options.log ?? silentLogger;
  if (!/^[0-9a-f]{64}$/.test(manifest.sha256)) throw new ModelFileError(target, `model ${manifest.id} has no sha256 in its manifest; a download could not be checked, so none is made`);
  let url: URL;
  try {
    url = new URL(manifest.url);
  } catch {
    throw new ModelFileError(target, `model ${manifest.id}: download URL ${JSON.stringify(manifest.url)} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new ModelFileError(target, `model ${manifest.id}: download URL ${manifest.url} is not https; only https downloads are made`);
  const fetchFile = options.fetch ?? ((href, init) => fetch(href, init));
  log.info({ model: manifest.id, url: url.href, target }, 'downloading model');
  let response: Response;
  try {
    response = await fetchFile(url.href, { redirect: 'follow' });
  } catch (error) {
    throw new ModelFileError(target, `not found locally and the download from ${manifest.url} failed (${errorMessage(error)}); put the file in ../shared/models or set FACE_CLASSIFICATION_MODELS`);
  }
  if (response.url && !response.url.startsWith('https:')) throw new ModelFileError(target, `download from ${manifest.url} was redirected to ${response.url}, which is not https`);
  if (!response.ok) throw new ModelFileError(target, `download from ${manifest.url} answered HTTP ${response.status}`);
  if (!response.body) throw new ModelFileError(target, `download from ${manifest.url} sent no data`);
  const folder = path.dirname(target);
  fs.mkdirSync(folder, { recursive: true });
  const partial = path.join(folder, `.${path.basename(target)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.partial`);
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(partial, 'wx', 0o644);
  try {
    let bytes = 0;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        if (bytes > MAX_DOWNLOAD_BYTES) throw new Error(`more than ${MAX_DOWNLOAD_BYTES} bytes`);
        hash.update(chunk);
        for (let at = 0; at < chunk.length; ) at += fs.writeSync(fd, chunk, at);
      }
      fs.fsyncSync(fd);
    } catch (error) {
      throw new ModelFileError(target, `download from ${manifest.url} broke off (${errorMessage(error)})`);
    } finally {
      fs.closeSync(fd);
    }
    const actual = hash.digest('hex');
    if (actual !== manifest.sha256) {
      throw new ModelFileError(target, `download from ${manifest.url}: sha256 mismatch: expected ${manifest.sha256} for ${manifest.id}, got ${actual}; the file was not kept`);
    }
    fs.renameSync(partial, target);
  } finally {
    fs.rmSync(partial, { force: true });
  }
}

/**
 * Find a model's file. `spec` is a model id from models/*.json or a path to a file. Order: an explicit
 * path; the configured directory (or FACE_CLASSIFICATION_MODELS); the package's own models/ folder
 * (the models this project trained ship there, beside their manifests); ../shared/models; the user
 * cache, downloading there from the authors' repository. The sha256 of every known model is checked.
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
    ['package', MANIFEST_DIR],
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
  if (!manifest.url) throw new ModelFileError(path.join(MANIFEST_DIR, manifest.file), `model ${manifest.id} ships with the package and has no download, but its file is missing`);
  if (options.download === false) throw new ModelFileError(target, `model ${manifest.id} not found locally and downloads are off`);
  await downloadModel(manifest, target, { fetch: options.fetch, log });
  return { path: target, manifest, source: 'download' };
}
