/**
 * Soak run (`npm run soak [-- FRAMES [pipeline|node|both]]`, default 10,000 and both): FRAMES frames
 * through the pipeline, then FRAMES messages through the node's own message handling (FrameIntake
 * -> FrameHandler -> the node's detect-and-track stream -> the result message and the annotated
 * debug image, as the node builds them; no ROS needed), with a malformed message every 25th. Prints, per phase: tensors before/after, the backend's bytes, RSS
 * before/after (after warm-up), and p50/p99 latency of the first and the last thousand frames.
 * Exits 1 when tensors grow or RSS grows by more than 10 %. Not part of `npm test`: it takes minutes.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { pino } from 'pino';
import { makeConfig } from '../src/config/validate.js';
import { FacePipeline } from '../src/pipeline/pipeline.js';
import { sharedDir } from '../src/paths.js';
import { readColor } from '../src/vision/image.js';
import { annotate } from '../src/vision/draw.js';
import { cv, type Mat } from '../src/vision/opencv.js';
import type { FaceStream } from '../src/pipeline/stream.js';
import { FrameStats } from '../src/ros/runtime/diagnostics.js';
import { FrameHandler, type FrameJob } from '../src/ros/intake/frame_handler.js';
import { FrameIntake } from '../src/ros/intake/frame_intake.js';
import { DEFAULT_INPUT_LIMITS } from '../src/ros/intake/input_guard.js';
import { frameToBgr } from '../src/ros/intake/image_conversion.js';
import { matToImageMessage, resultToMessage } from '../src/messages/face_classification.js';

const frames = Number(process.argv[2] ?? process.env.SOAK_FRAMES ?? 10_000);
if (!Number.isInteger(frames) || frames < 2000) {
  process.stderr.write('soak: FRAMES must be an integer >= 2000 (a thousand for warm-up and first, a thousand last)\n');
  process.exit(2);
}
const phases = process.argv[3] ?? 'both';
if (!['pipeline', 'node', 'both'].includes(phases)) {
  process.stderr.write('soak: the phase is pipeline, node or both\n');
  process.exit(2);
}
/** Frames before the "before" sample: RSS settles within the first thousand (allocator arenas, code caches). */
const WARMUP = 1000;

interface Sample {
  tensors: number;
  backendBytes: number;
  rssMb: number;
  heapMb: number;
  externalMb: number;
}

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
function sample(): Sample {
  const memory = process.memoryUsage();
  return { tensors: tf.memory().numTensors, backendBytes: tf.memory().numBytes, rssMb: mb(memory.rss), heapMb: mb(memory.heapUsed), externalMb: mb(memory.external) };
}

function percentiles(values: number[]): { p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 100) / 100;
  return { p50: at(0.5), p99: at(0.99) };
}

interface Phase {
  phase: string;
  frames: number;
  before: Sample;
  after: Sample;
  /** RSS in MB after every thousand frames: flat, or growing without bound? */
  rssEvery1000: number[];
  latencyMs: { first1000: { p50: number; p99: number }; last1000: { p50: number; p99: number } };
  extra?: Record<string, unknown>;
}

function report(phase: Phase): boolean {
  const rssGrowth = (phase.after.rssMb - phase.before.rssMb) / phase.before.rssMb;
  const ok = phase.after.tensors === phase.before.tensors && rssGrowth <= 0.1;
  process.stdout.write(`${JSON.stringify({ ...phase, rssGrowthPercent: Math.round(rssGrowth * 1000) / 10, ok })}\n`);
  return ok;
}

async function main(): Promise<number> {
  const shared = sharedDir();
  if (!shared) throw new Error('the soak run needs ../shared (models and the astronaut photo)');
  const photo = readColor(path.join(shared, 'testdata', 'photos', 'skimage_astronaut.png'));
  const pipeline = await FacePipeline.create(makeConfig({ 'models.download': false }));
  process.stdout.write(`${JSON.stringify({ soak: { frames, backend: pipeline.backend, frame: `${photo.cols}x${photo.rows}`, node: process.version } })}\n`);

  const ok1 = phases === 'node' || soakPipeline(pipeline, photo);
  const ok2 = phases === 'pipeline' || (await soakNode(pipeline, photo));
  pipeline.dispose();
  return ok1 && ok2 ? 0 : 1;
}

/** The pipeline alone, frame by frame. */
function soakPipeline(pipeline: FacePipeline, photo: Mat): boolean {
  const latencies: number[] = [];
  for (let i = 0; i < WARMUP; i++) pipeline.process(photo);
  const before = sample();
  const rssEvery1000: number[] = [];
  for (let i = 0; i < frames; i++) {
    const t = performance.now();
    pipeline.process(photo);
    latencies.push(performance.now() - t);
    if ((i + 1) % 1000 === 0) rssEvery1000.push(sample().rssMb);
  }
  return report({ phase: 'pipeline', frames, before, after: sample(), rssEvery1000, latencyMs: { first1000: percentiles(latencies.slice(0, 1000)), last1000: percentiles(latencies.slice(-1000)) } });
}

/** Messages through the node's handling, raw and compressed, with malformed ones mixed in. */
async function soakNode(pipeline: FacePipeline, photo: Mat): Promise<boolean> {
  const raw = matToImageMessage(photo, { stamp: { sec: 0, nanosec: 0 }, frame_id: 'soak' });
  const jpeg = { header: raw.header, format: 'jpeg', data: new Uint8Array(cv.imencode('.jpg', photo, [cv.IMWRITE_JPEG_QUALITY, 90])) };
  const broken = { ...raw, data: raw.data.subarray(0, raw.data.length - 1) };
  const stats = new FrameStats(performance.now());
  const nodeLatencies: number[] = [];
  let published = 0;
  let stream: FaceStream | undefined;
  const handler = new FrameHandler({
    process: (p, frame) => (stream ??= p.stream()).process(frame.mat, frame.colorOrder),
    source: '/soak/image',
    pipeline: () => pipeline,
    limits: () => DEFAULT_INPUT_LIMITS,
    stats,
    log: pino({ level: 'silent' }),
    publish: (answer) => {
      // What the node builds per frame: the result message and, while subscribed, the debug image.
      resultToMessage(answer.result, { header: answer.header, latencyMs: answer.latencyMs, emotionClasses: answer.pipeline.heads.emotion?.labels ?? [], genderClasses: answer.pipeline.heads.gender?.labels ?? [] });
      matToImageMessage(annotate(frameToBgr(answer.frame), answer.result.faces), answer.header);
      nodeLatencies.push(answer.latencyMs);
      published++;
    },
  });
  const intake = new FrameIntake({ work: (job) => handler.handle(job), stats, log: pino({ level: 'silent' }), settleRounds: () => 0 });
  const send = async (i: number): Promise<void> => {
    const message: FrameJob['message'] = i % 25 === 24 ? broken : i % 2 ? jpeg : raw;
    intake.receive(message, message === jpeg);
    await intake.idle();
  };
  for (let i = 0; i < WARMUP; i++) await send(i);
  nodeLatencies.length = 0;
  published = 0;
  const skippedBefore = stats.skippedByReason.data_size;
  const before2 = sample();
  const rssEvery1000: number[] = [];
  for (let i = 0; i < frames; i++) {
    await send(i);
    if ((i + 1) % 1000 === 0) rssEvery1000.push(sample().rssMb);
  }
  stream?.dispose();
  return report({
    phase: 'node message handling',
    frames,
    before: before2,
    after: sample(),
    rssEvery1000,
    latencyMs: { first1000: percentiles(nodeLatencies.slice(0, 1000)), last1000: percentiles(nodeLatencies.slice(-1000)) },
    extra: { published, skipped: stats.skippedByReason.data_size - skippedBefore, dropped: stats.totals.drops },
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
