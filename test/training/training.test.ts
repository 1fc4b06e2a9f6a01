import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { importKerasModel } from '../../src/models/keras/import.js';
import { ClassifierHead } from '../../src/models/classifier.js';
import { listFolderPerClass, FER2013_LABELS } from '../../src/evaluation/datasets.js';
import { ARCHITECTURES, buildArchitecture, buildDualHeadMiniXception } from '../../src/training/architectures/cnn.js';
import { PAPER_AUGMENTATION, randomTransform } from '../../src/training/augmentation.js';
import { loadImages } from '../../src/training/data.js';
import { exportHead } from '../../src/training/export.js';
import { installWasmTrainingKernels } from '../../src/training/gradients/wasm-kernels.js';
import { buildFromSpec, type ModelSpec } from '../../src/training/parallel/model-spec.js';
import { Random } from '../../src/training/random.js';
import { Trainer, trainingBatch } from '../../src/training/trainer.js';
import { cv } from '../../src/vision/opencv.js';
import { writeImage } from '../../src/vision/image.js';
import { fer2013, outputPath, scratchDir, sharedModels, testBackend } from '../helpers/common.js';
import { runCli } from '../helpers/run_cli.js';

const train = path.join(path.dirname(fer2013), 'fer2013-train');
const dir = scratchDir('training');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A few FER-2013 training images per class, the same ones every run. */
function ferImages(perClass: number, size = 48) {
  const samples = listFolderPerClass(train, [...FER2013_LABELS]);
  const picked = FER2013_LABELS.flatMap((label) => samples.filter((s) => s.label === label).slice(0, perClass));
  return loadImages(picked, [...FER2013_LABELS], { height: size, width: size }).images;
}

test('architectures have the released models\' parameter counts, for any input size', async () => {
  await testBackend();
  const released: [string, (typeof ARCHITECTURES)[number], number][] = [
    ['fer2013_mini_XCEPTION.102-0.66.hdf5', 'mini-xception', 7],
    ['fer2013_big_XCEPTION.54-0.66.hdf5', 'big-xception', 7],
    ['tiny_XCEPTION_KDEF.hdf5', 'tiny-xception', 7],
    ['gender_mini_XCEPTION.21-0.95.hdf5', 'mini-xception', 2],
  ];
  for (const [file, architecture, classes] of released) {
    const network = await importKerasModel(path.join(sharedModels, file));
    for (const size of [64, 48]) {
      const { model } = buildArchitecture(architecture, { inputShape: [size, size, 1], classes, seed: 1 });
      assert.equal(model.countParams(), network.parameterCount, `${architecture} ${size}x${size} vs ${file}`);
      model.dispose();
    }
    network.dispose();
  }
  const { model: mini } = buildArchitecture('mini-xception', { inputShape: [64, 64, 1], classes: 7, seed: 1 });
  assert.equal(mini.countParams(), 58_423);
  mini.dispose();
  // The simple CNNs have no released file: they build, and the input size changes no count.
  for (const architecture of ['simple-cnn', 'simpler-cnn'] as const) {
    const counts = [48, 64].map((s) => buildArchitecture(architecture, { inputShape: [s, s, 1], classes: 7, seed: 1 }).model.countParams());
    assert.equal(counts[0], counts[1]);
  }
  // Dual head: the mini-Xception backbone once, the 7-class and the 2-class classifiers.
  const dual = buildDualHeadMiniXception({ inputShape: [64, 64, 1], emotionClasses: 7, genderClasses: 2, seed: 1 });
  assert.equal(dual.model.countParams(), 58_423 + (128 * 9 * 2 + 2));
  assert.equal(dual.model.outputs.length, 2);
  dual.model.dispose();
});

test('augmentation keeps labels and image sizes; zero ranges change nothing; a flip mirrors', async () => {
  await testBackend();
  const images = ferImages(4, 64);
  const rng = new Random(11);
  const indices = Int32Array.from({ length: images.count }, (_, i) => i);
  const { x, y } = trainingBatch(images, indices, rng, PAPER_AUGMENTATION);
  assert.deepEqual(x.shape, [images.count, 64, 64, 1]);
  assert.deepEqual(Array.from(tf.argMax(y, 1).dataSync()), Array.from(images.labels));
  const augmented = x.dataSync();
  let changed = 0;
  for (let i = 0; i < images.inputs.length; i++) if (augmented[i] !== images.inputs[i]) changed++;
  assert.ok(changed > images.inputs.length / 4, 'the paper\'s augmentation moves most pixels');
  // Nearest-pixel sampling: every output value is one of the input's values.
  const first = new Set(images.inputs.subarray(0, 64 * 64));
  assert.ok(Array.from(augmented.subarray(0, 64 * 64)).every((v) => first.has(v)));
  const face = images.inputs.subarray(0, 64 * 64);
  const none = { rotation: 0, widthShift: 0, heightShift: 0, zoom: 0, horizontalFlip: false };
  assert.deepEqual(Array.from(randomTransform(face, 64, 64, new Random(1), none)), Array.from(face));
  let flipped: Float32Array | undefined;
  for (let seed = 0; !flipped; seed++) {
    const out = randomTransform(face, 64, 64, new Random(seed), { ...none, horizontalFlip: true });
    if (out[0] !== face[0] || out[63] !== face[63]) flipped = out;
  }
  for (let r = 0; r < 64; r++) for (let c = 0; c < 64; c++) assert.equal(flipped[r * 64 + c], face[r * 64 + 63 - c]);
  // A picture to look at: one original per class (top row) and its augmented copy.
  const tile = (data: Float32Array) => new cv.Mat(Buffer.from(Uint8Array.from(data, (v) => Math.round((v + 1) * 127.5))), 64, 64, cv.CV_8UC1);
  const row = (from: Float32Array) => Array.from({ length: 7 }, (_, i) => tile(from.subarray(i * 4 * 4096, i * 4 * 4096 + 4096)));
  const grid = new cv.Mat(128, 448, cv.CV_8UC1, 0);
  [row(images.inputs), row(augmented as Float32Array)].forEach((tiles, r) => tiles.forEach((t, c) => t.copyTo(grid.getRegion(new cv.Rect(c * 64, r * 64, 64, 64)))));
  writeImage(outputPath('training', 'augmentation.png'), grid);
  tf.dispose([x, y]);
});

async function firstEpochLoss(seed: number, images: ReturnType<typeof ferImages>, out: string): Promise<number> {
  const built = buildArchitecture('tiny-xception', { inputShape: [48, 48, 1], classes: 7, seed });
  const trainer = new Trainer(built.model, [{ name: 'emotion', output: 0, train: images }], built.penalties, {
    epochs: 1, batchSize: 16, learningRate: 1e-3, seed, augmentation: PAPER_AUGMENTATION, patience: 50, outDir: out, resume: false, run: {},
  });
  const result = await trainer.train();
  trainer.dispose();
  built.model.dispose();
  return result.history[0]!['loss']!;
}

test('a fixed seed gives the same first-epoch loss; another seed another loss', async () => {
  if ((await testBackend()) === 'wasm') installWasmTrainingKernels();
  const images = ferImages(8);
  const a = await firstEpochLoss(3, images, path.join(dir, 'seed-a'));
  const b = await firstEpochLoss(3, images, path.join(dir, 'seed-b'));
  const c = await firstEpochLoss(4, images, path.join(dir, 'seed-c'));
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test('a short run lowers the loss, and a resumed run continues bit for bit where the first stopped', async () => {
  if ((await testBackend()) === 'wasm') installWasmTrainingKernels();
  const images = ferImages(30);
  const run = async (out: string, epochs: number, resume: boolean) => {
    const built = buildArchitecture('tiny-xception', { inputShape: [48, 48, 1], classes: 7, seed: 5 });
    const trainer = new Trainer(built.model, [{ name: 'emotion', output: 0, train: images }], built.penalties, {
      epochs, batchSize: 16, learningRate: 1e-3, seed: 5, augmentation: PAPER_AUGMENTATION, patience: 50, outDir: out, resume, run: { test: 'resume' },
    });
    const result = await trainer.train();
    const weights = built.model.getWeights().map((w) => Array.from(w.dataSync()));
    trainer.dispose();
    built.model.dispose();
    return { history: result.history, weights };
  };
  const whole = await run(path.join(dir, 'resume-whole'), 3, false);
  const losses = whole.history.map((m) => m['loss']!);
  assert.ok(losses[2]! < losses[0]!, `loss ${losses.join(' -> ')}`);
  const cut = path.join(dir, 'resume-cut');
  const first = await run(cut, 2, false);
  assert.deepEqual(first.history, whole.history.slice(0, 2).map((m) => ({ ...m, seconds: first.history[m['epoch']! - 1]!['seconds'] })));
  const resumed = await run(cut, 3, true);
  assert.deepEqual(resumed.history.map((m) => m['epoch']), [3]);
  assert.equal(resumed.history[0]!['loss'], whole.history[2]!['loss']);
  assert.equal(resumed.history[0]!['acc'], whole.history[2]!['acc']);
  // Every weight (moving batch-norm statistics included) equal to the last bit.
  resumed.weights.forEach((w, i) => assert.deepEqual(w, whole.weights[i], `weight ${i}`));
});

test('resuming a run that stopped early trains nothing more; a larger patience goes on', async () => {
  if ((await testBackend()) === 'wasm') installWasmTrainingKernels();
  const images = ferImages(30);
  const out = path.join(dir, 'resume-stopped');
  const run = async (epochs: number, patience: number, resume: boolean) => {
    const built = buildArchitecture('tiny-xception', { inputShape: [48, 48, 1], classes: 7, seed: 7 });
    // Validation on one fixed image, so that the loss can fail to improve within a few epochs.
    const trainer = new Trainer(built.model, [{ name: 'emotion', output: 0, train: images, validation: ferImages(1) }], built.penalties, {
      epochs, batchSize: 16, learningRate: 1e-3, seed: 7, augmentation: PAPER_AUGMENTATION, patience, outDir: out, resume, run: { test: 'stopped' },
    });
    const result = await trainer.train();
    trainer.dispose();
    built.model.dispose();
    return result;
  };
  const first = await run(30, 0, false);
  assert.equal(first.stoppedEarly, true, `patience 0 stops at the first epoch without a lower val_loss (${first.epochsDone} epochs)`);
  const again = await run(30, 0, true);
  assert.deepEqual({ stoppedEarly: again.stoppedEarly, epochsDone: again.epochsDone, epochs: again.history.length }, { stoppedEarly: true, epochsDone: first.epochsDone, epochs: 0 });
  const more = await run(first.epochsDone + 1, 5, true);
  assert.deepEqual(more.history.map((m) => m['epoch']), [first.epochsDone + 1]);
});

test('two gradient workers: the same losses as one thread (synchronised batch norm), deterministic, and a resumed run continues bit for bit', async (t) => {
  const backend = await testBackend();
  if (backend !== 'wasm') {
    t.skip(`gradient workers run the wasm backend only; this is ${backend}`);
    return;
  }
  installWasmTrainingKernels();
  const images = ferImages(12);
  const spec: ModelSpec = { kind: 'single', architecture: 'tiny-xception', inputShape: [48, 48, 1], classes: 7, seed: 6 };
  const run = async (out: string, epochs: number, resume: boolean, workers: number) => {
    const built = buildFromSpec(spec);
    const batches: number[] = [];
    const trainer = new Trainer(built.model, [{ name: 'emotion', output: 0, train: images }], built.penalties, {
      epochs, batchSize: 16, learningRate: 1e-3, seed: 6, augmentation: PAPER_AUGMENTATION, patience: 50, outDir: out, resume, run: { test: 'workers' },
      workers, modelSpec: spec, onBatch: (p) => batches.push(p.loss),
    });
    const result = await trainer.train();
    const weights = built.model.getWeights().map((w) => Array.from(w.dataSync()));
    trainer.dispose();
    built.model.dispose();
    return { history: result.history, weights, batches };
  };
  const before = tf.memory().numTensors;
  const one = await run(path.join(dir, 'workers-1'), 2, false, 1);
  const afterOne = tf.memory().numTensors;
  const two = await run(path.join(dir, 'workers-2'), 2, false, 2);
  // No tensor left behind by the workers' path that one thread does not leave too (TF.js's Adam keeps 2).
  assert.ok(tf.memory().numTensors - afterOne <= afterOne - before, `tensors left: one thread ${afterOne - before}, two workers ${tf.memory().numTensors - afterOne}`);
  // Synchronised batch norm and share-weighted slices: each step is the whole batch's, up to the
  // order of float additions, so the running loss follows one thread's closely. (Batch norm per
  // slice, before, differed by up to 1.7%; this bound fails that.)
  const gaps = one.batches.map((loss, i) => Math.abs(two.batches[i]! - loss) / loss);
  console.log(`# two workers vs one thread, relative gaps of the running loss: ${gaps.map((g) => g.toExponential(1)).join(" ")}`);
  // The first step, before any update, is the same forward pass: only float additions differ.
  // After it, Adam's early steps (about lr * sign(gradient)) turn tiny differences into visible ones.
  assert.ok(gaps[0]! < 1e-5, `first batch: ${two.batches[0]} vs ${one.batches[0]}`);
  gaps.forEach((gap, i) => assert.ok(gap < 2e-3, `batch ${i + 1}: ${two.batches[i]} vs ${one.batches[i]}`));
  assert.notDeepEqual(two.batches, one.batches, 'two workers really split the batch');
  // Fixed slices and summation order: a cut run resumed with workers gives the same weights.
  const cut = path.join(dir, 'workers-cut');
  await run(cut, 1, false, 2);
  const resumed = await run(cut, 2, true, 2);
  assert.equal(resumed.history[0]!['loss'], two.history[1]!['loss']);
  resumed.weights.forEach((w, i) => assert.deepEqual(w, two.weights[i], `weight ${i}`));
});

test('an exported model loads like a released one and scores as the model in training', async () => {
  await testBackend();
  const built = buildArchitecture('tiny-xception', { inputShape: [48, 48, 1], classes: 7, seed: 2 });
  // Non-trivial batch-norm statistics, so inference-mode folding is exercised.
  for (const layer of built.model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    layer.setWeights(layer.getWeights().map((w, i) => (i === 3 ? tf.randomUniform(w.shape, 0.5, 2, 'float32', i) : tf.randomNormal(w.shape, 0, 0.3, 'float32', i))));
  }
  const file = path.join(dir, 'export', 'model.hdf5');
  await exportHead(built.model, 'predictions', built.penalties, file, {
    id: 'tiny-test', task: 'emotion', labels: FER2013_LABELS, architecture: 'tiny-Xception (trained)', dataset: 'test', inputShape: [48, 48, 1], epoch: 1, metrics: {}, settings: {},
  });
  const head = await ClassifierHead.load('emotion', file, { download: false });
  assert.equal(head.manifest.id, 'tiny-test');
  assert.deepEqual(head.labels, [...FER2013_LABELS]);
  assert.equal(head.network.parameterCount, built.model.countParams());
  const images = ferImages(2);
  const faces = Array.from({ length: images.count }, (_, i) => images.inputs.subarray(i * 48 * 48, (i + 1) * 48 * 48));
  const fromFile = head.predict(faces).map((c) => c.scores);
  const inTraining = tf.tidy(() => (built.model.predict(head.toBatch(faces)) as tf.Tensor).arraySync() as number[][]);
  let worst = 0;
  fromFile.forEach((row, i) => row.forEach((p, c) => (worst = Math.max(worst, Math.abs(p - inTraining[i]![c]!)))));
  assert.ok(worst < 1e-5, `largest probability difference ${worst}`);
  head.dispose();
  built.model.dispose();
});

test('train (CLI): tiny-Xception, 2 epochs on 350 FER-2013 images lowers the loss; classify loads the model; --resume continues', () => {
  const out = path.join(dir, 'cli-run');
  const args = ['train', train, '--val', fer2013, '--architecture', 'tiny-xception', '--input-size', '48', '--max-samples', '350', '--batch-size', '16', '--out', out];
  const first = runCli([...args, '--epochs', '2']);
  assert.equal(first.status, 0, first.stderr);
  const epochs = first.lines.filter((l) => 'epoch' in l);
  assert.equal(epochs.length, 2);
  assert.ok((epochs[1]!['loss'] as number) < (epochs[0]!['loss'] as number), `loss ${epochs[0]!['loss']} -> ${epochs[1]!['loss']}`);
  const summary = first.lines.find((l) => l['done'])!;
  assert.deepEqual(summary['trainSamples'], [350]);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'model.manifest.json'), 'utf8')) as { task: string; labels: string[]; parameters: number };
  assert.equal(manifest.task, 'emotion');
  assert.equal(manifest.parameters, 18_314);
  const happy = path.join(fer2013, 'happy');
  const crops = fs.readdirSync(happy).slice(0, 3).map((f) => path.join(happy, f));
  const classified = runCli(['classify', '--no-gender', '--emotion-model', path.join(out, 'model.hdf5'), ...crops]);
  assert.equal(classified.status, 0, classified.stderr);
  assert.equal(classified.lines.length, 3);
  for (const line of classified.lines) assert.deepEqual(Object.keys((line['emotion'] as { scores: object }).scores), manifest.labels);
  const resumed = runCli([...args, '--epochs', '3', '--resume']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.deepEqual(resumed.lines.filter((l) => 'epoch' in l).map((l) => l['epoch']), [3]);
  const csv = fs.readFileSync(path.join(out, 'training.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'epoch,seconds,lr,loss,acc,val_loss,val_acc');
  assert.deepEqual(csv.slice(1).map((l) => Number(l.split(',')[0])), [1, 2, 3]);
});

test('train --help explains every option; bad values are usage errors', () => {
  const help = runCli(['train', '--help']);
  assert.equal(help.status, 0);
  const optionLines = help.stdout.split('\n').filter((l) => /^\s+(-\w, )?\s*--[a-z]/.test(l));
  for (const line of optionLines) assert.match(line, /--[a-z-]+( VALUE)?\s+\S/, `no explanation: ${line}`);
  for (const flag of ['--architecture', '--val', '--val-split', '--epochs', '--batch-size', '--resume', '--seed', '--gender-data', '--no-augment']) assert.ok(help.stdout.includes(flag), flag);
  const bad = runCli(['train', train, '--out', path.join(dir, 'bad'), '--architecture', 'resnet']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--architecture must be one of/);
  const noOut = runCli(['train', train]);
  assert.equal(noOut.status, 2);
});

test('dual-head mini-Xception: trains on FER-2013 and UTKFace by alternating batches; its exported heads are the one-pass model\'s outputs', async () => {
  if ((await testBackend()) === 'wasm') installWasmTrainingKernels();
  const { trainModel } = await import('../../src/training/run.js');
  const { loadWeightsInto } = await import('../../src/training/keras-file.js');
  const out = path.join(dir, 'dual');
  const data = (p: string, pad = 0) => ({ path: p, valSplit: 0.2, maxSamples: 60, pad });
  const outcome = await trainModel({
    architecture: 'dual-mini-xception', data: { ...data(train), validation: fer2013 }, genderData: data(path.join(path.dirname(fer2013), 'utkface'), 0.4),
    inputSize: [32, 32], epochs: 1, batchSize: 16, learningRate: 1e-3, patience: 50, lrPatience: 12, lrFactor: 0.1, augment: true, seed: 1, outDir: out, resume: false,
  });
  assert.deepEqual(outcome.trainSamples, [60, 60]);
  const metrics = outcome.history[0]!;
  for (const key of ['emotion_loss', 'gender_loss', 'val_emotion_acc', 'val_gender_acc', 'val_loss']) assert.ok(Number.isFinite(metrics[key]), key);
  assert.deepEqual(outcome.models.map((m) => [m.manifest.task, m.manifest.parameters]), [['emotion', 58_423], ['gender', 52_658], ['emotion+gender', 60_729]]);
  assert.deepEqual(outcome.models[2]!.manifest.heads?.map((h) => [h.task, h.output, h.labels.length]), [['emotion', 'emotion_predictions', 7], ['gender', 'gender_predictions', 2]]);
  // The whole two-output model from the checkpoint, one pass for both answers.
  const dual = buildDualHeadMiniXception({ inputShape: [32, 32, 1], emotionClasses: 7, genderClasses: 2, seed: 9 });
  await loadWeightsInto(dual.model, path.join(out, 'checkpoint', 'model.hdf5'));
  const images = ferImages(1, 32);
  const faces = Array.from({ length: images.count }, (_, i) => images.inputs.subarray(i * 32 * 32, (i + 1) * 32 * 32));
  const [emotion, gender] = dual.model.predict(tf.tensor4d(images.inputs, [images.count, 32, 32, 1])) as tf.Tensor[];
  for (const [task, both] of [['emotion', emotion!], ['gender', gender!]] as const) {
    const head = await ClassifierHead.load(task, path.join(out, `${task}.hdf5`), { download: false });
    const single = head.predict(faces).flatMap((c) => c.scores);
    const joint = Array.from(both.dataSync());
    assert.ok(single.every((p, i) => Math.abs(p - joint[i]!) < 1e-5), `${task}: exported head differs from the dual model`);
    head.dispose();
  }
  tf.dispose([emotion!, gender!]);
  dual.model.dispose();

  // --init-weights: a dual model started from the emotion file takes its backbone and emotion
  // classifier; the gender classifier, which the file lacks, keeps its initial weights.
  const { loadMatchingWeightsInto } = await import('../../src/training/keras-file.js');
  const started = buildDualHeadMiniXception({ inputShape: [32, 32, 1], emotionClasses: 7, genderClasses: 2, seed: 9 });
  const fresh = buildDualHeadMiniXception({ inputShape: [32, 32, 1], emotionClasses: 7, genderClasses: 2, seed: 9 });
  const { loaded, kept } = await loadMatchingWeightsInto(started.model, path.join(out, 'emotion.hdf5'));
  assert.equal(loaded.length, 29);
  assert.equal(kept.length, 1);
  const weightsOf = (m: tf.LayersModel, layer: string) => Array.from(m.getLayer(layer).getWeights()[0]!.dataSync());
  const trainedLayer = loaded[loaded.length - 1]!;
  assert.notDeepEqual(weightsOf(started.model, trainedLayer), weightsOf(fresh.model, trainedLayer), 'a loaded layer still has its initial weights');
  assert.deepEqual(weightsOf(started.model, kept[0]!), weightsOf(fresh.model, kept[0]!), 'the layer the file lacks changed');
  // A file of another architecture (layer names shared, shapes not) is refused, naming the file.
  const other = buildArchitecture('simple-cnn', { inputShape: [32, 32, 1], classes: 7, seed: 1 });
  const otherFile = path.join(dir, 'simple-cnn.hdf5');
  await exportHead(other.model, other.outputs[0]!, other.penalties, otherFile, { id: 'x', task: 'emotion', labels: [...FER2013_LABELS], architecture: 'simple CNN', dataset: '', inputShape: [32, 32, 1], epoch: 0, metrics: {}, settings: {} });
  await assert.rejects(loadMatchingWeightsInto(started.model, otherFile), (e: Error) => e.message.includes(otherFile) && /shape/.test(e.message));
  for (const m of [started.model, fresh.model, other.model]) m.dispose();
});
