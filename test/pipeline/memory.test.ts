import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ClassifierHead } from '../../src/models/classifier.js';
import { listFolderPerClass } from '../../src/evaluation/datasets.js';
import { readGray } from '../../src/vision/image.js';
import { faceInput } from '../../src/vision/preprocess.js';
import { fer2013, photos, testBackend } from '../helpers/common.js';
import { FacePipeline } from '../../src/pipeline/pipeline.js';
import { makeConfig } from '../../src/config/validate.js';
import { readColor } from '../../src/vision/image.js';
import path from 'node:path';

test('classifying 1,000 crops leaves tf.memory().numTensors where it started', async () => {
  await testBackend();
  const emotion = await ClassifierHead.load('emotion', undefined, { download: false, batchSize: 7 });
  const gender = await ClassifierHead.load('gender', undefined, { download: false, batchSize: 7 });
  const samples = listFolderPerClass(fer2013, emotion.labels).slice(0, 1000);
  const before = tf.memory().numTensors;
  for (let start = 0; start < samples.length; start += 50) {
    const inputs = samples.slice(start, start + 50).map((s) => faceInput(readGray(s.file), 64, 64));
    emotion.predict(inputs);
    gender.predict(inputs);
  }
  assert.equal(emotion.calls, Math.ceil(50 / 7) * 20);
  assert.equal(tf.memory().numTensors, before);
  emotion.dispose();
  gender.dispose();
});

test('processing frames through the whole pipeline leaves numTensors flat', async () => {
  const pipeline = await FacePipeline.create(makeConfig({ 'models.download': false }));
  const frame = readColor(path.join(photos, 'skimage_astronaut.png'));
  pipeline.process(frame);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) pipeline.process(frame);
  assert.equal(tf.memory().numTensors, before);
  pipeline.dispose();
});
