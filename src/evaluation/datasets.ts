import fs from 'node:fs';
import path from 'node:path';
import { FaceClassificationError, ImageError } from '../errors.js';
import { IMAGE_EXTENSIONS } from '../vision/image.js';

/** Which part of a dataset a sample belongs to, where the dataset says (FER-2013's Usage column). */
export type Split = 'train' | 'val' | 'test';

/** One labelled face image: a file, or raw 8-bit gray pixels (FER-2013's CSV). */
export interface Sample {
  /** The file, or `<csv>:<line>` for pixels read from a CSV. */
  file: string;
  label: string;
  /** UTKFace's age, when known. */
  age?: number;
  pixels?: { data: Uint8Array; width: number; height: number };
  split?: Split;
}

export const FER2013_LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;
export const GENDER_LABELS = ['woman', 'man'] as const;

/** A problem with a dataset as a whole (missing, empty, malformed index). */
export class DatasetError extends FaceClassificationError {
  constructor(readonly source: string, readonly reason: string) {
    super(`dataset ${source}: ${reason}`);
  }
}

/** FER-2013 as exported to folders: <dir>/<class name>/<image>. Class names must be model labels. */
export function listFolderPerClass(dir: string, labels: readonly string[]): Sample[] {
  if (!fs.existsSync(dir)) throw new ImageError(dir, 'no such folder');
  const samples: Sample[] = [];
  for (const label of fs.readdirSync(dir).sort()) {
    const classDir = path.join(dir, label);
    if (!fs.statSync(classDir).isDirectory()) continue;
    if (!labels.includes(label)) throw new ImageError(classDir, `class folder ${label} is not one of the model's labels (${labels.join(', ')})`);
    for (const name of fs.readdirSync(classDir).sort()) {
      if (IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase())) samples.push({ file: path.join(classDir, name), label });
    }
  }
  if (samples.length === 0) throw new ImageError(dir, 'holds no images in class folders');
  return samples;
}

/** UTKFace chips, named age_gender_race_date.jpg.chip.jpg with gender 0 = male, 1 = female. */
export function listUtkFace(dir: string): Sample[] {
  if (!fs.existsSync(dir)) throw new ImageError(dir, 'no such folder');
  const samples: Sample[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const match = /^(\d+)_([01])_/.exec(name);
    if (!match || !IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase())) continue;
    samples.push({ file: path.join(dir, name), label: match[2] === '0' ? 'man' : 'woman', age: Number(match[1]) });
  }
  if (samples.length === 0) throw new ImageError(dir, 'holds no UTKFace chips (age_gender_race_date.jpg.chip.jpg)');
  return samples;
}

const FER_USAGE: Record<string, Split> = { Training: 'train', PublicTest: 'val', PrivateTest: 'test' };

/**
 * FER-2013's own CSV: `emotion,pixels,Usage`, emotion 0-6 in FER2013_LABELS order, 2,304
 * space-separated gray values (48x48), Usage Training / PublicTest / PrivateTest (train / val / test).
 */
export function readFer2013Csv(file: string): Sample[] {
  const lines = readText(file).split(/\r?\n/);
  const header = lines[0]!.split(',').map((h) => h.trim());
  const at = (name: string): number => header.indexOf(name);
  if (at('emotion') < 0 || at('pixels') < 0) throw new DatasetError(file, 'not a FER-2013 CSV: the header must name emotion and pixels (and Usage)');
  const samples: Sample[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const cells = line.split(',');
    const where = `${file}:${i + 1}`;
    const emotion = Number(cells[at('emotion')]);
    const label = FER2013_LABELS[emotion];
    if (!Number.isInteger(emotion) || !label) throw new DatasetError(where, `emotion ${JSON.stringify(cells[at('emotion')])} is not 0-6`);
    const values = (cells[at('pixels')] ?? '').trim().split(/\s+/).map(Number);
    const side = Math.round(Math.sqrt(values.length));
    if (side * side !== values.length || values.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
      throw new DatasetError(where, `pixels must be a square number of 0-255 values, found ${values.length}`);
    }
    const usage = at('Usage') >= 0 ? cells[at('Usage')]?.trim() : undefined;
    const split = usage === undefined ? undefined : FER_USAGE[usage];
    if (usage !== undefined && !split) throw new DatasetError(where, `Usage ${JSON.stringify(usage)} is not Training, PublicTest or PrivateTest`);
    samples.push({ file: where, label, pixels: { data: Uint8Array.from(values), width: side, height: side }, split });
  }
  if (samples.length === 0) throw new DatasetError(file, 'holds no rows');
  return samples;
}

/** A CSV index `path,label` (an optional header row `path,label`); paths are relative to the CSV's folder. */
export function readCsvIndex(file: string): Sample[] {
  const base = path.dirname(file);
  const samples: Sample[] = [];
  readText(file).split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const comma = line.lastIndexOf(',');
    const where = `${file}:${i + 1}`;
    if (comma <= 0) throw new DatasetError(where, 'expected path,label');
    const image = line.slice(0, comma).trim().replace(/^"|"$/g, '');
    const label = line.slice(comma + 1).trim().replace(/^"|"$/g, '');
    if (i === 0 && image.toLowerCase() === 'path' && label.toLowerCase() === 'label') return;
    if (!label) throw new DatasetError(where, 'the label is empty');
    samples.push({ file: path.resolve(base, image), label });
  });
  if (samples.length === 0) throw new DatasetError(file, 'holds no rows');
  return samples;
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DatasetError(file, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(error)})`);
  }
}

export const DATASET_FORMATS = ['auto', 'folders', 'fer2013-csv', 'utkface', 'csv'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export interface Dataset {
  /** The format actually read (never 'auto'). */
  format: Exclude<DatasetFormat, 'auto'>;
  source: string;
  /** Class names in the order of the model's outputs. */
  labels: string[];
  samples: Sample[];
}

/** Folder per class without the model's labels at hand: any class names. */
function listClassFolders(dir: string): Sample[] {
  const classes = fs.readdirSync(dir).sort().filter((name) => fs.statSync(path.join(dir, name)).isDirectory());
  if (classes.length === 0) throw new DatasetError(dir, 'holds no class folders');
  return listFolderPerClass(dir, classes);
}

function detectFormat(source: string): Exclude<DatasetFormat, 'auto'> {
  if (!fs.existsSync(source)) throw new DatasetError(source, 'no such file or folder');
  if (fs.statSync(source).isFile()) {
    const header = readText(source).split(/\r?\n/, 1)[0] ?? '';
    return /(^|,)\s*emotion\s*,/.test(header) && header.includes('pixels') ? 'fer2013-csv' : 'csv';
  }
  const entries = fs.readdirSync(source);
  if (entries.some((name) => /^\d+_[01]_/.test(name))) return 'utkface';
  return 'folders';
}

/**
 * The label order of a dataset: the caller's, else FER-2013's or gender's when every class is one
 * of theirs (so a model trained on them lines up with the released ones), else sorted names.
 */
function labelOrder(samples: readonly Sample[], given: readonly string[] | undefined, source: string): string[] {
  const present = [...new Set(samples.map((s) => s.label))];
  if (given?.length) {
    const unknown = present.filter((l) => !given.includes(l));
    if (unknown.length) throw new DatasetError(source, `labels ${unknown.join(', ')} are not among the given labels (${given.join(', ')})`);
    return [...given];
  }
  for (const known of [FER2013_LABELS, GENDER_LABELS] as readonly (readonly string[])[]) {
    if (present.every((l) => known.includes(l))) return [...known];
  }
  return present.sort();
}

/** Open a dataset of any supported format; `format` 'auto' (default) looks at the path. */
export function openDataset(source: string, options: { format?: DatasetFormat; labels?: readonly string[] } = {}): Dataset {
  const format = !options.format || options.format === 'auto' ? detectFormat(source) : options.format;
  let samples: Sample[];
  switch (format) {
    case 'folders':
      samples = options.labels?.length ? listFolderPerClass(source, options.labels) : listClassFolders(source);
      break;
    case 'utkface':
      samples = listUtkFace(source);
      break;
    case 'fer2013-csv':
      samples = readFer2013Csv(source);
      break;
    case 'csv':
      samples = readCsvIndex(source);
      break;
  }
  return { format, source, labels: labelOrder(samples, options.labels, source), samples };
}
