/**
 * The fast inference path: the heads exported to ONNX and run by onnxruntime-node give the scores of
 * the TensorFlow.js path (and of the float64 references) on the reference images, for every released
 * model, combined or not, at any batch size. Skipped, loudly, only where onnxruntime-node is not
 * installed; the exporter's own checks run everywhere.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { ClassifierHead, type Classification, type HeadTask } from '../../src/models/classifier.js';
import { Network } from '../../src/models/network.js';
import type { LayerSpec } from '../../src/models/keras/layers.js';
import { OnnxExportError, exportOnnx, windowPads } from '../../src/models/onnx/export.js';
import { OnnxRuntimeEngine, loadOnnxRuntime } from '../../src/models/inference/onnxruntime.js';
import { TfjsEngine } from '../../src/models/inference/tfjs.js';
import type { Heads } from '../../src/models/inference/engine.js';
import { FacePipeline } from '../../src/pipeline/pipeline.js';
import { makeConfig } from '../../src/config/validate.js';
import { readColor, readGray } from '../../src/vision/image.js';
import { faceInput } from '../../src/vision/preprocess.js';
import { fer2013, photos, readJson, references, repoRoot, scratchDir, sharedModels, testBackend, utkface } from '../helpers/common.js';

const runtime = loadOnnxRuntime();
const unavailable = runtime instanceof Error ? `onnxruntime-node is not installed or does not load (${runtime.message})` : undefined;
if (unavailable) {
  console.warn(['', '#'.repeat(100), `# SKIPPING the onnxruntime tests: ${unavailable}`, '# The fast inference path is NOT checked. Install it: ONNXRUNTIME_NODE_INSTALL=skip npm install', '#'.repeat(100), ''].join('\n'));
}

/** A test that needs onnxruntime-node: skipped with the reason where it is missing. */
function ortTest(name: string, fn: (t: TestContext) => Promise<void> | void): void {
  test(name, async (t) => {
    if (unavailable) {
      t.skip(unavailable);
      return;
    }
    await fn(t);
  });
}

const engineOptions = { threads: 1, spinning: false, provider: 'cpu' as const };

function maxDifference(a: readonly Classification[], b: readonly Classification[]): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  a.forEach((x, i) => {
    assert.equal(x.scores.length, b[i]!.scores.length);
    x.scores.forEach((s, c) => (worst = Math.max(worst, Math.abs(s - b[i]!.scores[c]!))));
  });
  return worst;
}

interface ReferenceFile {
  model: string;
  rows: { file: string; scores: number[]; argmax: number }[];
}

const referenceFiles = fs.readdirSync(references).filter((f) => /^(emotion|gender)-.*\.json$/.test(f)).sort();

test('the reference files cover all six released Keras models', () => {
  assert.equal(new Set(referenceFiles.map((f) => readJson<ReferenceFile>(path.join(references, f)).model)).size, 6);
});

for (const referenceFile of referenceFiles) {
  ortTest(`onnxruntime scores equal TF.js and the float64 reference within 1e-4: ${referenceFile}`, async () => {
    await testBackend();
    const reference = readJson<ReferenceFile>(path.join(references, referenceFile));
    const task: HeadTask = referenceFile.startsWith('gender') ? 'gender' : 'emotion';
    const head = await ClassifierHead.load(task, path.join(sharedModels, reference.model));
    const folder = task === 'gender' ? utkface : fer2013;
    const inputs = reference.rows.map((row) => faceInput(readGray(path.join(folder, row.file)), head.inputHeight, head.inputWidth));
    const engine = OnnxRuntimeEngine.create({ [task]: head }, engineOptions);
    try {
      const fast = engine.classify({ [task]: inputs })[task]!;
      const slow = new TfjsEngine({ [task]: head }).classify({ [task]: inputs })[task]!;
      const vsTfjs = maxDifference(fast, slow);
      assert.ok(vsTfjs <= 1e-4, `largest difference from TF.js ${vsTfjs} > 1e-4`);
      let vsReference = 0;
      reference.rows.forEach((row, i) => {
        row.scores.forEach((s, c) => (vsReference = Math.max(vsReference, Math.abs(s - fast[i]!.scores[c]!))));
        assert.equal(head.labels.indexOf(fast[i]!.label), row.argmax, `${row.file}: argmax`);
      });
      assert.ok(vsReference <= 1e-4, `largest difference from the float64 reference ${vsReference} > 1e-4`);
    } finally {
      engine.dispose();
      head.dispose();
    }
  });
}

/** The default heads with a given batch size, and 8 real faces per head (FER-2013 crops, UTKFace chips). */
async function defaultHeads(batchSize: number): Promise<Heads & { emotion: ClassifierHead; gender: ClassifierHead }> {
  await testBackend();
  return {
    emotion: await ClassifierHead.load('emotion', undefined, { directory: sharedModels, download: false, batchSize }),
    gender: await ClassifierHead.load('gender', undefined, { directory: sharedModels, download: false, batchSize }),
  };
}

function facesOf(heads: { emotion: ClassifierHead; gender: ClassifierHead }): Record<HeadTask, Float32Array[]> {
  const emotionFiles = readJson<ReferenceFile>(path.join(references, 'emotion-fer2013_mini_XCEPTION.102-0.66.json')).rows.slice(0, 8).map((r) => path.join(fer2013, r.file));
  const genderFiles = readJson<ReferenceFile>(path.join(references, 'gender-gender_mini_XCEPTION.21-0.95.json')).rows.slice(0, 8).map((r) => path.join(utkface, r.file));
  return {
    emotion: emotionFiles.map((f) => faceInput(readGray(f), heads.emotion.inputHeight, heads.emotion.inputWidth)),
    gender: genderFiles.map((f) => faceInput(readGray(f), heads.gender.inputHeight, heads.gender.inputWidth)),
  };
}

ortTest('the combined model (both heads, one run) answers as each head exported alone, also with one head left out', async () => {
  const heads = await defaultHeads(32);
  const faces = facesOf(heads);
  const combined = OnnxRuntimeEngine.create(heads, engineOptions);
  const emotionOnly = OnnxRuntimeEngine.create({ emotion: heads.emotion }, engineOptions);
  const genderOnly = OnnxRuntimeEngine.create({ gender: heads.gender }, engineOptions);
  try {
    const both = combined.classify({ emotion: faces.emotion, gender: faces.gender.slice(0, 5) });
    assert.equal(combined.calls, 1, 'both heads in one run');
    assert.ok(maxDifference(both.emotion!, emotionOnly.classify({ emotion: faces.emotion }).emotion!) <= 1e-6);
    assert.ok(maxDifference(both.gender!, genderOnly.classify({ gender: faces.gender.slice(0, 5) }).gender!) <= 1e-6);
    // A head with no faces runs on an empty batch of the same session.
    const emotionAlone = combined.classify({ emotion: faces.emotion.slice(0, 2) });
    assert.deepEqual(Object.keys(emotionAlone), ['emotion']);
    assert.ok(maxDifference(emotionAlone.emotion!, both.emotion!.slice(0, 2)) <= 1e-6);
    assert.deepEqual(combined.classify({ gender: [] }), { gender: [] });
  } finally {
    for (const engine of [combined, emotionOnly, genderOnly]) engine.dispose();
    heads.emotion.dispose();
    heads.gender.dispose();
  }
});

ortTest('batch sizes 1, 3 and 8 give the same scores, in ceil(faces / batch) runs', async () => {
  const answers: Record<number, { emotion: Classification[]; gender: Classification[] }> = {};
  for (const batchSize of [1, 3, 8]) {
    const heads = await defaultHeads(batchSize);
    const faces = facesOf(heads);
    const engine = OnnxRuntimeEngine.create(heads, engineOptions);
    try {
      const out = engine.classify(faces);
      assert.equal(engine.calls, Math.ceil(8 / batchSize), `batch ${batchSize}: runs`);
      answers[batchSize] = { emotion: out.emotion!, gender: out.gender! };
      if (batchSize === 8) {
        const reference = new TfjsEngine(heads).classify(faces);
        assert.ok(maxDifference(out.emotion!, reference.emotion!) <= 1e-4);
        assert.ok(maxDifference(out.gender!, reference.gender!) <= 1e-4);
      }
    } finally {
      engine.dispose();
      heads.emotion.dispose();
      heads.gender.dispose();
    }
  }
  for (const batchSize of [3, 8]) {
    assert.ok(maxDifference(answers[batchSize]!.emotion, answers[1]!.emotion) <= 1e-5, `emotion, batch ${batchSize} vs 1`);
    assert.ok(maxDifference(answers[batchSize]!.gender, answers[1]!.gender) <= 1e-5, `gender, batch ${batchSize} vs 1`);
  }
});

ortTest('dispose releases the session: later calls fail clearly, a second dispose is harmless', async () => {
  const heads = await defaultHeads(32);
  const engine = OnnxRuntimeEngine.create(heads, engineOptions);
  assert.equal(engine.open, true);
  engine.dispose();
  assert.equal(engine.open, false);
  assert.throws(() => engine.classify({ emotion: facesOf(heads).emotion }), /used after dispose/);
  engine.dispose();
  heads.emotion.dispose();
  heads.gender.dispose();
});

ortTest('the pipeline picks onnxruntime by default, says so, and finds what the tfjs engine finds', async () => {
  await testBackend();
  const fast = await FacePipeline.create(makeConfig({ 'models.download': false }));
  const slow = await FacePipeline.create(makeConfig({ 'models.download': false, 'inference.engine': 'tfjs' }));
  try {
    assert.equal(fast.engine.name, 'onnxruntime');
    assert.equal(fast.engine.details['threads'], 1);
    assert.equal(slow.engine.name, 'tfjs');
    for (const file of ['skimage_astronaut.png', 'MAX_Paul2.jpeg']) {
      const a = fast.process(readColor(path.join(photos, file)));
      const b = slow.process(readColor(path.join(photos, file)));
      assert.ok(a.faces.length > 0, file);
      assert.deepEqual(a.faces.map((f) => f.box), b.faces.map((f) => f.box));
      for (const task of ['emotion', 'gender'] as const) {
        assert.ok(maxDifference(a.faces.map((f) => f[task]!), b.faces.map((f) => f[task]!)) <= 1e-4, `${file} ${task}`);
      }
    }
  } finally {
    fast.dispose();
    slow.dispose();
  }
});

ortTest('`face-classification export` writes one ONNX model with both heads that onnxruntime loads', async () => {
  const dir = scratchDir('export');
  try {
    const out = path.join(dir, 'heads.onnx');
    const cli = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
    const result = spawnSync(process.execPath, [cli, 'export', '--models-dir', sharedModels, '--out', out], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(result.status, 0, result.stderr);
    const line = JSON.parse(result.stdout.trim()) as { bytes: number; heads: Record<string, { input: string; output: string }>; check: { maxScoreDifference?: number } };
    assert.equal(fs.statSync(out).size, line.bytes);
    assert.deepEqual(Object.keys(line.heads), ['emotion', 'gender']);
    assert.ok((line.check.maxScoreDifference ?? 1) <= 1e-4, JSON.stringify(line.check));
    const missing = spawnSync(process.execPath, [cli, 'export'], { encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--out FILE\.onnx is required/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

ortTest('every layer kind the importer knows exports faithfully: a random 3-channel network with odd sizes matches Network.forward', async () => {
  await testBackend();
  const r = (shape: number[], seed: number, mean = 0, std = 0.5): tf.Tensor => tf.randomNormal(shape, mean, std, 'float32', seed);
  const layers: LayerSpec[] = [
    { kind: 'input', name: 'in', inputs: [], shape: [9, 9, 3] },
    { kind: 'conv2d', name: 'conv', inputs: ['in'], kernel: r([3, 3, 3, 4], 1) as tf.Tensor4D, bias: r([4], 2) as tf.Tensor1D, strides: [2, 2], padding: 'same', activation: 'relu' },
    // After a ReLU: not foldable, exported as Mul + Add.
    { kind: 'batchNorm', name: 'bn_conv', inputs: ['conv'], scale: r([4], 3, 1) as tf.Tensor1D, offset: r([4], 4) as tf.Tensor1D },
    { kind: 'depthwiseConv2d', name: 'dw', inputs: ['bn_conv'], depthwise: r([3, 3, 4, 2], 5) as tf.Tensor4D, bias: r([8], 6) as tf.Tensor1D, strides: [1, 1], padding: 'same', activation: 'linear' },
    { kind: 'batchNorm', name: 'bn_dw', inputs: ['dw'], scale: r([8], 7, 1) as tf.Tensor1D, offset: r([8], 8) as tf.Tensor1D },
    { kind: 'separableConv2d', name: 'sep', inputs: ['bn_dw'], depthwise: r([3, 3, 8, 1], 9) as tf.Tensor4D, pointwise: r([1, 1, 8, 6], 10) as tf.Tensor4D, strides: [1, 1], padding: 'same', activation: 'linear' },
    { kind: 'batchNorm', name: 'bn_sep', inputs: ['sep'], scale: r([6], 11, 1) as tf.Tensor1D, offset: r([6], 12) as tf.Tensor1D },
    { kind: 'activation', name: 'relu', inputs: ['bn_sep'], activation: 'relu' },
    { kind: 'avgPool', name: 'avg', inputs: ['relu'], pool: [3, 3], strides: [2, 2], padding: 'same' },
    { kind: 'maxPool', name: 'max', inputs: ['relu'], pool: [3, 3], strides: [2, 2], padding: 'same' },
    { kind: 'add', name: 'sum', inputs: ['avg', 'max'] },
    { kind: 'flatten', name: 'flat', inputs: ['sum'] },
    { kind: 'identity', name: 'dropout', inputs: ['flat'] },
    { kind: 'dense', name: 'dense', inputs: ['dropout'], kernel: r([54, 5], 13, 0, 0.02) as tf.Tensor2D, bias: r([5], 14) as tf.Tensor1D, activation: 'softmax' },
  ];
  const network = new Network(layers, 'in', ['dense']);
  const { ort, binding } = runtime as Exclude<typeof runtime, Error>;
  const session = new binding.binding.InferenceSession();
  try {
    const model = exportOnnx([{ name: 'x', network }]);
    session.loadModel(model.buffer, model.byteOffset, model.byteLength, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
    const input = Float32Array.from({ length: 2 * 9 * 9 * 3 }, (_, i) => Math.sin(i * 0.71));
    const onnx = session.run({ x: new ort.Tensor('float32', input, [2, 9, 9, 3]) }, { x_probabilities: null }, {})['x_probabilities']!.data as Float32Array;
    const expected = tf.tidy(() => network.forward(tf.tensor4d(input, [2, 9, 9, 3])).outputs[0]!.probabilities.dataSync());
    assert.equal(onnx.length, expected.length);
    let worst = 0;
    expected.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - onnx[i]!))));
    // Small dense weights keep the softmax far from saturation, so any layer's error would show.
    assert.ok(Math.max(...expected) < 0.9, `saturated softmax ${Math.max(...expected)}`);
    assert.ok(worst <= 1e-5, `largest difference ${worst}`);
  } finally {
    session.dispose();
    network.dispose();
  }
});

// ---- The exporter alone (no onnxruntime needed) ----

test('TensorFlow "same" padding: the odd extra row and column go at the bottom and right', () => {
  // mini-Xception's max-pools on a 44x44 map (the 48x48 model): 3x3, stride 2.
  assert.deepEqual(windowPads([44, 44], [3, 3], [2, 2], 'same'), { out: [22, 22], pads: [0, 0, 1, 1] });
  assert.deepEqual(windowPads([11, 11], [3, 3], [2, 2], 'same'), { out: [6, 6], pads: [1, 1, 1, 1] });
  assert.deepEqual(windowPads([64, 64], [3, 3], [1, 1], 'valid'), { out: [62, 62], pads: [0, 0, 0, 0] });
});

/** A small network with given layers after a 8x8x1 input and a 3x3 conv of 2 channels. */
function tinyNetwork(rest: (conv: string) => LayerSpec[]): Network {
  const layers: LayerSpec[] = [
    { kind: 'input', name: 'input_1', inputs: [], shape: [8, 8, 1] },
    { kind: 'conv2d', name: 'conv2d_1', inputs: ['input_1'], kernel: tf.randomNormal([3, 3, 1, 2], 0, 1, 'float32', 7) as tf.Tensor4D, strides: [1, 1], padding: 'same', activation: 'linear' },
    ...rest('conv2d_1'),
  ];
  return new Network(layers, 'input_1', [layers[layers.length - 1]!.name]);
}

test('a layer the exporter cannot translate faithfully fails export with an error naming the layer', async () => {
  await testBackend();
  // Network.forward takes a softmax over a whole sample; ONNX Softmax on a feature map would not.
  const midSoftmax = tinyNetwork((conv) => [
    { kind: 'activation', name: 'activation_7', inputs: [conv], activation: 'softmax' },
    { kind: 'globalAvgPool', name: 'gap', inputs: ['activation_7'] },
  ]);
  assert.throws(() => exportOnnx([{ name: 'emotion', network: midSoftmax }]), (e: unknown) => e instanceof OnnxExportError && e.layer === 'activation_7' && /layer activation_7: softmax over a 8x8x2 feature map/.test(e.message));
  // A layer kind the importer may learn later, without an export rule.
  const unknown = tinyNetwork((conv) => [{ kind: 'upSampling2d', name: 'up_sampling2d_1', inputs: [conv] } as unknown as LayerSpec]);
  assert.throws(() => exportOnnx([{ name: 'emotion', network: unknown }]), /ONNX export: layer up_sampling2d_1: layer kind upSampling2d has no ONNX export/);
  midSoftmax.dispose();
  unknown.dispose();
});

test('combining heads needs distinct names; the model is deterministic', async () => {
  await testBackend();
  const net = tinyNetwork((conv) => [{ kind: 'globalAvgPool', name: 'gap', inputs: [conv] }]);
  assert.throws(() => exportOnnx([{ name: 'a', network: net }, { name: 'a', network: net }]), /head names must differ/);
  assert.deepEqual(exportOnnx([{ name: 'a', network: net }]), exportOnnx([{ name: 'a', network: net }]));
  net.dispose();
});
