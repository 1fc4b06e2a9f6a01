import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the folder holding package.json, models/ and config/ (source tree or ROS install space). */
export const packageRoot: string = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) || !fs.existsSync(path.join(dir, 'models'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('face-classification: package root (package.json + models/) not found');
    dir = parent;
  }
  return dir;
})();

/** Where downloaded weights are kept: $FACE_CLASSIFICATION_CACHE, else $XDG_CACHE_HOME or ~/.cache. */
export function userCacheDir(): string {
  if (process.env.FACE_CLASSIFICATION_CACHE) return process.env.FACE_CLASSIFICATION_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'face-classification', 'models');
}

/** The shared data folder beside a development checkout (../shared), when present. */
export function sharedDir(): string | undefined {
  const candidates = [process.env.FACE_CLASSIFICATION_SHARED, path.resolve(packageRoot, '..', 'shared'), path.resolve(process.cwd(), '..', 'shared')];
  return candidates.find((dir): dir is string => !!dir && fs.existsSync(path.join(dir, 'models')));
}

export const HAAR_CASCADE_DIRS = ['/usr/share/opencv4/haarcascades', '/usr/share/opencv/haarcascades', '/usr/local/share/opencv4/haarcascades'];
