/**
 * Background scans of what changed (detection/change_map.ts): on real frames from the test photos,
 * with a camera's sensor noise, a region scan finds what the paper's whole-frame scan finds where the
 * picture changed, and looks nowhere else for small faces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { cv, type Mat } from '../../src/vision/opencv.js';
import { iou, type Box } from '../../src/vision/crop.js';
import { defaultConfig } from '../../src/config/schema.js';
import { HaarDetector } from '../../src/detection/haar.js';
import { ChangeMap, components, mergeOverlapping, type ChangeOptions } from '../../src/detection/change_map.js';
import { joinBands, scanInput, scanPlannedAsync } from '../../src/detection/frame_scan.js';
import { CAMERA_NOISE, Scene, loadFacePatches, photoBackground, type FacePatch, type FacePath } from '../../src/bench/scene.js';
import { photos } from '../helpers/common.js';

const W = 640;
const H = 480;
const OPTIONS: ChangeOptions = { threshold: 3, largeFrom: 96, smallUpTo: 163, forceWhole: false };
const config = defaultConfig();
const haar = HaarDetector.load(config['haar.cascade']);
let patches: FacePatch[];
let background: Mat;

test.before(() => {
  patches = loadFacePatches(photos);
  background = photoBackground(path.join(photos, 'skimage_astronaut.png'), W, H)!;
});

const gray = (frame: Mat): Mat => frame.cvtColor(cv.COLOR_BGR2GRAY);
/** A face that is in the picture from frame `enter` on, standing still. */
const still = (patch: number, x: number, y: number, size: number, enter = 0): FacePath => ({ patch, from: { x, y, size }, to: { x, y, size }, enter, leave: 100 });
/** The paper's whole-frame scan of a frame. */
function paperFaces(frame: Mat): Box[] {
  const image = gray(frame);
  const found = haar.detect(image, frame, config, { minSize: 0, maxSize: 0 });
  image.release();
  return found;
}

/** The map as after a whole-frame scan of `image` that found no face. */
function recordWhole(map: ChangeMap, image: Mat): void {
  map.record(map.plan(image, [], { ...OPTIONS, forceWhole: true }), []);
}

async function plannedFaces(map: ChangeMap, frame: Mat, tracked: Box[]): Promise<{ kind: string; regions: Box[]; faces: Box[] }> {
  const image = gray(frame);
  const planned = map.plan(image, tracked, OPTIONS);
  const faces = await scanPlannedAsync(haar, scanInput(image, undefined, config), planned.plan, image, config);
  map.record(planned, faces);
  image.release();
  return { kind: planned.plan.kind, regions: planned.plan.kind === 'changed' ? planned.plan.regions : [], faces };
}

test('change map: a still, noisy picture needs no region search; faces that appear are searched for and found as the whole-frame scan finds them', async () => {
  // A face from the start; then a small one (the costly scales, searched for in its region) and a
  // large one (searched for over the whole frame) appear.
  const n = patches.length;
  const faces = [still(0, 0.15, 0.45, 110), still(1 % n, 0.45, 0.2, 100, 5), still(2 % n, 0.75, 0.62, 250, 10)];
  const scene = new Scene({ width: W, height: H, frames: 100, faces, noise: CAMERA_NOISE }, patches, background);
  const map = new ChangeMap();
  recordWhole(map, gray(scene.frame(0)));
  const quiet = await plannedFaces(map, scene.frame(2), []);
  assert.equal(quiet.kind, 'changed', 'a still picture is not scanned whole');
  assert.deepEqual(quiet.regions, [], `noise alone makes no region to search: ${JSON.stringify(quiet.regions)}`);

  // As in the stream, the faces found so far are tracked: their blocks (grown by half a face) are left to re-detection.
  let tracked = quiet.faces.map((f) => ({ x: f.x - f.width / 2, y: f.y - f.height / 2, width: f.width * 2, height: f.height * 2 }));
  for (const [frameIndex, k] of [[6, 1], [11, 2]] as const) {
    const frame = scene.frame(frameIndex);
    const after = await plannedFaces(map, frame, tracked);
    tracked = after.faces.map((f) => ({ x: f.x - f.width / 2, y: f.y - f.height / 2, width: f.width * 2, height: f.height * 2 }));
    const placed = scene.placements(frameIndex)[k]!;
    const truth = paperFaces(frame).find((t) => iou(t, placed) > 0.2);
    assert.ok(truth, `the paper finds face ${k}, which appeared`);
    assert.equal(after.kind, 'changed');
    assert.ok(after.regions.length >= 1, 'the face that appeared makes a region');
    const area = after.regions.reduce((sum, r) => sum + r.width * r.height, 0);
    assert.ok(area < W * H * 0.5, `the regions cover ${Math.round((100 * area) / (W * H))}% of the frame`);
    const best = Math.max(0, ...after.faces.map((f) => iou(f, truth)));
    assert.ok(best >= 0.8, `the scan finds face ${k} (${truth.width} px) as the whole scan does (IoU ${best.toFixed(2)})`);
    console.log(`change map: face ${k} (${truth.width} px) appeared; region search over ${Math.round((100 * area) / (W * H))}% of the frame found it at IoU ${best.toFixed(2)} against the paper's whole-frame scan`);
  }
});

test('change map: blocks under a tracked face are left to re-detection, and searched again once the track is gone', async () => {
  const scene = new Scene({ width: W, height: H, frames: 100, faces: [still(0, 0.45, 0.45, 100, 3)], noise: CAMERA_NOISE }, patches, background);
  const map = new ChangeMap();
  recordWhole(map, gray(scene.frame(0)));
  const truth = paperFaces(scene.frame(4))[0]!;
  assert.ok(truth, 'the paper finds the face');
  const grown: Box = { x: truth.x - truth.width / 2, y: truth.y - truth.height / 2, width: truth.width * 2, height: truth.height * 2 };
  // The face appeared under a track (re-detection follows it): no region search there.
  const tracked = await plannedFaces(map, scene.frame(4), [grown]);
  assert.equal(tracked.kind, 'changed');
  assert.deepEqual(tracked.regions, [], 'nothing changed outside the track');
  // The track is dropped while the face stays, unchanged: its blocks are searched again.
  const untracked = await plannedFaces(map, scene.frame(8), []);
  assert.ok(untracked.regions.some((r) => r.x <= truth.x && r.y <= truth.y && r.x + r.width >= truth.x + truth.width && r.y + r.height >= truth.y + truth.height), 'the region covers the face');
  assert.ok(Math.max(...untracked.faces.map((f) => iou(f, truth))) >= 0.8, 'and the scan finds it');
});

test('change map: a panning camera, threshold 0, a forced whole scan and a new image size all scan the whole frame', () => {
  const panning = new Scene({ width: W, height: H, frames: 100, faces: [], noise: CAMERA_NOISE, pan: 48 }, patches, background);
  const map = new ChangeMap();
  recordWhole(map, gray(panning.frame(0)));
  assert.equal(map.plan(gray(panning.frame(10)), [], OPTIONS).plan.kind, 'whole', 'panning');
  const stillScene = new Scene({ width: W, height: H, frames: 100, faces: [], noise: CAMERA_NOISE }, patches, background);
  recordWhole(map, gray(stillScene.frame(0)));
  assert.equal(map.plan(gray(stillScene.frame(1)), [], OPTIONS).plan.kind, 'changed');
  assert.equal(map.plan(gray(stillScene.frame(1)), [], { ...OPTIONS, threshold: 0 }).plan.kind, 'whole', 'threshold 0');
  assert.equal(map.plan(gray(stillScene.frame(1)), [], { ...OPTIONS, forceWhole: true }).plan.kind, 'whole', 'forced');
  assert.equal(map.plan(gray(stillScene.frame(1)).resize(240, 320), [], OPTIONS).plan.kind, 'whole', 'new size');
  map.reset();
  assert.equal(map.plan(gray(stillScene.frame(1)), [], OPTIONS).plan.kind, 'whole', 'after reset');
});

test('change map helpers: connected blocks, merged regions, one box per face across the two size bands', () => {
  // 4 x 3 blocks: two groups, one of them diagonal.
  const mask = Uint8Array.from([1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1]);
  assert.deepEqual(components(mask, 4, 3), [{ x: 0, y: 0, width: 2, height: 2 }, { x: 3, y: 1, width: 1, height: 2 }]);
  assert.deepEqual(mergeOverlapping([{ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 5, width: 10, height: 10 }, { x: 30, y: 0, width: 5, height: 5 }]), [{ x: 0, y: 0, width: 15, height: 15 }, { x: 30, y: 0, width: 5, height: 5 }]);
  const face = (x: number, size: number, score: number): { x: number; y: number; width: number; height: number; score: number } => ({ x, y: 0, width: size, height: size, score });
  // The same large face from both bands: the large band's box; the same small face: the small band's.
  const joined = joinBands([face(0, 150, 9), face(300, 100, 2)], [face(2, 148, 3), face(301, 102, 8)], 125);
  assert.deepEqual(joined.map((f) => f.score).sort(), [8, 9]);
});
