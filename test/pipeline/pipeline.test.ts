import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FacePipeline } from '../../src/pipeline/pipeline.js';
import { makeConfig } from '../../src/config/validate.js';
import { cv } from '../../src/vision/opencv.js';
import { readColor, writeImage } from '../../src/vision/image.js';
import { annotate } from '../../src/vision/draw.js';
import { resolveCascade } from '../../src/detection/haar.js';
import { ImageError } from '../../src/errors.js';
import { iou, scaleBox } from '../../src/vision/crop.js';
import { outputPath, photos, testBackend } from '../helpers/common.js';

const config = makeConfig({ 'models.download': false });
let pipeline: FacePipeline;

test.before(async () => {
  await testBackend();
  pipeline = await FacePipeline.create(config);
});
test.after(() => pipeline.dispose());

/** What OpenCV itself answers for the same gray image and the paper's parameters. */
function opencvBoxes(file: string): { x: number; y: number; width: number; height: number }[] {
  const gray = readColor(file).cvtColor(cv.COLOR_BGR2GRAY);
  const cascade = new cv.CascadeClassifier(resolveCascade('haarcascade_frontalface_default.xml'));
  return cascade
    .detectMultiScale(gray, 1.3, 5)
    .objects.map((r) => ({ x: r.x, y: r.y, width: r.width, height: r.height }))
    .sort((a, b) => a.x - b.x);
}

test('astronaut: one face, happy, woman; boxes identical to detectMultiScale(gray, 1.3, 5)', () => {
  const file = path.join(photos, 'skimage_astronaut.png');
  const frame = readColor(file);
  const result = pipeline.process(frame);
  assert.equal(result.faces.length, 1);
  const face = result.faces[0]!;
  assert.equal(face.emotion?.label, 'happy');
  assert.equal(face.gender?.label, 'woman');
  assert.deepEqual(result.faces.map((f) => f.box), opencvBoxes(file));
  // The annotated image is written for people to look at.
  const target = outputPath('pipeline', 'skimage_astronaut.annotated.png');
  writeImage(target, annotate(frame, result.faces));
  assert.ok(fs.statSync(target).size > 10_000);
});

test('no face in the IBM logo; one face in each portrait, boxes identical to OpenCV\'s', () => {
  assert.equal(pipeline.process(readColor(path.join(photos, 'MAX_IBM.jpeg'))).faces.length, 0);
  for (const name of ['MAX_Bryan.png', 'MAX_Luciano.png', 'MAX_Chris.jpeg', 'MAX_Paul.jpeg', 'MAX_Paul2.jpeg']) {
    const file = path.join(photos, name);
    const result = pipeline.process(readColor(file));
    assert.equal(result.faces.length, 1, name);
    assert.deepEqual(result.faces.map((f) => f.box), opencvBoxes(file), name);
    assert.ok(result.faces[0]!.emotion && result.faces[0]!.gender, name);
  }
});

/** Several photos side by side on one canvas: a frame with several faces. */
function groupFrame(names: string[], height = 400): ReturnType<typeof readColor> {
  const parts = names.map((n) => {
    const img = readColor(path.join(photos, n));
    return img.resize(height, Math.round((img.cols * height) / img.rows));
  });
  const width = parts.reduce((w, p) => w + p.cols, 0);
  const canvas = new cv.Mat(height, width, cv.CV_8UC3, [0, 0, 0]);
  let x = 0;
  for (const part of parts) {
    part.copyTo(canvas.getRegion(new cv.Rect(x, 0, part.cols, part.rows)));
    x += part.cols;
  }
  return canvas;
}

test('a frame with several faces goes through each head in exactly one call (one for both heads when the engine combines them)', () => {
  const frame = groupFrame(['skimage_astronaut.png', 'MAX_Paul.jpeg', 'MAX_Luciano.png', 'MAX_Chris.jpeg']);
  const calls = pipeline.engine.calls;
  const result = pipeline.process(frame);
  assert.ok(result.faces.length >= 4, `found ${result.faces.length} faces`);
  assert.equal(pipeline.engine.calls - calls, pipeline.engine.combined ? 1 : 2, `${pipeline.engine.name} engine calls`);
  // Left to right: the astronaut comes first.
  assert.equal(result.faces[0]!.emotion?.label, 'happy');
  writeImage(outputPath('pipeline', 'group.annotated.png'), annotate(frame, result.faces));
});

test('RGB, BGRA and gray frames give the same face as BGR', () => {
  const bgr = readColor(path.join(photos, 'skimage_astronaut.png'));
  const reference = pipeline.process(bgr).faces;
  const rgb = pipeline.process(bgr.cvtColor(cv.COLOR_BGR2RGB), 'rgb').faces;
  const bgra = pipeline.process(bgr.cvtColor(cv.COLOR_BGR2BGRA)).faces;
  const gray = pipeline.process(bgr.cvtColor(cv.COLOR_BGR2GRAY)).faces;
  for (const faces of [rgb, bgra, gray]) {
    assert.deepEqual(faces.map((f) => f.box), reference.map((f) => f.box));
    assert.equal(faces[0]!.emotion?.label, 'happy');
  }
});

test('settings change behaviour: detector scale maps boxes back to frame pixels; disabled heads are skipped', () => {
  const frame = readColor(path.join(photos, 'skimage_astronaut.png'));
  const full = pipeline.process(frame).faces[0]!.box;
  pipeline.config = { ...config, 'detector.scale': 0.5, 'gender.enabled': false };
  const half = pipeline.process(frame);
  pipeline.config = config;
  assert.equal(half.detectionScale, 0.5);
  assert.equal(half.faces.length, 1);
  const box = half.faces[0]!.box;
  assert.ok(Math.abs(box.x - full.x) < 12 && Math.abs(box.width - full.width) < 20, `half-scale box ${JSON.stringify(box)} vs ${JSON.stringify(full)}`);
  assert.equal(half.faces[0]!.gender, undefined);
  assert.equal(half.faces[0]!.emotion?.label, 'happy');
});

test('bad frames: empty is refused with ImageError; 1x1 and a 10000x10000 frame work without crashing', () => {
  assert.throws(() => pipeline.process(new cv.Mat()), (e: unknown) => e instanceof ImageError && /empty/.test(e.message));
  assert.equal(pipeline.process(new cv.Mat(1, 1, cv.CV_8UC3, [10, 20, 30])).faces.length, 0);
  // A huge frame: the astronaut scaled up; detection runs at detector.max_side, crops at full resolution.
  const small = readColor(path.join(photos, 'skimage_astronaut.png'));
  const expected = scaleBox(pipeline.process(small).faces[0]!.box, 10000 / 512);
  const result = pipeline.process(small.resize(10000, 10000));
  assert.ok(result.detectionScale <= config['detector.max_side'] / 10000 + 1e-9);
  // The cascade runs on a different pyramid at this scale and may add a detection; the real face must be there.
  const face = result.faces.find((f) => iou(f.box, expected) > 0.7);
  assert.ok(face, `no face near ${JSON.stringify(expected)} in ${JSON.stringify(result.faces.map((f) => f.box))}`);
  assert.equal(face.emotion?.label, 'happy');
  assert.equal(face.gender?.label, 'woman');
});
