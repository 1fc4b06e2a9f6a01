/**
 * FacePipeline.processAsync is the photo path with its scan on the thread pool: the same faces,
 * boxes and answers as process() on real photos, the calling thread free while the scan runs, and
 * a dispose() during the scan ends in a clear error, not a crash.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readColor } from '../../src/vision/image.js';
import { makeConfig } from '../../src/config/validate.js';
import { FacePipeline } from '../../src/pipeline/pipeline.js';
import type { Mat } from '../../src/vision/opencv.js';
import { photos } from '../helpers/common.js';

let pipeline: FacePipeline;
before(async () => {
  pipeline = await FacePipeline.create(makeConfig({ 'models.download': false }), { uses: ['photo'] });
});
after(() => pipeline.dispose());

const summary = (faces: Awaited<ReturnType<FacePipeline['processAsync']>>['faces']) =>
  faces.map((f) => ({ box: f.box, score: f.score, emotion: f.emotion?.label, emotionScores: f.emotion?.scores, gender: f.gender?.label, confirmed: f.confirmed }));

test('processAsync: the same faces and answers as process on real photos', async () => {
  for (const name of ['skimage_astronaut.png', 'MAX_Bryan.png', 'MAX_Chris.jpeg', 'MAX_IBM.jpeg']) {
    const photo: Mat = readColor(path.join(photos, name));
    const sync = pipeline.process(photo, 'bgr');
    const pooled = await pipeline.processAsync(photo, 'bgr');
    assert.deepEqual(summary(pooled.faces), summary(sync.faces), name);
    assert.equal(pooled.detection, 'full');
    assert.equal(pooled.detectionScale, sync.detectionScale);
    sync.prepared.release();
    pooled.prepared.release();
    photo.release();
  }
});

test('processAsync leaves the calling thread free while the Haar scan runs', async () => {
  const photo = readColor(path.join(photos, 'skimage_astronaut.png'));
  let turns = 0;
  const counting = setInterval(() => turns++, 0);
  const result = await pipeline.processAsync(photo, 'bgr');
  clearInterval(counting);
  assert.equal(result.faces.length, 1);
  assert.ok(turns > 0, 'timers ran during the scan');
  result.prepared.release();
  photo.release();
});

test('dispose() while the scan runs: the promise rejects with the reason', async () => {
  const own = await FacePipeline.create(makeConfig({ 'models.download': false }), { uses: ['photo'] });
  const photo = readColor(path.join(photos, 'skimage_astronaut.png'));
  const running = own.processAsync(photo, 'bgr');
  own.dispose();
  await assert.rejects(running, /used after dispose/);
  photo.release();
});
