/**
 * Times the classifier heads on each inference engine, interleaved in one process so that other load
 * on the machine hits every engine alike: tfjs (the active TF.js backend), onnxruntime with 1 and 2
 * intra-op threads, spinning on and off, and OpenCV dnn. Both released default heads, batches of 1
 * and 8 real FER-2013 faces; per call: wall ms and process CPU ms (all threads).
 *
 *   npm run build && node dist/scripts/bench_heads.js [--rounds 30] [--calls 10] [--json]
 *
 * Prints a table (or one JSON object with --json); ratios are to tfjs in the same run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend.js';
import { ClassifierHead, type HeadTask } from '../src/models/classifier.js';
import type { HeadInputs, HeadsEngine } from '../src/models/inference/engine.js';
import { TfjsEngine } from '../src/models/inference/tfjs.js';
import { OnnxRuntimeEngine, loadOnnxRuntime } from '../src/models/inference/onnxruntime.js';
import { OpenCvEngine } from './opencv_heads.js';
import { sharedDir } from '../src/paths.js';
import { readGray } from '../src/vision/image.js';
import { faceInput } from '../src/vision/preprocess.js';
import { cv } from '../src/vision/opencv.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' }, calls: { type: 'string', default: '10' }, json: { type: 'boolean', default: false } } });
const rounds = Number(values.rounds);
const callsPerBlock = Number(values.calls);

const shared = sharedDir();
if (!shared) throw new Error('bench_heads needs ../shared (models and FER-2013 faces)');
const backend = await initBackend('auto');
const load = { directory: path.join(shared, 'models'), download: false };
const heads = { emotion: await ClassifierHead.load('emotion', undefined, load), gender: await ClassifierHead.load('gender', undefined, load) };

// Eight real faces, one per FER-2013 class folder where possible.
const fer = path.join(shared, 'testdata', 'fer2013-publictest');
const files = fs.readdirSync(fer).sort().flatMap((dir) => fs.readdirSync(path.join(fer, dir)).sort().slice(0, 2).map((f) => path.join(fer, dir, f))).slice(0, 8);
const facesFor = (task: HeadTask): Float32Array[] => files.map((f) => faceInput(readGray(f), heads[task].inputHeight, heads[task].inputWidth));
const faces = { emotion: facesFor('emotion'), gender: facesFor('gender') };

const engines: { label: string; engine: HeadsEngine }[] = [{ label: `tfjs-${backend}`, engine: new TfjsEngine(heads) }];
const runtime = loadOnnxRuntime();
if (runtime instanceof Error) {
  process.stderr.write(`onnxruntime-node unavailable (${runtime.message}); timing tfjs and opencv only\n`);
} else {
  for (const threads of [1, 2]) {
    for (const spinning of [false, true]) {
      engines.push({ label: `ort-${threads}t-spin-${spinning ? 'on' : 'off'}`, engine: OnnxRuntimeEngine.create(heads, { threads, spinning, provider: 'cpu' }) });
    }
  }
}
engines.push({ label: `opencv-${cv.getNumThreads()}t`, engine: OpenCvEngine.create(heads) });

type Workload = { label: string; inputs: HeadInputs; faces: number; heads: number };
const workloads: Workload[] = [];
for (const batch of [1, 8]) {
  workloads.push({ label: `emotion b${batch}`, inputs: { emotion: faces.emotion.slice(0, batch) }, faces: batch, heads: 1 });
  workloads.push({ label: `gender b${batch}`, inputs: { gender: faces.gender.slice(0, batch) }, faces: batch, heads: 1 });
  workloads.push({ label: `both b${batch}`, inputs: { emotion: faces.emotion.slice(0, batch), gender: faces.gender.slice(0, batch) }, faces: batch, heads: 2 });
}

// The answers must agree before any time means anything.
let worst = 0;
for (const { engine } of engines.slice(1)) {
  const reference = engines[0]!.engine.classify(workloads[5]!.inputs);
  const answers = engine.classify(workloads[5]!.inputs);
  for (const task of ['emotion', 'gender'] as const) reference[task]!.forEach((a, i) => a.scores.forEach((s, c) => (worst = Math.max(worst, Math.abs(s - answers[task]![i]!.scores[c]!)))));
}

const wall = new Map<string, number[]>();
const cpu = new Map<string, number[]>();
const key = (e: string, w: string): string => `${e}|${w}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
for (const { engine } of engines) for (const w of workloads) engine.classify(w.inputs);
for (let round = 0; round < rounds; round++) {
  // Rotate the engine order every round; a pause after each block lets spinning pool threads go idle.
  for (let i = 0; i < engines.length; i++) {
    const { label, engine } = engines[(i + round) % engines.length]!;
    for (const w of workloads) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let k = 0; k < callsPerBlock; k++) engine.classify(w.inputs);
      const ms = (performance.now() - t0) / callsPerBlock;
      const c = process.cpuUsage(c0);
      (wall.get(key(label, w.label)) ?? wall.set(key(label, w.label), []).get(key(label, w.label))!).push(ms);
      (cpu.get(key(label, w.label)) ?? cpu.set(key(label, w.label), []).get(key(label, w.label))!).push((c.user + c.system) / 1000 / callsPerBlock);
    }
    await sleep(20);
  }
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const r3 = (v: number): number => Math.round(v * 1000) / 1000;
const results = engines.map(({ label, engine }) => ({
  engine: label,
  details: engine.details,
  workloads: Object.fromEntries(
    workloads.map((w) => {
      const ms = median(wall.get(key(label, w.label))!);
      const base = median(wall.get(key(engines[0]!.label, w.label))!);
      return [w.label, { callMs: r3(ms), perFaceMs: r3(ms / w.faces), perFacePerHeadMs: r3(ms / w.faces / w.heads), cpuMsPerCall: r3(median(cpu.get(key(label, w.label))!)), speedupVsTfjs: Math.round((base / ms) * 10) / 10 }];
    }),
  ),
}));
const report = { backend, rounds, callsPerBlock, loadAverage: (await import('node:os')).loadavg().map((v) => Math.round(v * 100) / 100), maxScoreDifferenceVsTfjs: worst, results };
if (values.json) {
  process.stdout.write(JSON.stringify(report) + '\n');
} else {
  process.stdout.write(`backend ${backend}; ${rounds} rounds x ${callsPerBlock} calls, interleaved; load average ${report.loadAverage.join(' ')}; max |score - tfjs| ${worst.toExponential(1)}\n`);
  process.stdout.write(`wall ms per call (cpu ms per call) [x faster than tfjs]\n`);
  process.stdout.write(['engine'.padEnd(20), ...workloads.map((w) => w.label.padStart(24))].join('') + '\n');
  for (const r of results) {
    process.stdout.write([r.engine.padEnd(20), ...workloads.map((w) => {
      const x = r.workloads[w.label]!;
      return `${x.callMs.toFixed(2)} (${x.cpuMsPerCall.toFixed(2)}) [${x.speedupVsTfjs}]`.padStart(24);
    })].join('') + '\n');
  }
}
for (const { engine } of engines) engine.dispose();
for (const head of Object.values(heads)) head.dispose();
