/**
 * Training speed on the wasm backend: CPU per step of one thread vs gradient workers, per thread
 * (from /proc/self/task/ * /stat, Linux), so a shared machine still gives comparable numbers.
 *   node dist/scripts/bench_training.js [--workers 1,2] [--steps 40] [--architecture mini-xception] [--size 64] [--batch 32]
 * One JSON line per worker count. The first 2 steps are not timed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend.js';
import { FER2013_LABELS, listFolderPerClass } from '../src/evaluation/datasets.js';
import type { ArchitectureName } from '../src/training/architectures/cnn.js';
import { PAPER_AUGMENTATION } from '../src/training/augmentation.js';
import { loadImages } from '../src/training/data.js';
import { installWasmTrainingKernels } from '../src/training/gradients/wasm-kernels.js';
import { buildFromSpec, type ModelSpec } from '../src/training/parallel/model-spec.js';
import { Random } from '../src/training/random.js';
import { Trainer } from '../src/training/trainer.js';

const { values } = parseArgs({ options: { workers: { type: 'string' }, steps: { type: 'string' }, architecture: { type: 'string' }, size: { type: 'string' }, batch: { type: 'string' } } });
const counts = (values.workers ?? '1,2').split(',').map(Number);
const steps = Number(values.steps ?? 40);
const size = Number(values.size ?? 64);
const batch = Number(values.batch ?? 32);
const architecture = (values.architecture ?? 'mini-xception') as ArchitectureName;
const shared = process.env['FACE_CLASSIFICATION_SHARED'] ?? path.resolve('../shared');

/** CPU ms of every thread of this process, by thread id. */
function threadCpu(): Map<string, number> {
  const ticks = 1000 / 100; // USER_HZ is 100 on Linux
  return new Map(fs.readdirSync('/proc/self/task').map((tid) => {
    const fields = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return [tid, (Number(fields[11]) + Number(fields[12])) * ticks];
  }));
}

await initBackend('wasm');
installWasmTrainingKernels();
const all = listFolderPerClass(path.join(shared, 'testdata', 'fer2013-train'), [...FER2013_LABELS]);
const order = new Random(7).permutation(all.length);
const picked = Array.from(order.subarray(0, steps * batch), (i) => all[i]!);
const { images } = loadImages(picked, [...FER2013_LABELS], { height: size, width: size, scaling: 'minus-one-to-one' });
const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-training-'));
for (const workers of counts) {
  const spec: ModelSpec = { kind: 'single', architecture, inputShape: [size, size, 1], classes: FER2013_LABELS.length, seed: 1 };
  const built = buildFromSpec(spec);
  let start: { cpu: NodeJS.CpuUsage; threads: Map<string, number>; wall: number } | undefined;
  let end: { cpu: NodeJS.CpuUsage; threads: Map<string, number>; wall: number } | undefined;
  const trainer = new Trainer(built.model, [{ name: 'emotion', output: 0, train: images }], built.penalties, {
    epochs: 1, batchSize: batch, learningRate: 1e-3, seed: 1, augmentation: PAPER_AUGMENTATION, patience: 50,
    outDir: path.join(outRoot, String(workers)), resume: false, run: {}, workers, modelSpec: spec,
    // Sampled inside the last step's callback: the workers end with train().
    onBatch: (p) => {
      if (p.batch === 2) start = { cpu: process.cpuUsage(), threads: threadCpu(), wall: performance.now() };
      if (p.batch === p.batches) end = { cpu: process.cpuUsage(start!.cpu), threads: threadCpu(), wall: performance.now() };
    },
  });
  const result = await trainer.train();
  trainer.dispose();
  built.model.dispose();
  const timed = steps - 2;
  const perThread = [...end!.threads].map(([tid, ms]) => (ms - (start!.threads.get(tid) ?? 0)) / timed).filter((ms) => ms > 50).map(Math.round);
  console.log(JSON.stringify({
    architecture, size, batch, workers, timedSteps: timed, wallMsPerStep: Math.round((end!.wall - start!.wall) / timed),
    cpuMsPerStep: Math.round((end!.cpu.user + end!.cpu.system) / 1000 / timed), busiestThreadsCpuMsPerStep: perThread, meanLoss: result.history[0]!['loss'],
  }));
}
fs.rmSync(outRoot, { recursive: true, force: true });
