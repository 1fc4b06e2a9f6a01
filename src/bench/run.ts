import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { cv, copyInto, type Mat } from '../vision/opencv.js';
import { readColor } from '../vision/image.js';
import { annotate } from '../vision/draw.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { FacePipeline, type FrameResult } from '../pipeline/pipeline.js';
import { STAGES } from '../pipeline/timing.js';
import type { ClassifierHead } from '../models/classifier.js';
import { resultToMessage } from '../messages/face_classification.js';
import { timeExplanations } from '../explain/timing.js';
import { CAMERA_NOISE, CAMERA_PAN, Scene, loadFacePatches, movingFaces, photoBackground, type FacePatch } from './scene.js';
import { mean, percentiles, round2, type Percentiles } from './stats.js';

export interface BenchOptions {
  /** Photo whose faces are used; default: every test photo, the astronaut first. */
  image?: string;
  photosDir: string;
  frames: number;
  warmup: number;
  width: number;
  height: number;
  /** Faces pasted into the frame; undefined: the photo itself, letterboxed (photo mode only). */
  faces?: number;
  /** A moving sequence through detect-and-track, as from a camera (else independent frames). */
  video: boolean;
  /** The camera pans (video): no part of the picture stays still from frame to frame. */
  pan: boolean;
  /** Camera rate to pace frames at (0: back to back, yielding to the event loop between frames). */
  rateHz: number;
  gbp: boolean;
  config: Config;
  log: Logger;
}

interface StageReport extends Percentiles {
  cpu_ms_mean: number;
}

/** The benchmark's JSON report; the README documents every field. */
export interface BenchReport {
  setup: {
    machine: { cpus: number; cpu_model: string; node: string; platform: string; load_avg_1m: number; malloc_arena_max: string | null };
    backend: string;
    inference: string;
    detector: string;
    models: Record<string, string>;
    mode: 'video' | 'frames';
    camera: 'still' | 'pan' | 'none';
    size: string;
    faces: number | 'photo';
    frames: number;
    warmup: number;
    rate_hz: number;
    image: string;
  };
  frame: Percentiles & { cpu_ms_per_frame: number; fps: number; faces_per_s: number };
  stages: Record<string, StageReport>;
  detection: {
    full_scan_frames: number;
    tracked_frames: number;
    faces_per_frame: number;
    expected_faces_per_frame: number;
    /** Background scans (video): whole-frame ones, ones of the changed regions, and the mean share of the frame those covered. */
    background_scans: { whole: number; changed: number; changed_share_mean: number };
  };
  heads: { batch1_ms_per_face: number; batch8_ms_per_face: number };
  gbp?: { batch1_ms_per_face: number; batch8_ms_per_face: number };
  memory: { rss_mb_before: number; rss_mb_after: number; peak_rss_mb: number; tensors_before: number; tensors_after: number };
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A source of fresh frames (a new Mat each call) and how many faces each should have. */
export interface FrameSource {
  frame(i: number): Mat;
  expectedFaces(i: number): number;
}

function letterboxed(file: string, width: number, height: number): Mat {
  const photo = readColor(file);
  const scale = Math.min(width / photo.cols, height / photo.rows);
  const fitted = photo.resize(Math.round(photo.rows * scale), Math.round(photo.cols * scale));
  const canvas = new cv.Mat(height, width, cv.CV_8UC3, [0, 0, 0]);
  const target = canvas.getRegion(new cv.Rect(Math.floor((width - fitted.cols) / 2), Math.floor((height - fitted.rows) / 2), fitted.cols, fitted.rows));
  copyInto(fitted, target);
  for (const mat of [target, fitted, photo]) mat.release();
  return canvas;
}

/** The frames of a bench run (photo, pasted faces or a moving sequence), made fresh each call. */
export function frameSource(options: BenchOptions, total: number): FrameSource {
  const { width, height } = options;
  if (options.faces === undefined && !options.video) {
    const canvas = letterboxed(options.image ?? path.join(options.photosDir, 'skimage_astronaut.png'), width, height);
    return { frame: () => canvas.copy(), expectedFaces: () => 1 };
  }
  const astronaut = path.join(options.photosDir, 'skimage_astronaut.png');
  let patches: FacePatch[] = loadFacePatches(options.photosDir);
  if (options.image) patches = patches.filter((p) => path.resolve(p.source) === path.resolve(options.image!));
  else patches.sort((a, b) => Number(b.source === astronaut) - Number(a.source === astronaut));
  if (patches.length === 0) throw new Error(`no face found in ${options.image ?? options.photosDir}`);
  const count = options.faces ?? 1;
  const paths = movingFaces(count, patches.length, width, height, total);
  // The first face leaves and comes back, so that every run sees a face appear (a new track).
  paths[0]!.away = [Math.round(total * 0.45), Math.round(total * 0.55)];
  // As from a real camera: sensor noise in every frame, and with --pan a camera that turns.
  const scene = new Scene({ width, height, frames: total, faces: paths, noise: CAMERA_NOISE, pan: options.pan ? CAMERA_PAN : 0 }, patches, photoBackground(astronaut, width, height));
  return { frame: (i) => scene.frame(i), expectedFaces: (i) => scene.placements(i).filter(Boolean).length };
}

/**
 * The whole pipeline on fresh frames, after a warm-up: per stage wall and CPU time, end-to-end
 * percentiles, throughput, memory and tensors; then both heads on batches of 1 and 8, and GBP.
 */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const pipeline = await FacePipeline.create(options.config, { log: options.log, uses: options.video ? (options.gbp ? ['video', 'photo'] : ['video']) : ['photo'] });
  try {
    const total = options.warmup + options.frames;
    const source = frameSource(options, total);
    const stream = options.video ? pipeline.stream() : undefined;
    const run = async (frame: Mat): Promise<FrameResult> => (stream ? stream.process(frame) : pipeline.process(frame));

    const samples = { total: [] as number[], annotate: [] as number[], message: [] as number[], annotateCpu: [] as number[], messageCpu: [] as number[] };
    const stageWall: Record<string, number[]> = Object.fromEntries(STAGES.map((s) => [s, []]));
    const stageCpu: Record<string, number[]> = Object.fromEntries(STAGES.map((s) => [s, []]));
    let tensorsBefore = 0;
    let rssBefore = 0;
    let cpuStart = 0;
    let wallStart = 0;
    let sourceCpu = 0;
    let faces = 0;
    let expected = 0;
    let fullScans = 0;
    const backgroundScans = { whole: 0, changed: 0, share: 0 };
    const periodMs = options.rateHz > 0 ? 1000 / options.rateHz : 0;
    let nextDue = performance.now();

    for (let i = 0; i < total; i++) {
      if (i === options.warmup) {
        tensorsBefore = tf.memory().numTensors;
        rssBefore = process.memoryUsage().rss;
        cpuStart = cpuMs();
        wallStart = performance.now();
        sourceCpu = 0;
      }
      const c0 = cpuMs();
      const frame = source.frame(i);
      const want = source.expectedFaces(i);
      sourceCpu += cpuMs() - c0;
      const t0 = performance.now();
      const result = await run(frame);
      const t1 = performance.now();
      const a0 = cpuMs();
      const annotated = annotate(result.prepared.bgr, result.faces);
      const t2 = performance.now();
      const a1 = cpuMs();
      resultToMessage(result, { header: undefined, latencyMs: t2 - t0, emotionClasses: pipeline.heads.emotion?.labels ?? [], genderClasses: pipeline.heads.gender?.labels ?? [] });
      const t3 = performance.now();
      const a2 = cpuMs();
      annotated.release();
      result.prepared.release();
      frame.release();
      if (i >= options.warmup) {
        samples.total.push(t1 - t0);
        samples.annotate.push(t2 - t1);
        samples.message.push(t3 - t2);
        samples.annotateCpu.push(a1 - a0);
        samples.messageCpu.push(a2 - a1);
        for (const s of STAGES) {
          stageWall[s]!.push(result.timings[`${s}Ms`]);
          stageCpu[s]!.push(result.timings.cpuMs[s]);
        }
        faces += result.faces.length;
        expected += want;
        if (result.detection === 'full') fullScans++;
        if (result.backgroundScan?.kind === 'whole') backgroundScans.whole++;
        if (result.backgroundScan?.kind === 'changed') {
          backgroundScans.changed++;
          backgroundScans.share += result.backgroundScan.share;
        }
      }
      // Annotation and message building are measured apart: like the node's outputs, they come after the answer.
      if (periodMs > 0) {
        nextDue += periodMs;
        const wait = nextDue - performance.now();
        if (wait > 0) await sleep(wait);
      } else {
        await nextTurn();
      }
    }
    const wallMs = performance.now() - wallStart;
    const cpuTotal = cpuMs() - cpuStart - sourceCpu;
    const annotateAndMessageCpu = samples.annotateCpu.reduce((a, b) => a + b, 0) + samples.messageCpu.reduce((a, b) => a + b, 0);
    const frameStats = percentiles(samples.total);
    const stages: Record<string, StageReport> = {};
    for (const s of STAGES) stages[s] = { ...percentiles(stageWall[s]!), cpu_ms_mean: round2(mean(stageCpu[s]!)) };
    stages['annotate'] = { ...percentiles(samples.annotate), cpu_ms_mean: round2(mean(samples.annotateCpu)) };
    stages['message'] = { ...percentiles(samples.message), cpu_ms_mean: round2(mean(samples.messageCpu)) };
    const tensorsAfter = tf.memory().numTensors;
    const rssAfter = process.memoryUsage().rss;

    const heads = timeHeads(pipeline);
    let gbp: BenchReport['gbp'];
    if (options.gbp) gbp = timeGbp(pipeline, source.frame(0));

    return {
      setup: {
        machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.arch()}`, load_avg_1m: round2(os.loadavg()[0] ?? 0), malloc_arena_max: process.env.MALLOC_ARENA_MAX ?? null },
        backend: pipeline.backend,
        inference: pipeline.inferenceName,
        detector: (options.video ? pipeline.videoDetector : pipeline.detector).name,
        models: Object.fromEntries(Object.entries(pipeline.heads).map(([task, head]) => [task, head.manifest.id])),
        mode: options.video ? 'video' : 'frames',
        camera: options.faces === undefined && !options.video ? 'none' : options.pan ? 'pan' : 'still',
        size: `${options.width}x${options.height}`,
        faces: options.faces ?? (options.video ? 1 : 'photo'),
        frames: options.frames,
        warmup: options.warmup,
        rate_hz: options.rateHz,
        image: options.image ? path.basename(options.image) : options.faces === undefined && !options.video ? 'skimage_astronaut.png' : 'test photos',
      },
      frame: {
        ...frameStats,
        // Process CPU (all threads, background scans included) per frame, less making the frames,
        // annotating and building messages (reported as their own stages).
        cpu_ms_per_frame: round2((cpuTotal - annotateAndMessageCpu) / options.frames),
        fps: round2((options.frames / wallMs) * 1000),
        faces_per_s: round2((faces / wallMs) * 1000),
      },
      stages,
      detection: {
        full_scan_frames: fullScans,
        tracked_frames: options.frames - fullScans,
        faces_per_frame: round2(faces / options.frames),
        expected_faces_per_frame: round2(expected / options.frames),
        background_scans: { whole: backgroundScans.whole, changed: backgroundScans.changed, changed_share_mean: round2(backgroundScans.share / Math.max(1, backgroundScans.changed)) },
      },
      heads,
      ...(gbp ? { gbp } : {}),
      memory: {
        rss_mb_before: Math.round(rssBefore / 1e6),
        rss_mb_after: Math.round(rssAfter / 1e6),
        // maxRSS is in KiB; the other fields are in MB (10^6 bytes).
        peak_rss_mb: Math.round((process.resourceUsage().maxRSS * 1024) / 1e6),
        tensors_before: tensorsBefore,
        tensors_after: tensorsAfter,
      },
    };
  } finally {
    pipeline.dispose();
  }
}

/** Both heads together, per face, at batch 1 and 8 (median of 50 runs after a warm-up). */
function timeHeads(pipeline: FacePipeline): BenchReport['heads'] {
  const perFace = (batch: number): number => {
    // Heads of one dual model get one list, as the pipeline gives them (one pass answers both).
    const byModel = new Map<ClassifierHead['model'], Float32Array[]>();
    const facesFor = (head: ClassifierHead): Float32Array[] => {
      let faces = byModel.get(head.model);
      if (!faces) byModel.set(head.model, (faces = Array.from({ length: batch }, () => new Float32Array(head.inputHeight * head.inputWidth).fill(0.1))));
      return faces;
    };
    const inputs = Object.fromEntries(Object.entries(pipeline.heads).map(([task, head]) => [task, facesFor(head)]));
    // Through the pipeline's inference engine, as frames go (one call for both heads when it combines them).
    const once = (): void => {
      pipeline.engine.classify(inputs);
    };
    for (let i = 0; i < 5; i++) once();
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      once();
      times.push(performance.now() - t);
    }
    return round2(percentiles(times).p50_ms / batch);
  };
  return { batch1_ms_per_face: perFace(1), batch8_ms_per_face: perFace(8) };
}

/** Guided backpropagation on a real face of the frame: the cost of the ROS gbp_image topic. */
function timeGbp(pipeline: FacePipeline, frame: Mat): BenchReport['gbp'] {
  const head = pipeline.heads.emotion;
  const gray = frame.cvtColor(cv.COLOR_BGR2GRAY);
  const { boxes } = pipeline.detect(gray, frame);
  if (!head || boxes.length === 0) return undefined;
  const face = pipeline.crops(gray, boxes.slice(0, 1), 'emotion').map((crop) => crop.input);
  const [one, eight] = timeExplanations(head, face, [1, 8], { method: 'gbp' });
  return { batch1_ms_per_face: round2(one!.perFaceMs), batch8_ms_per_face: round2(eight!.perFaceMs) };
}
