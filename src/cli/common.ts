import fs from 'node:fs';
import path from 'node:path';
import { ROS_ONLY_PREFIXES, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { checkModelsDirectory } from '../config/check_paths.js';
import { FaceClassificationError, ImageError } from '../errors.js';
import { IMAGE_EXTENSIONS, type ReadImageOptions } from '../vision/image.js';
import type { OptionSpecs, OptionValues } from './command.js';
import { UsageError } from './command.js';

/** Flags that say which model files to load and with which backend; each maps to a config key. */
export const MODEL_SOURCE_OPTIONS: OptionSpecs = {
  'config': { type: 'string', short: 'c' },
  'set': { type: 'string', multiple: true },
  'backend': { type: 'string' },
  'models-dir': { type: 'string' },
  'emotion-model': { type: 'string' },
  'gender-model': { type: 'string' },
};

/** Flags of every command that runs the classifier heads. */
export const MODEL_OPTIONS: OptionSpecs = {
  ...MODEL_SOURCE_OPTIONS,
  'batch-size': { type: 'string' },
};

/** Flags of the commands that run the whole pipeline (detector included). */
export const PIPELINE_OPTIONS: OptionSpecs = {
  ...MODEL_OPTIONS,
  'detector': { type: 'string' },
  'scale-factor': { type: 'string' },
  'min-neighbors': { type: 'string' },
  'min-face-size': { type: 'string' },
  'no-emotion': { type: 'boolean' },
  'no-gender': { type: 'boolean' },
};

export const PIPELINE_HELP: Record<string, string> = {
  'config': 'YAML settings file (plain or ROS ros__parameters format), e.g. config/face_classification.yaml',
  'set': 'override any setting: --set haar.scale_factor=1.1 (repeatable; keys as in the YAML file)',
  'backend': 'auto | tensorflow-gpu | tensorflow | wasm | cpu',
  'models-dir': 'folder searched first for model files',
  'emotion-model': 'emotion model id (see `face-classification models`) or .hdf5 path',
  'gender-model': 'gender model id or .hdf5 path',
  'detector': 'auto (default: yunet for video, haar for photos, the paper\'s) | haar | yunet',
  'scale-factor': 'Haar detectMultiScale scaleFactor (default 1.3)',
  'min-neighbors': 'Haar detectMultiScale minNeighbors (default 5)',
  'min-face-size': 'ignore faces smaller than this many pixels',
  'batch-size': 'largest batch per classifier call (default 32)',
  'no-emotion': 'skip the emotion head',
  'no-gender': 'skip the gender head',
};

function parseSetValue(raw: string): unknown {
  const text = raw.trim();
  if (text === 'true' || text === 'false') return text === 'true';
  if (text !== '' && !Number.isNaN(Number(text))) return Number(text);
  if (text.startsWith('[')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

function number(values: OptionValues, flag: string): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || Number.isNaN(n)) throw new UsageError(`--${flag} needs a number, got ${JSON.stringify(raw)}`);
  return n;
}

/** Defaults, then --config FILE, then the flags (which win). */
export function configFromFlags(values: OptionValues): Config {
  const overrides: Record<string, unknown> = {};
  const put = (key: string, value: unknown): void => {
    if (value !== undefined) overrides[key] = value;
  };
  put('backend', values['backend']);
  put('models.directory', values['models-dir']);
  put('emotion.model', values['emotion-model']);
  put('gender.model', values['gender-model']);
  put('detector.type', values['detector']);
  put('haar.scale_factor', number(values, 'scale-factor'));
  put('haar.min_neighbors', number(values, 'min-neighbors'));
  put('detector.min_face_size', number(values, 'min-face-size'));
  put('models.batch_size', number(values, 'batch-size'));
  if (values['no-emotion']) overrides['emotion.enabled'] = false;
  if (values['no-gender']) overrides['gender.enabled'] = false;
  for (const entry of (values['set'] as string[] | undefined) ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set needs key=value, got ${JSON.stringify(entry)}`);
    const key = entry.slice(0, eq).trim();
    if (ROS_ONLY_PREFIXES.some((prefix) => key === prefix || key.startsWith(`${prefix}.`))) {
      throw new UsageError(`--set ${key}: a setting of the ROS node only (topics, QoS, debug images, diagnostics); the command line does not use it`);
    }
    overrides[key] = parseSetValue(entry.slice(eq + 1));
  }
  const config = loadConfig(values['config'] as string | undefined, overrides);
  // A mistyped --models-dir would otherwise fall back silently to the other folders (or a download).
  checkModelsDirectory(config);
  return config;
}

function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

function walk(dir: string): string[] {
  const out: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new ImageError(dir, `folder cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (isImageFile(entry.name)) out.push(full);
  }
  return out;
}

/** One input of a command: the path as given (or found in a folder given) and its path under that folder. */
export interface InputFile {
  file: string;
  /** The path under the folder given on the command line; the base name for a file given itself. */
  relative: string;
}

/**
 * Expand the command's inputs: files stay (whatever their extension, so a bad file gets its own
 * error), folders become the image files inside them (recursively, sorted). A folder with no
 * images (or that cannot be read) is one input that failed: it goes to `report` and the others
 * are still processed, as a broken file in the batch would be.
 */
export function expandImageInputs(inputs: string[], report: (error: unknown) => void): InputFile[] {
  if (inputs.length === 0) throw new UsageError('give at least one image file or folder');
  const files: InputFile[] = [];
  for (const input of inputs) {
    if (fs.existsSync(input) && fs.statSync(input).isDirectory()) {
      try {
        const found = walk(input);
        if (found.length === 0) throw new ImageError(input, `folder holds no images (${IMAGE_EXTENSIONS.join(' ')})`);
        files.push(...found.map((file) => ({ file, relative: path.relative(input, file) })));
      } catch (error) {
        report(error);
      }
    } else {
      files.push({ file: input, relative: path.basename(input) });
    }
  }
  return files;
}

/** How the commands decode input files: with the configured pixel limit. */
export function imageOptions(config: Config): ReadImageOptions {
  return { maxPixels: config['input.max_pixels'] };
}

export { FaceClassificationError };
