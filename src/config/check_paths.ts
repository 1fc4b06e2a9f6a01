/**
 * Checks of configured paths that validation (pure, in validate.ts) cannot do: that they exist. Run
 * before models are loaded, so a mistyped folder is reported by its parameter name instead of
 * turning into a silent fallback to other folders or a download whose error names neither.
 */
import fs from 'node:fs';
import { ConfigError } from '../errors.js';
import type { Config } from './schema.js';

export function checkModelsDirectory(config: Pick<Config, 'models.directory'>): void {
  const dir = config['models.directory'];
  if (!dir) return;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (error) {
    throw new ConfigError('models.directory', `folder "${dir}" does not exist (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}); set it to the folder holding the .hdf5 files, or leave it empty to search FACE_CLASSIFICATION_MODELS, ../shared/models and the user cache`);
  }
  if (!stat.isDirectory()) throw new ConfigError('models.directory', `"${dir}" is a file, not a folder`);
}
