import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClassifierHead } from '../../src/models/classifier.js';
import { listFolderPerClass, listUtkFace } from '../../src/evaluation/datasets.js';
import { evaluateHead } from '../../src/evaluation/evaluate.js';
import path from 'node:path';
import { listManifests } from '../../src/models/manifest.js';
import { resolveModel } from '../../src/models/resolve.js';
import { fer2013, readJson, repoRoot, testBackend, utkface } from '../helpers/common.js';

test('default emotion model scores at least 65.0% on the 3,589 FER-2013 PublicTest images', async () => {
  await testBackend();
  const head = await ClassifierHead.load('emotion', undefined, { download: false });
  const samples = listFolderPerClass(fer2013, head.labels);
  assert.equal(samples.length, 3589);
  const report = evaluateHead(head, samples);
  const perClass = Object.entries(report.perClass).map(([label, s]) => `${label} ${(s.accuracy * 100).toFixed(1)}%`).join(', ');
  console.log(`# FER-2013 PublicTest accuracy ${(report.accuracy * 100).toFixed(2)}% (${perClass})`);
  assert.ok(report.accuracy >= 0.65, `accuracy ${report.accuracy}`);
  head.dispose();
});

test('default gender model on UTKFace: tight chips vs chips padded by 40% (edge-replicated)', async () => {
  await testBackend();
  const head = await ClassifierHead.load('gender', undefined, { download: false });
  const samples = listUtkFace(utkface);
  assert.equal(samples.length, 1009);
  const tight = evaluateHead(head, samples);
  const padded = evaluateHead(head, samples, { pad: 0.4 });
  const adults = evaluateHead(head, samples.filter((s) => s.age! >= 18 && s.age! <= 60), { pad: 0.4 });
  console.log(`# UTKFace gender accuracy: tight ${(tight.accuracy * 100).toFixed(2)}%, padded 40% ${(padded.accuracy * 100).toFixed(2)}%, padded adults 18-60 ${(adults.accuracy * 100).toFixed(2)}% (n=${adults.samples})`);
  // The model was trained on loose IMDB crops: wider framing must help, and adults are its domain.
  assert.ok(padded.accuracy > tight.accuracy + 0.1, `padded ${padded.accuracy} vs tight ${tight.accuracy}`);
  assert.ok(padded.accuracy >= 0.7, `padded ${padded.accuracy}`);
  assert.ok(adults.accuracy >= 0.88, `adults ${adults.accuracy}`);
  head.dispose();
});

test('the emotion model this project trained ships in models/, loads by id, and scores on PublicTest what its manifest and its evaluation report say', async () => {
  await testBackend();
  const trained = listManifests().filter((m) => m.run);
  assert.ok(trained.length >= 1, 'a trained model ships with the package');
  for (const manifest of trained) {
    const resolved = await resolveModel(manifest.id, { download: false });
    assert.equal(resolved.source, 'package', `${manifest.id} comes from the package's models/`);
    const head = await ClassifierHead.load('emotion', manifest.id, { download: false });
    const report = evaluateHead(head, listFolderPerClass(fer2013, head.labels));
    head.dispose();
    const shipped = readJson<{ accuracy: number }>(path.join(repoRoot, manifest.run!, 'evaluation', 'report.json'));
    console.log(`# ${manifest.id}: PublicTest accuracy ${(report.accuracy * 100).toFixed(2)}% (manifest ${manifest.reportedAccuracy}, report ${shipped.accuracy})`);
    assert.ok(Math.abs(report.accuracy - shipped.accuracy) < 1e-9, 'the evaluation report is of these weights');
    assert.ok(Math.abs(report.accuracy - manifest.reportedAccuracy!) < 0.002, 'the validation accuracy of its best epoch is what evaluate finds');
  }
});
