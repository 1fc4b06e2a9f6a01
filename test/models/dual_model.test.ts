import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadHeads, type ClassifierHead, type HeadTask } from '../../src/models/classifier.js';
import { createHeadsEngine } from '../../src/models/inference/create.js';
import { loadOnnxRuntime } from '../../src/models/inference/onnxruntime.js';
import { onnxHeads, SHARED_INPUT } from '../../src/models/inference/onnx_heads.js';
import { buildOnnxGraph } from '../../src/models/onnx/export.js';
import { FacePipeline, type FrameResult } from '../../src/pipeline/pipeline.js';
import { makeConfig } from '../../src/config/validate.js';
import type { Config } from '../../src/config/schema.js';
import { readColor } from '../../src/vision/image.js';
import { copyInto, cv, type Mat } from '../../src/vision/opencv.js';
import { explainFaces } from '../../src/explain/explainer.js';
import { ModelFileError } from '../../src/errors.js';
import { installWasmTrainingKernels } from '../../src/training/gradients/wasm-kernels.js';
import { fer2013, photos, scratchDir, testBackend, utkface } from '../helpers/common.js';

/**
 * A dual-head mini-Xception (one backbone, emotion and gender classifiers), trained for one short
 * epoch into a scratch folder: model.hdf5 (both outputs) beside emotion.hdf5 and gender.hdf5 (the
 * same weights, one head each), so one pass of the one must give what the two separate files give.
 */
const dir = scratchDir('dual');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
const run = path.join(dir, 'run');
const dual = path.join(run, 'model.hdf5');
const single = (task: HeadTask): string => path.join(run, `${task}.hdf5`);
/** Photos of one face each that the Haar cascade finds. */
const PHOTOS = ['skimage_astronaut.png', 'MAX_Bryan.png', 'MAX_Chris.jpeg', 'MAX_Paul.jpeg'].map((name) => path.join(photos, name));

/** The photos side by side at one height: a frame of several real faces (batches of 2 then take two calls). */
function groupFrame(): Mat {
  const scaled = PHOTOS.map((file) => {
    const photo = readColor(file);
    const resized = photo.resize(360, Math.round((photo.cols * 360) / photo.rows));
    photo.release();
    return resized;
  });
  const frame = new cv.Mat(360, scaled.reduce((w, m) => w + m.cols, 0), cv.CV_8UC3, [0, 0, 0]);
  let x = 0;
  for (const m of scaled) {
    const target = frame.getRegion(new cv.Rect(x, 0, m.cols, m.rows));
    copyInto(m, target);
    x += m.cols;
    target.release();
    m.release();
  }
  return frame;
}
const onnxMissing = loadOnnxRuntime() instanceof Error ? 'onnxruntime-node is not installed' : false;

test.before(async () => {
  if ((await testBackend()) === 'wasm') installWasmTrainingKernels();
  const { trainModel } = await import('../../src/training/run.js');
  const data = (p: string, pad = 0) => ({ path: p, valSplit: 0.2, maxSamples: 40, pad });
  await trainModel({
    architecture: 'dual-mini-xception', data: { ...data(path.join(path.dirname(fer2013), 'fer2013-train')), validation: fer2013 }, genderData: data(utkface, 0.4),
    inputSize: [48, 48], epochs: 1, batchSize: 16, learningRate: 1e-3, patience: 50, lrPatience: 12, lrFactor: 0.1, augment: false, seed: 3, outDir: run, resume: false,
  });
});

const config = (settings: Partial<Config>): Config => makeConfig({ 'models.download': false, 'models.batch_size': 2, ...settings });

function worstDifference(a: FrameResult, b: FrameResult): number {
  assert.equal(a.faces.length, b.faces.length);
  let worst = 0;
  a.faces.forEach((face, i) => {
    for (const task of ['emotion', 'gender'] as const) {
      assert.equal(face[task]!.label, b.faces[i]![task]!.label);
      face[task]!.scores.forEach((s, c) => (worst = Math.max(worst, Math.abs(s - b.faces[i]![task]!.scores[c]!))));
    }
  });
  return worst;
}

for (const engine of ['tfjs', 'onnxruntime'] as const) {
  test(`${engine}: a dual model for both heads is loaded once and one pass a batch gives the separate files' scores on real photos`, { skip: engine === 'onnxruntime' && onnxMissing }, async () => {
    const offsets: Partial<Config> = { 'emotion.offsets': [20, 40], 'inference.engine': engine };
    // The dual pipeline keeps the default gender.offsets: its gender head must read the emotion crop.
    const one = await FacePipeline.create(config({ ...offsets, 'emotion.model': dual, 'gender.model': dual, 'gender.offsets': [30, 60] }), { uses: ['photo'] });
    const two = await FacePipeline.create(config({ ...offsets, 'emotion.model': single('emotion'), 'gender.model': single('gender'), 'gender.offsets': [20, 40] }), { uses: ['photo'] });
    try {
      assert.equal(one.heads.emotion!.model, one.heads.gender!.model, 'one network for both heads');
      assert.ok(one.sharedNetwork && !two.sharedNetwork);
      assert.deepEqual(one.heads.gender!.labels, ['woman', 'man']);
      assert.equal(one.engine.combined, true);
      assert.equal(one.engine.details['networks'], 1);
      let faces = 0;
      const frames: [string, () => Mat][] = [...PHOTOS.map((file): [string, () => Mat] => [path.basename(file), () => readColor(file)]), ['the four side by side', groupFrame]];
      for (const [file, read] of frames) {
        const frame = read();
        const callsBefore = one.engine.calls;
        const a = one.process(frame);
        const b = two.process(frame);
        faces += a.faces.length;
        // Batches of 2 faces: one native call each answers both heads.
        assert.equal(one.engine.calls - callsBefore, Math.ceil(a.faces.length / 2), file);
        const worst = worstDifference(a, b);
        assert.ok(worst <= 1e-5, `${file}: largest difference ${worst}`);
        assert.equal(a.timings.emotionMs + a.timings.genderMs, 0, 'both heads are one stage (heads)');
        for (const r of [a, b]) r.prepared.release();
        frame.release();
      }
      assert.ok(faces >= 7, `faces found: ${faces}`);
    } finally {
      one.dispose();
      two.dispose();
    }
  });
}

test('tfjs: exactly one forward pass a batch for both heads; separate models take one each; different faces take one per head', async () => {
  await testBackend();
  const heads = await loadHeads({ emotion: dual, gender: dual }, { download: false, batchSize: 2 });
  const apart = await loadHeads({ emotion: single('emotion'), gender: single('gender') }, { download: false, batchSize: 2 });
  const shared = createHeadsEngine(heads, config({ 'inference.engine': 'tfjs' }));
  const separate = createHeadsEngine(apart, config({ 'inference.engine': 'tfjs' }));
  try {
    const [h, w] = [heads.emotion!.inputHeight, heads.emotion!.inputWidth];
    const faces = Array.from({ length: 5 }, (_, k) => Float32Array.from({ length: h * w }, (_, i) => Math.sin(i * 0.37 + k)));
    shared.classify({ emotion: faces, gender: faces });
    separate.classify({ emotion: faces, gender: faces });
    assert.equal(shared.calls, 3);
    assert.equal(separate.calls, 6);
    // Copies of the faces are not the same inputs: one pass per head, and still the right answers.
    const copies = faces.map((f) => f.slice());
    const before = shared.calls;
    const answers = shared.classify({ emotion: faces, gender: copies });
    assert.equal(shared.calls - before, 6);
    const reference = separate.classify({ emotion: faces, gender: faces });
    for (const task of ['emotion', 'gender'] as const) assert.deepEqual(answers[task]!.map((c) => c.label), reference[task]!.map((c) => c.label));
  } finally {
    for (const loaded of [heads, apart]) for (const head of Object.values(loaded)) head.dispose();
  }
});

test('onnxruntime: the dual model is exported once (one input, two outputs, the backbone once) and one run a batch answers both', { skip: onnxMissing }, async () => {
  await testBackend();
  const heads = await loadHeads({ emotion: dual, gender: dual }, { download: false, batchSize: 4 });
  const apart = await loadHeads({ emotion: single('emotion'), gender: single('gender') }, { download: false, batchSize: 4 });
  try {
    const graph = buildOnnxGraph(onnxHeads(heads).graphs);
    assert.deepEqual(graph.inputs.map((i) => i.name), [SHARED_INPUT]);
    assert.deepEqual(graph.outputs.map((o) => o.name), ['emotion_probabilities', 'gender_probabilities']);
    const separateGraph = buildOnnxGraph(onnxHeads(apart).graphs);
    const weights = (g: typeof graph): number => g.initializers.reduce((n, i) => n + i.values.length, 0);
    // The backbone is most of the weights: once instead of twice.
    assert.ok(weights(graph) < 0.6 * weights(separateGraph), `${weights(graph)} vs ${weights(separateGraph)}`);
    const engine = createHeadsEngine(heads, config({ 'inference.engine': 'onnxruntime' }));
    const reference = createHeadsEngine(apart, config({ 'inference.engine': 'tfjs' }));
    try {
      const [h, w] = [heads.emotion!.inputHeight, heads.emotion!.inputWidth];
      const faces = Array.from({ length: 6 }, (_, k) => Float32Array.from({ length: h * w }, (_, i) => Math.cos(i * 0.11 + k)));
      const answers = engine.classify({ emotion: faces, gender: faces });
      assert.equal(engine.calls, 2);
      const expected = reference.classify({ emotion: faces, gender: faces });
      for (const task of ['emotion', 'gender'] as const) {
        answers[task]!.forEach((c, i) => c.scores.forEach((s, k) => assert.ok(Math.abs(s - expected[task]![i]!.scores[k]!) <= 1e-5, `${task} face ${i}`)));
      }
      // One head asked: still one run a batch, and only its answers.
      const gender = engine.classify({ gender: faces.slice(0, 3) });
      assert.equal(engine.calls, 3);
      assert.deepEqual(Object.keys(gender), ['gender']);
      assert.equal(gender.gender!.length, 3);
    } finally {
      engine.dispose();
      reference.dispose();
    }
  } finally {
    for (const loaded of [heads, apart]) for (const head of Object.values(loaded)) head.dispose();
  }
});

test('a dual model named for one head only: that head reads its output alone, through only its layers', async () => {
  await testBackend();
  const heads = await loadHeads({ emotion: single('emotion'), gender: dual }, { download: false });
  const reference = await loadHeads({ gender: single('gender') }, { download: false });
  try {
    const gender = heads.gender!;
    assert.notEqual(heads.emotion!.model, gender.model);
    assert.deepEqual(gender.network.outputNames, ['gender_predictions']);
    assert.ok(gender.network.layers.length < gender.model.network.layers.length, 'the emotion classifier\'s layers are left out');
    assert.ok(!gender.network.layers.some((l) => l.name === 'emotion_predictions'));
    const pipeline = await FacePipeline.create(config({ 'gender.model': dual, 'emotion.enabled': false, 'inference.engine': 'tfjs' }), { uses: ['photo'] });
    const alone = await FacePipeline.create(config({ 'gender.model': single('gender'), 'emotion.enabled': false, 'inference.engine': 'tfjs' }), { uses: ['photo'] });
    try {
      const frame = readColor(PHOTOS[0]!);
      const a = pipeline.process(frame);
      const b = alone.process(frame);
      assert.equal(a.faces.length, 1);
      assert.equal(a.faces[0]!.emotion, undefined);
      a.faces[0]!.gender!.scores.forEach((s, c) => assert.ok(Math.abs(s - b.faces[0]!.gender!.scores[c]!) <= 1e-5));
      for (const r of [a, b]) r.prepared.release();
      frame.release();
    } finally {
      pipeline.dispose();
      alone.dispose();
    }
    assert.ok(reference.gender);
  } finally {
    for (const loaded of [heads, reference]) for (const head of Object.values(loaded)) head.dispose();
  }
});

test('explanations of a dual model\'s heads are each head\'s own gradient (as the separate files give)', async () => {
  await testBackend();
  const heads = await loadHeads({ emotion: dual, gender: dual }, { download: false });
  const apart = await loadHeads({ emotion: single('emotion'), gender: single('gender') }, { download: false });
  const pipeline = await FacePipeline.create(config({ 'emotion.model': dual, 'gender.model': dual }), { uses: ['photo'] });
  try {
    const frame = readColor(PHOTOS[0]!);
    const gray = frame.cvtColor(cv.COLOR_BGR2GRAY);
    const { boxes } = pipeline.detect(gray, frame);
    const faces = pipeline.crops(gray, boxes, 'gender').map((c) => c.input);
    assert.equal(faces.length, 1);
    for (const task of ['emotion', 'gender'] as const) {
      for (const method of ['gbp', 'gradcam'] as const) {
        const [got] = explainFaces(heads[task]!, faces, { method });
        const [want] = explainFaces(apart[task]!, faces, { method });
        assert.equal(got!.targetLabel, want!.targetLabel);
        let worst = 0;
        let scale = 0;
        want!.map.forEach((v, i) => {
          worst = Math.max(worst, Math.abs(v - got!.map[i]!));
          scale = Math.max(scale, Math.abs(v));
        });
        assert.ok(scale > 0, `${task} ${method}: an empty map`);
        assert.ok(worst <= 1e-4 * scale, `${task} ${method}: largest difference ${worst} of ${scale}`);
      }
    }
    gray.release();
    frame.release();
  } finally {
    pipeline.dispose();
    for (const loaded of [heads, apart]) for (const head of Object.values(loaded)) head.dispose();
  }
});

async function refusal(specs: Partial<Record<HeadTask, string>>): Promise<ModelFileError> {
  let loaded: Partial<Record<HeadTask, ClassifierHead>> | undefined;
  try {
    loaded = await loadHeads(specs, { download: false });
  } catch (error) {
    assert.ok(error instanceof ModelFileError, String(error));
    return error;
  }
  for (const head of Object.values(loaded)) head.dispose();
  assert.fail(`loaded ${JSON.stringify(specs)}`);
}

test('a dual model that lacks the head asked for, or a two-output file without its manifest, is refused naming the file', async () => {
  await testBackend();
  const manifest = JSON.parse(fs.readFileSync(path.join(run, 'model.manifest.json'), 'utf8')) as { heads: { task: string; output: string }[]; sha256: string };
  const write = (name: string, edit: (m: typeof manifest) => void): string => {
    const folder = path.join(dir, name);
    fs.mkdirSync(folder, { recursive: true });
    const file = path.join(folder, 'model.hdf5');
    fs.copyFileSync(dual, file);
    const copy = structuredClone(manifest);
    edit(copy);
    fs.writeFileSync(path.join(folder, 'model.manifest.json'), JSON.stringify(copy));
    return file;
  };
  const emotionOnly = write('emotion-only', (m) => (m.heads = m.heads.filter((h) => h.task === 'emotion')));
  let error = await refusal({ emotion: emotionOnly, gender: emotionOnly });
  assert.equal(error.file, emotionOnly);
  assert.match(error.message, /has no gender head/);
  const wrongOutput = write('wrong-output', (m) => (m.heads[1]!.output = 'gender_logits'));
  error = await refusal({ gender: wrongOutput });
  assert.equal(error.file, wrongOutput);
  assert.match(error.message, /gender head reads output gender_logits, which the model does not have \(outputs: emotion_predictions, gender_predictions\)/);
  // Without model.manifest.json nothing says which output is which head.
  const bare = path.join(dir, 'bare', 'dual.hdf5');
  fs.mkdirSync(path.dirname(bare), { recursive: true });
  fs.copyFileSync(dual, bare);
  error = await refusal({ emotion: bare });
  assert.equal(error.file, bare);
  assert.match(error.message, /has 2 outputs \(emotion_predictions, gender_predictions\); a model of several outputs needs a manifest naming its heads/);
  // A separate head's file given for the other task is still refused as before.
  error = await refusal({ gender: single('emotion') });
  assert.match(error.message, /not a gender model; give it as emotion.model/);
});
