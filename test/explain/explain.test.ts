/**
 * Explanations (issue 5): guided backpropagation, plain gradients, Grad-CAM, on the default backend,
 * with the paper's released weights and real faces.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ClassifierHead } from '../../src/models/classifier.js';
import type { NetworkOps } from '../../src/models/network.js';
import { loadConfig } from '../../src/config/load.js';
import { FacePipeline } from '../../src/pipeline/pipeline.js';
import { readColor, readGray, writeImage } from '../../src/vision/image.js';
import { cv } from '../../src/vision/opencv.js';
import { faceInput } from '../../src/vision/preprocess.js';
import { explainFaces } from '../../src/explain/explainer.js';
import { conv2dInputGradient, depthwiseInputGradient } from '../../src/explain/conv-backward.js';
import { maxPoolRouting, routedMaxPool } from '../../src/explain/maxpool.js';
import { enlarge, overlayImage, renderExplanationFrame, saliencyImage } from '../../src/explain/render.js';
import { ExplanationError, type ExplainMethod } from '../../src/explain/types.js';
import { explainCommand } from '../../src/cli/commands/explain.js';
import type { CliContext } from '../../src/cli/command.js';
import { UsageError } from '../../src/cli/command.js';
import { silentLogger } from '../../src/log.js';
import { fer2013, outputPath, photos, readJson, references, sharedModels, testBackend, utkface } from '../helpers/common.js';
import { seededRandom } from '../../src/bench/scene.js';

let emotion: ClassifierHead;
let gender: ClassifierHead;

before(async () => {
  await testBackend();
  emotion = await ClassifierHead.load('emotion', undefined, { directory: sharedModels });
  gender = await ClassifierHead.load('gender', undefined, { directory: sharedModels });
});

after(() => {
  emotion.dispose();
  gender.dispose();
});


function ferFace(file: string, head: ClassifierHead = emotion): Float32Array {
  return faceInput(readGray(path.join(fer2013, file)), head.inputHeight, head.inputWidth, head.scaling);
}

/** The first `count` FER-2013 PublicTest files, taken round-robin over the class folders. */
function ferFiles(count: number): string[] {
  const classes = fs.readdirSync(fer2013).sort();
  const lists = classes.map((c) => fs.readdirSync(path.join(fer2013, c)).sort().map((f) => `${c}/${f}`));
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) for (const list of lists) if (out.length < count && list[i]) out.push(list[i]!);
  return out;
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Target pre-softmax scores of a batch of faces, with the standard forward pass. */
function targetScores(head: ClassifierHead, faces: Float32Array[], targets: number[]): number[] {
  const logits = tf.tidy(() => head.network.forward(head.toBatch(faces)).outputs[0]!.logits.dataSync() as Float32Array);
  const classes = head.labels.length;
  return targets.map((t, i) => logits[i * classes + t]!);
}

// ---------------------------------------------------------------------------------------------
// The custom backward ops, against the backend's own kernels where those are right.

test('max-pool routing: first maximum in row-major order, padding never wins, all-negative windows route', () => {
  // One 3x3 'same' stride-2 pool over a 4x4 all-negative map with a tie: TF pads 0 before, 1 after.
  const x = Float32Array.from([-5, -1, -1, -7, -3, -2, -9, -8, -4, -6, -2, -3, -9, -9, -9, -9]);
  const { values, route, shape } = maxPoolRouting(x, [1, 4, 4, 1], [3, 3], [2, 2], 'same');
  assert.deepEqual(shape, [1, 2, 2, 1]);
  assert.deepEqual(Array.from(values), [-1, -1, -2, -2]);
  // Window (0,0) holds -1 at cells 1 and 2: the first wins. Windows (1,0) and (1,1) overlap and both
  // pick cell 10 (-2), whose gradient sums theirs; padding cells (bottom row/right column) never win.
  assert.deepEqual(Array.from(route), [1, 2, 10, 10]);
  const grad = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(routedMaxPool(t as tf.Tensor4D, [3, 3], [2, 2], 'same'), tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]))))(tf.tensor4d(x, [1, 4, 4, 1])).dataSync());
  const expected = new Array(16).fill(0);
  expected[1] = 1;
  expected[2] = 2;
  expected[10] = 3 + 4;
  assert.deepEqual(Array.from(grad), expected);
});

test('convolution input gradients from forward kernels equal the backprop-input kernel (strides 1-2, same/valid, odd/even sizes)', () => {
  const rng = seededRandom(7);
  const tensor = (shape: readonly number[]): tf.Tensor4D =>
    tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1), shape as [number, number, number, number]);
  const cases: [number, number, number, number, number, 'same' | 'valid'][] = [
    // size, kernel, stride, in channels, out channels / multiplier, padding
    [9, 3, 1, 3, 4, 'same'], [9, 3, 1, 3, 4, 'valid'], [8, 1, 2, 4, 5, 'same'], [15, 1, 2, 4, 5, 'same'],
    [9, 3, 2, 2, 3, 'same'], [10, 3, 2, 2, 3, 'valid'], [7, 2, 1, 2, 2, 'same'], [8, 5, 3, 2, 2, 'same'],
  ];
  for (const [size, k, s, cin, cout, padding] of cases) {
    tf.tidy(() => {
      const inputShape: [number, number, number, number] = [2, size, size, cin];
      const filter = tensor([k, k, cin, cout]);
      const y = tf.conv2d(tf.zeros<tf.Rank.R4>(inputShape), filter, s, padding);
      const dy = tensor(y.shape);
      const ours = conv2dInputGradient(dy, filter, inputShape, [s, s], padding);
      const reference = tf.conv2dTranspose(dy, filter, inputShape, s, padding);
      assert.ok(maxAbsDiff(ours.dataSync(), reference.dataSync()) < 1e-5, `conv2d ${JSON.stringify([size, k, s, padding])}`);
      // Depthwise with multiplier m equals conv2d with a block-diagonal filter.
      const depthwise = tensor([k, k, cin, 2]);
      const blocks = new Float32Array(k * k * cin * cin * 2);
      const dw = depthwise.dataSync();
      for (let p = 0; p < k * k; p++) for (let c = 0; c < cin; c++) for (let m = 0; m < 2; m++) blocks[(p * cin + c) * cin * 2 + c * 2 + m] = dw[(p * cin + c) * 2 + m]!;
      const full = tf.tensor4d(blocks, [k, k, cin, cin * 2]);
      const ddy = tensor(tf.depthwiseConv2d(tf.zeros<tf.Rank.R4>(inputShape), depthwise, s, padding).shape);
      const dwOurs = depthwiseInputGradient(ddy, depthwise, inputShape, [s, s], padding);
      const dwReference = tf.conv2dTranspose(ddy, full, inputShape, s, padding);
      assert.ok(maxAbsDiff(dwOurs.dataSync(), dwReference.dataSync()) < 1e-5, `depthwise ${JSON.stringify([size, k, s, padding])}`);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 1. Plain gradients against finite differences.

interface Recorded {
  /** ReLU input > 0, or a max-pool's routing (flat input index), for every batch item in turn. */
  relu?: Uint8Array;
  route?: Int32Array;
  inputSize: number;
}

/** Forward ops that record every ReLU's sign pattern and every max-pool's routing, call by call. */
function recordingOps(calls: Recorded[]): Partial<NetworkOps> {
  return {
    relu: (x) => {
      calls.push({ relu: Uint8Array.from(x.dataSync(), (v) => (v > 0 ? 1 : 0)), inputSize: x.size });
      return tf.relu(x);
    },
    maxPool: (x, pool, strides, padding) => {
      const r = maxPoolRouting(x.dataSync() as Float32Array, x.shape, pool, strides, padding);
      calls.push({ route: r.route, inputSize: x.size });
      return tf.tensor4d(r.values, r.shape);
    },
  };
}

/** Does batch item k cross a switch, i.e. have another ReLU sign pattern or max-pool routing than item 0? */
function switched(calls: readonly Recorded[], items: number, k: number): boolean {
  for (const call of calls) {
    const data = call.relu ?? call.route!;
    const per = data.length / items;
    const offset = call.route ? k * (call.inputSize / items) : 0;
    for (let i = 0; i < per; i++) if (data[k * per + i]! - offset !== data[i]) return true;
  }
  return false;
}

/**
 * Forward ops of the network linearised at one input: every ReLU keeps that input's mask and every
 * max-pool its routing (recorded by recordingOps on a batch of one), for any batch. Built from
 * forward ops only, independent of the custom backward passes under test.
 */
function frozenOps(recorded: readonly Recorded[]): Partial<NetworkOps> {
  let call = 0;
  return {
    relu: (x) => {
      const mask = recorded[call++]!.relu!;
      return tf.mul(x, tf.tensor(Float32Array.from(mask), [1, ...x.shape.slice(1)]));
    },
    maxPool: (x, pool, strides, padding) => {
      const { route } = recorded[call++]!;
      const values = x.dataSync();
      const [n] = x.shape;
      const inPer = x.size / n;
      const shape = maxPoolRouting(values.subarray(0, inPer) as Float32Array, [1, ...x.shape.slice(1)], pool, strides, padding).shape;
      const out = new Float32Array(n * route!.length);
      for (let b = 0; b < n; b++) for (let i = 0; i < route!.length; i++) out[b * route!.length + i] = values[b * inPer + route![i]!]!;
      return tf.tensor4d(out, [n, shape[1], shape[2], shape[3]]);
    },
  };
}

/** Faces perturbed by +-h at each pixel: [face, face + h e_p1, face - h e_p1, ...] and the exact float32 steps. */
function perturbed(face: Float32Array, pixels: readonly number[], h: number): { batch: Float32Array[]; steps: number[] } {
  const batch = [face];
  const steps: number[] = [];
  for (const p of pixels) {
    const plus = Float32Array.from(face);
    const minus = Float32Array.from(face);
    plus[p] = face[p]! + h;
    minus[p] = face[p]! - h;
    steps.push(plus[p]! - minus[p]!);
    batch.push(plus, minus);
  }
  return { batch, steps };
}

test('plain rule = true gradient: finite differences agree where no ReLU or max-pool switch is crossed', (t) => {
  // Float32 scores carry ~1e-6 * |score| of rounding, so a central difference with step h carries
  // ~1e-6 * |score| / h. A step of 1e-2 nearly always flips some of the ~120k ReLUs (pre-activations
  // sit within 1e-4 of zero somewhere), so each pixel takes the largest step of the ladder that
  // crosses no switch, and the tolerance grows as the step shrinks.
  const ladder = [1e-2, 3e-3, 1e-3, 3e-4, 1e-4];
  const tolerance = (scale: number, score: number, h: number): number => 1e-3 * scale + (1e-6 * Math.max(1, Math.abs(score))) / h;
  const cases: { head: ClassifierHead; face: Float32Array; name: string }[] = [
    ...['happy/PublicTest_10130075.jpg', 'angry/PublicTest_10813312.jpg', 'surprise/PublicTest_10709121.jpg'].map((f) => ({ head: emotion, face: ferFace(f), name: f })),
    { head: gender, name: '10_0_0_20170110220539329.jpg.chip.jpg', face: faceInput(readGray(path.join(utkface, '10_0_0_20170110220539329.jpg.chip.jpg')), 64, 64) },
  ];
  let sampled = 0;
  let excluded = 0;
  let worstTrue = 0;
  let worstFrozen = 0;
  const byStep = new Map<number, number>();
  for (const [n, { head, face, name }] of cases.entries()) {
    const [explanation] = explainFaces(head, [face], { method: 'gbp', rule: 'plain' });
    const g = explanation!.map;
    const target = explanation!.targetIndex;
    const classes = head.labels.length;
    const scale = maxAbs(g);
    // 20 of the most salient pixels and 20 random ones.
    const order = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!));
    const rng = seededRandom(100 + n);
    const chosen = new Set(order.slice(0, 20));
    while (chosen.size < 40) chosen.add(Math.floor(rng() * g.length));
    sampled += chosen.size;
    let pending = [...chosen];
    for (const h of ladder) {
      if (pending.length === 0) break;
      const { batch, steps } = perturbed(face, pending, h);
      const calls: Recorded[] = [];
      const logits = tf.tidy(() => head.network.forward(head.toBatch(batch), { ops: recordingOps(calls) }).outputs[0]!.logits.dataSync() as Float32Array);
      pending = pending.filter((p, j) => {
        if (switched(calls, batch.length, 1 + 2 * j) || switched(calls, batch.length, 2 + 2 * j)) return true;
        const fd = (logits[(1 + 2 * j) * classes + target]! - logits[(2 + 2 * j) * classes + target]!) / steps[j]!;
        const bound = tolerance(scale, explanation!.score, h);
        assert.ok(Math.abs(fd - g[p]!) <= bound, `${name} pixel ${p}, h=${h}: finite difference ${fd} vs backward ${g[p]} (bound ${bound})`);
        worstTrue = Math.max(worstTrue, Math.abs(fd - g[p]!) / scale);
        byStep.set(h, (byStep.get(h) ?? 0) + 1);
        return false;
      });
    }
    excluded += pending.length;
    // Every sampled pixel, no exclusions: the network linearised at this face (masks and routes
    // frozen) is linear, so a large step has no switch and little rounding; it must give g exactly.
    const base: Recorded[] = [];
    tf.tidy(() => {
      head.network.forward(head.toBatch([face]), { ops: recordingOps(base) });
    });
    const { batch, steps } = perturbed(face, [...chosen], 0.1);
    const logits = tf.tidy(() => head.network.forward(head.toBatch(batch), { ops: frozenOps(base) }).outputs[0]!.logits.dataSync() as Float32Array);
    [...chosen].forEach((p, j) => {
      const fd = (logits[(1 + 2 * j) * classes + target]! - logits[(2 + 2 * j) * classes + target]!) / steps[j]!;
      worstFrozen = Math.max(worstFrozen, Math.abs(fd - g[p]!) / scale);
    });
  }
  const checked = sampled - excluded;
  t.diagnostic(
    `finite differences (float32, ${tf.getBackend()}): ${checked}/${sampled} pixels checked, ${excluded} excluded (a switch crossed even at h=${ladder.at(-1)}); ` +
      `steps used: ${[...byStep].map(([h, c]) => `h=${h}: ${c}`).join(', ')}; worst |fd - g| = ${worstTrue.toExponential(2)} of the map's max ` +
      `(bound 1e-3 of max + 1e-6*|score|/h). Linearised network, all ${sampled} pixels, h=0.1: worst ${worstFrozen.toExponential(2)} of max (bound 1e-4)`,
  );
  assert.ok(worstFrozen < 1e-4, `linearised finite differences differ by ${worstFrozen} of the max`);
  assert.ok(checked >= 0.5 * sampled, `only ${checked} of ${sampled} pixels could be checked without a switch crossing`);
});

// ---------------------------------------------------------------------------------------------
// 2. Agreement with the independent float64 reference.

interface GbpRow {
  file: string;
  target_class: number;
  score: number;
  maxpool_min_rel_gap: number;
  guided: number[];
  plain: number[];
  guided_max_abs: number;
  plain_max_abs: number;
}

for (const [task, model, folder] of [['emotion', 'fer2013_mini_XCEPTION.102-0.66', fer2013], ['gender', 'gender_mini_XCEPTION.21-0.95', utkface]] as const) {
  test(`guided and plain maps match the float64 reference: ${model}`, (t) => {
    const head = task === 'emotion' ? emotion : gender;
    const rows = readJson<{ rows: GbpRow[] }>(path.join(references, `gbp-${model}.json`)).rows;
    const faces = rows.map((r) => faceInput(readGray(path.join(folder, r.file)), head.inputHeight, head.inputWidth, head.scaling));
    const guided = explainFaces(head, faces, { rule: 'guided' });
    const plain = explainFaces(head, faces, { rule: 'plain' });
    let worst = 0;
    rows.forEach((row, i) => {
      // README: a max-pool window whose top two values differ by < 1e-6 (relative) may route
      // differently in float32, moving the map by percents of its max; such rows get 5e-2, not 1e-3.
      const fragile = row.maxpool_min_rel_gap < 1e-6;
      const bound = fragile ? 5e-2 : 1e-3;
      assert.equal(guided[i]!.targetIndex, row.target_class, row.file);
      assert.equal(plain[i]!.targetIndex, row.target_class, row.file);
      assert.ok(Math.abs(guided[i]!.score - row.score) < 1e-4 * Math.max(1, Math.abs(row.score)), `${row.file}: score ${guided[i]!.score} vs ${row.score}`);
      const g = maxAbsDiff(guided[i]!.map, row.guided) / row.guided_max_abs;
      const p = maxAbsDiff(plain[i]!.map, row.plain) / row.plain_max_abs;
      assert.ok(g < bound && p < bound, `${row.file}: guided ${g.toExponential(2)}, plain ${p.toExponential(2)} of max (bound ${bound})`);
      if (fragile) t.diagnostic(`${row.file} (max-pool gap ${row.maxpool_min_rel_gap}): guided ${g.toExponential(2)}, plain ${p.toExponential(2)} of max`);
      worst = Math.max(worst, g, p);
    });
    t.diagnostic(`${model}: ${rows.length} faces, worst |map - reference| = ${worst.toExponential(2)} of the map's max |value| (${tf.getBackend()})`);
  });
}

// ---------------------------------------------------------------------------------------------
// 3. Deletion: the salient pixels matter more than random ones.

test('deletion: masking the 10% most salient pixels lowers the target score more than 10% random pixels (50 FER faces)', (t) => {
  const files = ferFiles(50);
  const faces = files.map((f) => ferFace(f));
  const explanations = explainFaces(emotion, faces, { method: 'gbp' });
  const targets = explanations.map((e) => e.targetIndex);
  const count = Math.round(0.1 * faces[0]!.length);
  const rng = seededRandom(2024);
  const salient: Float32Array[] = [];
  const randomMasked: Float32Array[] = [];
  const draws = 3;
  faces.forEach((face, i) => {
    const map = explanations[i]!.map;
    const order = Array.from(map.keys()).sort((a, b) => Math.abs(map[b]!) - Math.abs(map[a]!));
    // Masked pixels are set to 0 in scaled units: mid-gray (127.5), the middle of the input range.
    const masked = Float32Array.from(face);
    for (const p of order.slice(0, count)) masked[p] = 0;
    salient.push(masked);
    for (let d = 0; d < draws; d++) {
      const pixels = Array.from(face.keys());
      for (let k = 0; k < count; k++) {
        const j = k + Math.floor(rng() * (pixels.length - k));
        [pixels[k], pixels[j]] = [pixels[j]!, pixels[k]!];
      }
      const other = Float32Array.from(face);
      for (const p of pixels.slice(0, count)) other[p] = 0;
      randomMasked.push(other);
    }
  });
  const base = targetScores(emotion, faces, targets);
  const afterSalient = targetScores(emotion, salient, targets);
  const afterRandom = targetScores(emotion, randomMasked, targets.flatMap((x) => Array<number>(draws).fill(x)));
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const salientDrop = mean(base.map((b, i) => b - afterSalient[i]!));
  const randomDrop = mean(base.map((b, i) => b - mean(afterRandom.slice(i * draws, (i + 1) * draws))));
  const wins = base.filter((b, i) => b - afterSalient[i]! > b - mean(afterRandom.slice(i * draws, (i + 1) * draws))).length;
  t.diagnostic(`mean target-score drop (pre-softmax; pixels set to 0 = mid-gray): salient 10% ${salientDrop.toFixed(3)}, random 10% ${randomDrop.toFixed(3)} (mean of ${draws} draws); salient wins on ${wins}/50 faces; mean base score ${mean(base).toFixed(3)}`);
  assert.ok(salientDrop > randomDrop, `salient ${salientDrop} vs random ${randomDrop}`);
});

// ---------------------------------------------------------------------------------------------
// 4, 5. Batching and tensor hygiene.

test('a batch of faces gives the same maps as one face at a time, for every method', (t) => {
  const faces = ferFiles(8).map((f) => ferFace(f));
  const notes: string[] = [];
  for (const method of ['gbp', 'gradcam', 'guided-gradcam'] as ExplainMethod[]) {
    const batched = explainFaces(emotion, faces, { method });
    let worst = 0;
    faces.forEach((face, i) => {
      const [single] = explainFaces(emotion, [face], { method });
      assert.equal(single!.targetIndex, batched[i]!.targetIndex);
      worst = Math.max(worst, maxAbsDiff(single!.map, batched[i]!.map) / Math.max(maxAbs(single!.map), 1e-12));
    });
    notes.push(`${method} ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-4, `${method}: batched differs from single by ${worst} of the max`);
  }
  t.diagnostic(`batched vs single, worst |diff| / max: ${notes.join(', ')}`);
});

test('explanations leave no tensors behind', () => {
  const faces = ferFiles(3).map((f) => ferFace(f));
  const run = (): void => {
    for (const method of ['gbp', 'gradcam', 'guided-gradcam'] as ExplainMethod[]) explainFaces(emotion, faces, { method });
    explainFaces(gender, faces, { rule: 'plain', target: 'woman' });
  };
  run();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) run();
  assert.equal(tf.memory().numTensors, before);
});

test('targets: a named class is explained for every face; unknown classes fail clearly', () => {
  const faces = ferFiles(3).map((f) => ferFace(f));
  const surprise = explainFaces(emotion, faces, { target: 'surprise' });
  assert.ok(surprise.every((e) => e.targetLabel === 'surprise' && e.targetIndex === 5));
  const top = explainFaces(emotion, faces);
  const scores = tf.tidy(() => emotion.network.forward(emotion.toBatch(faces)).outputs[0]!.logits.arraySync() as number[][]);
  top.forEach((e, i) => assert.equal(e.score, Math.max(...scores[i]!)));
  assert.throws(() => explainFaces(emotion, faces, { target: 'bored' }), ExplanationError);
  assert.throws(() => explainFaces(gender, faces, { target: 7 }), /not one of this model's classes/);
  assert.deepEqual(explainFaces(emotion, []), []);
});

// ---------------------------------------------------------------------------------------------
// 6. Images to look at, and the CLI command.

test('example images: astronaut with maps pasted, FER faces with saliency and overlays (test-output/explain/)', async () => {
  const config = loadConfig(undefined, {});
  const pipeline = await FacePipeline.create(config);
  try {
    const frame = readColor(path.join(photos, 'skimage_astronaut.png'));
    const gray = frame.cvtColor(cv.COLOR_BGR2GRAY);
    const { boxes } = pipeline.detect(gray, frame);
    assert.equal(boxes.length, 1);
    const head = pipeline.heads.emotion!;
    const crops = pipeline.crops(gray, boxes, 'emotion');
    const inputs = crops.map((crop) => crop.input);
    for (const method of ['gbp', 'gradcam', 'guided-gradcam'] as ExplainMethod[]) {
      const explanations = explainFaces(head, inputs, { method });
      const faces = explanations.map((e, i) => ({ ...e, box: crops[i]!.region, label: `${e.targetLabel} ${e.score.toFixed(2)}` }));
      writeImage(outputPath('explain', `astronaut.${method}.png`), renderExplanationFrame(frame, faces, { style: method === 'gbp' ? 'saliency' : 'heatmap' }));
    }
  } finally {
    pipeline.dispose();
  }
  for (const file of ['happy/PublicTest_10130075.jpg', 'surprise/PublicTest_10709121.jpg', 'angry/PublicTest_10813312.jpg', 'sad/PublicTest_10404299.jpg']) {
    const face = ferFace(file);
    const stem = file.replace('/', '-').replace('.jpg', '');
    for (const method of ['gbp', 'gradcam'] as ExplainMethod[]) {
      const [e] = explainFaces(emotion, [face], { method });
      writeImage(outputPath('explain', `${stem}.${e!.targetLabel}.${method}.saliency.png`), enlarge(saliencyImage(e!), 4));
      writeImage(outputPath('explain', `${stem}.${e!.targetLabel}.${method}.overlay.png`), enlarge(overlayImage(e!, face), 4));
    }
  }
  assert.ok(fs.existsSync(outputPath('explain', 'astronaut.gbp.png')));
});

function cliContext(): { context: CliContext; lines: Record<string, unknown>[]; errors: unknown[] } {
  const lines: Record<string, unknown>[] = [];
  const errors: unknown[] = [];
  const context: CliContext = { log: silentLogger, debug: false, interrupted: { value: false }, shouldStop: () => Promise.resolve(false), emit: (v) => lines.push(v as Record<string, unknown>), reportError: (e) => errors.push(e) };
  return { context, lines, errors };
}

test('explain command: --crops --json prints raw maps; a bad image is reported and the rest go on; a bad --class is a usage error', async () => {
  const files = ['happy/PublicTest_10130075.jpg', 'surprise/PublicTest_10709121.jpg'].map((f) => path.join(fer2013, f));
  const { context, lines, errors } = cliContext();
  const status = await explainCommand.run({ crops: true, json: true, head: 'emotion', method: 'gbp' }, [files[0]!, '/nonexistent/face.png', files[1]!], context);
  assert.equal(status, 0);
  assert.equal(errors.length, 1);
  assert.equal(lines.length, 2);
  const first = lines[0]!;
  assert.equal(first['target'], 'happy');
  assert.equal(first['width'], 64);
  assert.equal((first['map'] as number[]).length, 64 * 64);
  const [direct] = explainFaces(emotion, [ferFace('happy/PublicTest_10130075.jpg')]);
  assert.ok(maxAbsDiff(first['map'] as number[], direct!.map) < 1e-6 * maxAbs(direct!.map));
  await assert.rejects(explainCommand.run({ crops: true, class: 'bored' }, [files[0]!], cliContext().context), UsageError);
  await assert.rejects(explainCommand.run({ crops: true, method: 'lime' }, [files[0]!], cliContext().context), UsageError);
});
