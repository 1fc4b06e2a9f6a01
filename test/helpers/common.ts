import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../src/backend.js';
import { packageRoot, sharedDir } from '../../src/paths.js';

/** The repository root (the folder with package.json and models/ above dist/test/helpers/). */
export const repoRoot = packageRoot;

/** ../shared: the paper's weights and test data. Tests need it; CI puts it beside the clone. */
export const shared: string = (() => {
  const dir = sharedDir();
  if (!dir) throw new Error('tests need ../shared (the models and test data) beside the repository, or FACE_CLASSIFICATION_SHARED');
  return dir;
})();

export const sharedModels = path.join(shared, 'models');
export const photos = path.join(shared, 'testdata', 'photos');
export const fer2013 = path.join(shared, 'testdata', 'fer2013-publictest');
export const utkface = path.join(shared, 'testdata', 'utkface');
export const references = path.join(shared, 'testdata', 'reference');

/** Where tests write files worth looking at (annotated images, GBP maps). Ignored by git. */
export const testOutput = path.join(repoRoot, 'test-output');

export function outputPath(...parts: string[]): string {
  const file = path.join(testOutput, ...parts);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return file;
}

/** The backend the tests run on: the default choice (auto), or FACE_CLASSIFICATION_BACKEND. */
export function testBackend(): Promise<string> {
  return initBackend('auto');
}

export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** A scratch folder under the OS temp dir, removed by the caller. */
export function scratchDir(prefix: string): string {
  return fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), `fc-${prefix}-`));
}
