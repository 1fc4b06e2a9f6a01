/**
 * Detect-and-track on synthetic camera sequences made from the real photos, against the paper's
 * full-frame detector run on every frame; track ids, confirmation and smoothing in a stream; and the
 * default configuration on photos (full resolution, nothing lost for speed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FacePipeline, type FrameResult } from '../../src/pipeline/pipeline.js';
import { makeConfig } from '../../src/config/validate.js';
import { cv, type Mat } from '../../src/vision/opencv.js';
import { readColor } from '../../src/vision/image.js';
import { iou, type Box } from '../../src/vision/crop.js';
import { resolveCascade } from '../../src/detection/haar.js';
import { CAMERA_NOISE, CAMERA_PAN, Scene, loadFacePatches, movingFaces, photoBackground, seededRandom, type FacePatch, type FacePath } from '../../src/bench/scene.js';
import { photos, testBackend } from '../helpers/common.js';

let patches: FacePatch[];
let background: Mat;
const W = 640;
const H = 480;

test.before(async () => {
  await testBackend();
  patches = loadFacePatches(photos);
  background = photoBackground(path.join(photos, 'skimage_astronaut.png'), W, H)!;
});

/** The paper's detector on the whole frame: detectMultiScale(gray, 1.3, 5). */
const cascade = new cv.CascadeClassifier(resolveCascade('haarcascade_frontalface_default.xml'));
function paperFaces(frame: Mat): Box[] {
  return cascade.detectMultiScale(frame.cvtColor(cv.COLOR_BGR2GRAY), 1.3, 5).objects.map((r) => ({ x: r.x, y: r.y, width: r.width, height: r.height }));
}

async function runStream(pipeline: FacePipeline, scene: Scene): Promise<FrameResult[]> {
  const stream = pipeline.stream();
  const results: FrameResult[] = [];
  for (let i = 0; i < scene.frames; i++) {
    results.push(await stream.process(scene.frame(i)));
    // As between a camera's frames: the event loop turns, so a finished background scan lands.
    await new Promise((resolve) => setImmediate(resolve));
  }
  stream.dispose();
  return results;
}

for (const camera of ['still', 'pan'] as const)
test(`detect-and-track reports every face the full-frame detector finds within scan_interval + max_scan_lag frames, boxes IoU >= 0.8 (${camera} camera, sensor noise)`, async () => {
  const interval = 8;
  const lag = 3;
  const bound = interval + lag;
  const pipeline = await FacePipeline.create(makeConfig({ 'models.download': false, 'detector.type': 'haar', 'emotion.enabled': false, 'gender.enabled': false, 'tracking.scan_interval': interval, 'tracking.max_scan_lag': lag }));
  try {
    const frames = 90;
    const paths = movingFaces(4, patches.length, W, H, frames, 11);
    paths[0]!.away = [40, 52];
    // A still camera's background scans search for small faces only where the picture changed; a
    // panning camera's cover the whole frame.
    const scene = new Scene({ width: W, height: H, frames, faces: paths, noise: CAMERA_NOISE, pan: camera === 'pan' ? CAMERA_PAN : 0 }, patches, background);
    const results = await runStream(pipeline, scene);
    const truths = Array.from({ length: frames }, (_, i) => paperFaces(scene.frame(i)));
    let runs = 0;
    let matchedFrames = 0;
    let checkedFrames = 0;
    for (let k = 0; k < paths.length; k++) {
      // Frames in which the paper's detector finds face k, split into runs of consecutive frames.
      let runStart = -1;
      let found = -1;
      for (let i = 0; i <= frames; i++) {
        const placed = i < frames ? scene.placements(i)[k] : undefined;
        const truth = placed ? truths[i]!.find((b) => iou(b, placed) > 0.2) : undefined;
        if (!truth) {
          if (runStart >= 0 && i - runStart > bound) assert.ok(found >= 0 && found - runStart <= bound, `face ${k}, run from frame ${runStart}: first reported at ${found}, bound ${bound}`);
          if (runStart >= 0) runs++;
          runStart = -1;
          found = -1;
          continue;
        }
        if (runStart < 0) runStart = i;
        const best = Math.max(0, ...results[i]!.faces.map((f) => iou(f.box, truth)));
        if (best >= 0.8 && found < 0) found = i;
        if (found >= 0) {
          checkedFrames++;
          if (best >= 0.8) matchedFrames++;
          assert.ok(best >= 0.5, `face ${k} frame ${i}: reported box overlaps the full-frame one (IoU ${best.toFixed(2)})`);
        }
      }
    }
    console.log(`detect-and-track vs full-frame scans (${camera} camera): ${runs} face runs, each first reported within ${bound} frames; then ${matchedFrames}/${checkedFrames} frames at IoU >= 0.8`);
    assert.ok(runs >= 5, `${runs} runs: faces entered and one came back`);
    const scans = results.flatMap((r) => (r.backgroundScan ? [r.backgroundScan] : []));
    const regionScans = scans.filter((s) => s.kind === 'changed');
    console.log(`  background scans: ${scans.length}, of them ${regionScans.length} of changed regions only (mean share ${(regionScans.reduce((a, s) => a + s.share, 0) / Math.max(1, regionScans.length)).toFixed(2)})`);
    assert.ok(scans.length >= Math.floor(frames / interval) - 2, `${scans.length} background scans landed in ${frames} frames`);
    if (camera === 'still') assert.ok(regionScans.length > 0 && regionScans.length >= scans.length / 2, 'a still camera\'s scans search changed regions');
    else assert.equal(regionScans.length, 0, 'a panning camera\'s scans cover the whole frame');
    // Haar's own boxes jitter a little from frame to frame; once found, nearly every frame matches at 0.8.
    assert.ok(matchedFrames / checkedFrames >= 0.97, `${matchedFrames}/${checkedFrames} frames with IoU >= 0.8 after the face was found`);
    assert.ok(results.slice(1).every((r) => r.detection === 'tracked'), 'only the first frame is a synchronous full scan');
  } finally {
    pipeline.dispose();
  }
});

test('detect-and-track with detector.scale 0.5: a face that appears in a still picture is found by a scan of the changed regions, boxes as the whole scan at that scale', async () => {
  const interval = 5;
  const lag = 3;
  const pipeline = await FacePipeline.create(makeConfig({ 'models.download': false, 'detector.type': 'haar', 'emotion.enabled': false, 'gender.enabled': false, 'detector.scale': 0.5, 'tracking.scan_interval': interval, 'tracking.max_scan_lag': lag }));
  try {
    const frames = 30;
    const enter = 12;
    const still = (patch: number, x: number, y: number, size: number, from: number): FacePath => ({ patch, from: { x, y, size }, to: { x, y, size }, enter: from, leave: frames });
    // Faces of 60-75 detector pixels: the small-face band, searched for in the changed regions only.
    const scene = new Scene({ width: W, height: H, frames, faces: [still(0, 0.25, 0.45, 240, 0), still(1 % patches.length, 0.72, 0.45, 230, enter)], noise: CAMERA_NOISE }, patches, background);
    const results = await runStream(pipeline, scene);
    const regionScans = results.filter((r) => r.backgroundScan?.kind === 'changed');
    assert.ok(regionScans.length > 0, 'scans of the changed regions landed');
    let found = -1;
    for (let i = enter; i < frames; i++) {
      const frame = scene.frame(i);
      const gray = frame.cvtColor(cv.COLOR_BGR2GRAY);
      const truth = pipeline.detect(gray, frame).boxes.find((b) => iou(b, scene.placements(i)[1]!) > 0.2);
      gray.release();
      frame.release();
      assert.ok(truth, `the whole scan at scale 0.5 finds the new face in frame ${i}`);
      const best = Math.max(0, ...results[i]!.faces.map((f) => iou(f.box, truth)));
      if (best >= 0.8 && found < 0) found = i;
    }
    console.log(`detector.scale 0.5: the face that appeared at frame ${enter} was reported from frame ${found} (bound ${interval + lag}); ${regionScans.length} scans of changed regions`);
    assert.ok(found >= 0 && found - enter <= interval + lag, `first reported at ${found}`);
  } finally {
    pipeline.dispose();
  }
});

test('stream: a face moved and scaled over 60 frames keeps one id; one gone for more than max_missed frames comes back with a new id', async () => {
  const pipeline = await FacePipeline.create(makeConfig({ 'models.download': false, 'emotion.enabled': false, 'gender.enabled': false, 'tracking.max_missed': 5, 'tracking.confirm_frames': 3 }));
  try {
    const frames = 60;
    const path0: FacePath = { patch: patches.length - 1, from: { x: 0.25, y: 0.35, size: 150 }, to: { x: 0.7, y: 0.6, size: 240 }, enter: 0, leave: frames };
    const moving = await runStream(pipeline, new Scene({ width: W, height: H, frames, faces: [path0] }, patches, background));
    const ids = new Set(moving.flatMap((r) => r.faces.map((f) => f.trackId)));
    assert.equal(ids.size, 1, `ids seen: ${[...ids].join(', ')}`);
    assert.ok(moving.filter((r) => r.faces.length === 1).length >= 58, 'found in (nearly) every frame');
    assert.deepEqual(moving.slice(0, 3).map((r) => r.faces[0]?.confirmed), [false, false, true], 'confirmed on the 3rd frame');

    const away: FacePath = { ...path0, to: path0.from, away: [20, 30] };
    const back = await runStream(pipeline, new Scene({ width: W, height: H, frames: 45, faces: [away] }, patches, background));
    const before = back[19]!.faces[0]!.trackId;
    const after = back.slice(30).find((r) => r.faces.length > 0)!.faces[0]!.trackId;
    assert.ok(after > before, `new id after 10 frames away (max_missed 5): ${before} -> ${after}`);
    assert.ok(back.slice(20, 30).some((r) => r.droppedTracks.includes(before)), 'the old track is reported dropped');
    assert.ok(!back.slice(30).some((r) => r.faces.some((f) => f.trackId === before)), 'the old id never comes back');
  } finally {
    pipeline.dispose();
  }
});

test('stream: two real faces that cross keep their ids', async () => {
  const pipeline = await FacePipeline.create(makeConfig({ 'models.download': false, 'emotion.enabled': false, 'gender.enabled': false }));
  try {
    const frames = 50;
    const a: FacePath = { patch: 0, from: { x: 0.15, y: 0.4, size: 130 }, to: { x: 0.85, y: 0.4, size: 130 }, enter: 0, leave: frames };
    const b: FacePath = { patch: patches.length - 1, from: { x: 0.85, y: 0.62, size: 130 }, to: { x: 0.15, y: 0.62, size: 130 }, enter: 0, leave: frames };
    const scene = new Scene({ width: W, height: H, frames, faces: [a, b] }, patches, background);
    const results = await runStream(pipeline, scene);
    const idOf = (k: number, i: number): number | undefined => {
      const placed = scene.placements(i)[k]!;
      return results[i]!.faces.find((f) => iou(f.box, placed) > 0.2)?.trackId;
    };
    const idA = idOf(0, 0)!;
    const idB = idOf(1, 0)!;
    assert.ok(idA !== undefined && idB !== undefined && idA !== idB);
    for (let i = 0; i < frames; i++) {
      const [ia, ib] = [idOf(0, i), idOf(1, i)];
      if (ia !== undefined) assert.equal(ia, idA, `face A at frame ${i}`);
      if (ib !== undefined) assert.equal(ib, idB, `face B at frame ${i}`);
    }
  } finally {
    pipeline.dispose();
  }
});

test('stream: smoothing reduces label changes on a sequence with noise added to the faces', async () => {
  const pipeline = await FacePipeline.create(makeConfig({ 'models.download': false, 'smoothing.method': 'ema', 'smoothing.alpha': 0.3 }));
  try {
    const frames = 60;
    const still: FacePath = { patch: patches.length - 1, from: { x: 0.5, y: 0.5, size: 200 }, to: { x: 0.5, y: 0.5, size: 200 }, enter: 0, leave: frames };
    const scene = new Scene({ width: W, height: H, frames, faces: [still] }, patches, background);
    const random = seededRandom(9);
    const stream = pipeline.stream();
    const raw: string[] = [];
    const smoothed: string[] = [];
    for (let i = 0; i < frames; i++) {
      const frame = scene.frame(i);
      // Strong per-pixel noise on the face, different in every frame.
      const noise = new cv.Mat(H, W, cv.CV_8UC3);
      const data = Buffer.alloc(W * H * 3);
      for (let p = 0; p < data.length; p++) data[p] = Math.round(random() * 140);
      noise.setData(data);
      const noisy = frame.add(noise).sub(new cv.Mat(H, W, cv.CV_8UC3, [70, 70, 70]));
      const result = await stream.process(noisy);
      const face = result.faces[0];
      if (!face?.emotion || !face.raw.emotion) continue;
      raw.push(face.raw.emotion.label);
      smoothed.push(face.emotion.label);
    }
    const changes = (labels: string[]): number => labels.reduce((n, l, i) => n + (i > 0 && l !== labels[i - 1] ? 1 : 0), 0);
    console.log(`label changes over ${raw.length} noisy frames: raw ${changes(raw)}, ema-smoothed ${changes(smoothed)}`);
    assert.ok(raw.length >= 50, `face found in ${raw.length} frames`);
    assert.ok(changes(raw) >= 5, `the noise makes the raw label change (${changes(raw)} times)`);
    assert.ok(changes(smoothed) < changes(raw) / 2, `smoothed ${changes(smoothed)} vs raw ${changes(raw)}`);
    stream.dispose();
  } finally {
    pipeline.dispose();
  }
});

test('default configuration: every face the paper\'s full-resolution scan finds, on every photo and on a 4096 px collage', async () => {
  const pipeline = await FacePipeline.create(makeConfig({ 'models.download': false, 'emotion.enabled': false, 'gender.enabled': false }));
  try {
    const names = ['skimage_astronaut.png', 'MAX_Bryan.png', 'MAX_Chris.jpeg', 'MAX_IBM.jpeg', 'MAX_Luciano.png', 'MAX_Paul.jpeg', 'MAX_Paul2.jpeg'];
    for (const name of names) {
      const frame = readColor(path.join(photos, name));
      const paper = paperFaces(frame);
      const ours = pipeline.process(frame).faces.map((f) => f.box);
      for (const face of paper) assert.ok(ours.some((b) => iou(b, face) > 0.9), `${name}: face at ${JSON.stringify(face)} kept`);
    }
    // The six portraits tiled 3 x 2 and scaled to 4096 x 2730: small faces among large ones.
    const tiles = names.filter((n) => n !== 'MAX_IBM.jpeg').map((n) => readColor(path.join(photos, n)).resize(455, 455));
    const collage = new cv.Mat(910, 1365, cv.CV_8UC3, [0, 0, 0]);
    tiles.forEach((tile, i) => tile.copyTo(collage.getRegion(new cv.Rect((i % 3) * 455, Math.floor(i / 3) * 455, 455, 455))));
    const large = collage.resize(2730, 4096, 0, 0, cv.INTER_LINEAR);
    const paper = paperFaces(large);
    assert.ok(paper.length >= 6, `paper finds ${paper.length} faces in the collage`);
    const ours = pipeline.process(large).faces.map((f) => f.box);
    for (const face of paper) assert.ok(ours.some((b) => iou(b, face) > 0.9), `collage: face at ${JSON.stringify(face)} kept`);
  } finally {
    pipeline.dispose();
  }
});
