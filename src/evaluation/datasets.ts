import fs from 'node:fs';
import path from 'node:path';
import { ImageError } from '../errors.js';
import { IMAGE_EXTENSIONS } from '../vision/image.js';

/** One labelled face image. */
export interface Sample {
  file: string;
  label: string;
  /** UTKFace's age, when known. */
  age?: number;
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
