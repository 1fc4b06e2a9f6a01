import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import h5wasm from 'h5wasm/node';
import { ClassifierHead, type HeadTask } from '../../src/models/classifier.js';
import { importKerasModel } from '../../src/models/keras/import.js';
import { listManifests, findManifest } from '../../src/models/manifest.js';
import { resolveModel } from '../../src/models/resolve.js';
import { ModelFileError } from '../../src/errors.js';
import { readGray } from '../../src/vision/image.js';
import { faceInput } from '../../src/vision/preprocess.js';
import { fer2013, readJson, references, scratchDir, sharedModels, testBackend, utkface } from '../helpers/common.js';
import { cv } from '../../src/vision/opencv.js';

interface ReferenceRow {
  file: string;
  decoded_pixel_sum: number;
  resized_pixel_sum: number;
  scores: number[];
  argmax: number;
}
interface ReferenceFile {
  model: string;
  input: [number, number, number];
  rows: ReferenceRow[];
}

// The authors' releases (the models this project trained ship in models/ and have their own tests).
const kerasManifests = listManifests().filter((m) => m.format === 'keras-hdf5' && !m.run);

function pixelSum(mat: ReturnType<typeof readGray>): number {
  let sum = 0;
  for (const v of mat.getData()) sum += v;
  return sum;
}

test('every released Keras model in ../shared/models imports with the manifest\'s input, classes and parameter count', async () => {
  await testBackend();
  assert.equal(kerasManifests.length, 6);
  for (const manifest of kerasManifests) {
    const network = await importKerasModel(path.join(sharedModels, manifest.file));
    assert.deepEqual(network.inputShape, manifest.inputShape, manifest.id);
    if (manifest.parameters) assert.equal(network.parameterCount, manifest.parameters, `${manifest.id} parameter count`);
    network.dispose();
  }
});

const referenceFiles = fs.readdirSync(references).filter((f) => /^(emotion|gender)-.*\.json$/.test(f));

test('reference files cover all six Keras models', () => {
  const models = new Set(referenceFiles.map((f) => readJson<ReferenceFile>(path.join(references, f)).model));
  assert.equal(models.size, 6);
});

for (const referenceFile of referenceFiles) {
  test(`scores match the float64 reference within 1e-4: ${referenceFile}`, async () => {
    await testBackend();
    const reference = readJson<ReferenceFile>(path.join(references, referenceFile));
    const task: HeadTask = referenceFile.startsWith('gender') ? 'gender' : 'emotion';
    const head = await ClassifierHead.load(task, path.join(sharedModels, reference.model));
    const folder = task === 'gender' ? utkface : fer2013;
    const inputs = reference.rows.map((row) => {
      const gray = readGray(path.join(folder, row.file));
      // Pixel sums localise a difference: decode first, then resize.
      assert.equal(pixelSum(gray), row.decoded_pixel_sum, `${row.file}: decoded pixels differ`);
      const resized = gray.resize(head.inputHeight, head.inputWidth, 0, 0, cv.INTER_LINEAR);
      assert.equal(pixelSum(resized), row.resized_pixel_sum, `${row.file}: resized pixels differ`);
      return faceInput(gray, head.inputHeight, head.inputWidth);
    });
    const answers = head.predict(inputs);
    let worst = 0;
    reference.rows.forEach((row, i) => {
      const scores = answers[i]!.scores;
      assert.equal(scores.length, row.scores.length);
      row.scores.forEach((expected, c) => (worst = Math.max(worst, Math.abs(expected - scores[c]!))));
      assert.equal(head.labels.indexOf(answers[i]!.label), row.argmax, `${row.file}: argmax`);
    });
    assert.ok(worst <= 1e-4, `largest score difference ${worst} > 1e-4`);
    head.dispose();
  });
}

async function expectModelError(file: string, reason: RegExp): Promise<void> {
  await assert.rejects(importKerasModel(file), (error: unknown) => {
    assert.ok(error instanceof ModelFileError, `expected ModelFileError, got ${String(error)}`);
    assert.equal(error.file, file);
    assert.match(error.message, reason);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

test('bad model files: missing, truncated, not HDF5, unknown layer class', async () => {
  await testBackend();
  const dir = scratchDir('models');
  const original = path.join(sharedModels, 'fer2013_mini_XCEPTION.102-0.66.hdf5');
  await expectModelError(path.join(dir, 'absent.hdf5'), /no such file/);

  const truncated = path.join(dir, 'truncated.hdf5');
  const bytes = fs.readFileSync(original);
  fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await expectModelError(truncated, /damaged or truncated|missing|holds/);

  const text = path.join(dir, 'text.hdf5');
  fs.writeFileSync(text, 'this is not a model\n');
  await expectModelError(text, /not an HDF5 file/);

  const unknown = path.join(dir, 'lstm.hdf5');
  fs.copyFileSync(original, unknown);
  await h5wasm.ready;
  const h5 = new h5wasm.File(unknown, 'a');
  const config = JSON.parse(String(h5.attrs['model_config']!.value)) as { config: { layers: { class_name: string; name: string }[] } };
  config.config.layers[3]!.class_name = 'LSTM';
  h5.delete_attribute('model_config');
  h5.create_attribute('model_config', JSON.stringify(config));
  h5.close();
  await expectModelError(unknown, /layer activation_1 \(LSTM\): layer class LSTM is not supported/);
  fs.rmSync(dir, { recursive: true });
});

test('a file whose sha256 differs from its manifest is refused before use', async () => {
  const dir = scratchDir('sha');
  const manifest = findManifest('fer2013_mini_XCEPTION.102-0.66')!;
  // The right name, the wrong bytes (another released model).
  fs.copyFileSync(path.join(sharedModels, 'mini_XCEPTION_KDEF.hdf5'), path.join(dir, manifest.file));
  await assert.rejects(resolveModel(manifest.id, { directory: dir, download: false }), (error: unknown) => {
    assert.ok(error instanceof ModelFileError);
    assert.match(error.message, new RegExp(`${manifest.file}: sha256 mismatch: expected ${manifest.sha256}`));
    return true;
  });
  fs.rmSync(dir, { recursive: true });
});

test('model resolution: explicit directory first, then ../shared/models; unknown ids are named', async () => {
  const viaShared = await resolveModel('gender_mini_XCEPTION.21-0.95', { download: false });
  assert.equal(viaShared.source, 'shared');
  const dir = scratchDir('resolve');
  fs.copyFileSync(path.join(sharedModels, 'tiny_XCEPTION_KDEF.hdf5'), path.join(dir, 'tiny_XCEPTION_KDEF.hdf5'));
  const viaDir = await resolveModel('tiny_XCEPTION_KDEF', { directory: dir, download: false });
  assert.equal(viaDir.source, 'directory');
  assert.equal(viaDir.path, path.join(dir, 'tiny_XCEPTION_KDEF.hdf5'));
  await assert.rejects(resolveModel('no_such_model', { download: false }), /no_such_model: unknown model id/);
  fs.rmSync(dir, { recursive: true });
});
