import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { FacePipeline } from '../pipeline/pipeline.js';
import { createDetector } from '../detection/create.js';
import { scanFrame } from '../detection/frame_scan.js';
import { headLoadOptions } from '../models/classifier.js';
import { PreparedFrame } from '../pipeline/prepared_frame.js';
import { VideoSource } from '../video/source.js';
import { VideoError } from '../errors.js';
import { SceneCutDetector } from '../tracking/scene_cut.js';
import { SCHEMA } from '../config/schema.js';
import { percentiles, round2, type Percentiles } from './stats.js';
import { scoreClip, type ClipScore, type ReportedFace, type ScoredFace } from './clip_score.js';

/** The reference marks cuts at the default threshold, whatever the video path is configured with. */
const CUT_THRESHOLD = SCHEMA['tracking.cut_threshold'].default;

export type ReferenceDetector = 'yunet' | 'haar';

export interface ClipBenchOptions {
  file: string;
  /** The detector run on every frame of the whole picture as the ground truth. */
  reference: ReferenceDetector;
  /** Longer side of YuNet's input for the reference (default: yunet.input_size). */
  referenceSize?: number;
  maxFrames: number;
  config: Config;
  log: Logger;
  /** Called after each frame of each pass (for a progress bar). */
  progress?: (pass: 'video' | 'reference', done: number, total: number) => void;
}

/** The clip benchmark's JSON report; docs/benchmark.md documents every field. */
export interface ClipBenchReport {
  setup: {
    machine: { cpus: number; cpu_model: string; node: string; load_avg_1m: number; malloc_arena_max: string | null };
    clip: string;
    size: string;
    frames: number;
    fps: number;
    detector: string;
    inference: string;
    /** The heads' model ids (a dual model's id for both when one network answers both). */
    models: Record<string, string>;
    reference: { detector: ReferenceDetector; input_size?: number; score: number };
  };
  score: ClipScore;
  /** The video path (decode excluded): process CPU per frame, wall rate, per-frame latency. */
  frame: Percentiles & { cpu_ms_per_frame: number; fps: number };
  /**
   * The heads' inference in the video path (the emotion, gender and heads stages together): wall
   * and CPU time a frame and a face, and native calls a frame (one a batch of both heads when one
   * call answers both).
   */
  heads: { ms_per_frame: number; cpu_ms_per_frame: number; ms_per_face: number; cpu_ms_per_face: number; calls_per_frame: number };
  /** Decoding the clip, per frame (measured in a pass of its own, where nothing else runs). */
  decode_cpu_ms_per_frame: number;
  detection: { faces_per_frame: number; carried_share: number; full_scan_frames: number; background_scans: number };
  /** Peak RSS of the process during the video path (it runs first, before the reference). */
  memory: { peak_rss_mb: number };
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const peakRssMb = (): number => Math.round((process.resourceUsage().maxRSS * 1024) / 1e6);
/** Heads' times are fractions of a millisecond a face: three decimals. */
const round3 = (v: number): number => Math.round(v * 1000) / 1000;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function openClip(file: string): { source: VideoSource; total: (max: number) => number } {
  const source = VideoSource.open(file);
  return { source, total: (max) => Math.min(max, source.frameCount || max) };
}

/** The video path as configured (pipeline.stream(), as the CLI's `video` and the node run it), timed. */
async function videoPass(options: ClipBenchOptions): Promise<{ reported: ReportedFace[][]; report: Omit<ClipBenchReport, 'setup' | 'score' | 'decode_cpu_ms_per_frame'>; fps: number; size: string; detector: string; inference: string; models: Record<string, string> }> {
  const pipeline = await FacePipeline.create(options.config, { log: options.log, uses: ['video'] });
  // Start-up is not a frame's cost: the first frame through a stream of its own warms the networks
  // (their first call allocates) before timing starts.
  const warm = openClip(options.file);
  const first = warm.source.read();
  if (first) {
    const warmup = pipeline.stream();
    await warmup.process(first);
    warmup.dispose();
  }
  warm.source.release();
  const { source, total } = openClip(options.file);
  const frames = total(options.maxFrames);
  const stream = pipeline.stream();
  const reported: ReportedFace[][] = [];
  const latencies: number[] = [];
  let faces = 0;
  let carried = 0;
  let full = 0;
  let scans = 0;
  let size = '';
  const heads = { ms: 0, cpu: 0 };
  const callsStart = pipeline.engine.calls;
  const cpuStart = cpuMs();
  const wallStart = performance.now();
  try {
    while (reported.length < frames) {
      const frame = source.read();
      if (!frame) break;
      size ||= `${frame.cols}x${frame.rows}`;
      const t0 = performance.now();
      const result = await stream.process(frame);
      latencies.push(performance.now() - t0);
      reported.push(result.faces.map((f) => ({ ...f.box, trackId: f.trackId })));
      faces += result.faces.length;
      carried += result.faces.filter((f) => f.carried).length;
      if (result.detection === 'full') full++;
      if (result.backgroundScan) scans++;
      const t = result.timings;
      heads.ms += t.emotionMs + t.genderMs + t.headsMs;
      heads.cpu += t.cpuMs.emotion + t.cpuMs.gender + t.cpuMs.heads;
      result.prepared.release();
      frame.release();
      options.progress?.('video', reported.length, frames);
      await nextTurn();
    }
    const cpu = cpuMs() - cpuStart;
    const wall = performance.now() - wallStart;
    const n = Math.max(1, reported.length);
    return {
      reported,
      fps: source.fps,
      size,
      detector: pipeline.videoDetector.name,
      inference: pipeline.inferenceName,
      models: Object.fromEntries(Object.entries(pipeline.heads).map(([task, head]) => [task, head.manifest.id])),
      report: {
        // Decode is included here and taken out by the caller (it is measured in a pass of its own).
        frame: { ...percentiles(latencies), cpu_ms_per_frame: cpu / n, fps: round2((reported.length / wall) * 1000) },
        heads: { ms_per_frame: round3(heads.ms / n), cpu_ms_per_frame: round3(heads.cpu / n), ms_per_face: round3(heads.ms / Math.max(1, faces)), cpu_ms_per_face: round3(heads.cpu / Math.max(1, faces)), calls_per_frame: round3((pipeline.engine.calls - callsStart) / n) },
        detection: { faces_per_frame: round2(faces / n), carried_share: round2(carried / Math.max(1, faces)), full_scan_frames: full, background_scans: scans },
        memory: { peak_rss_mb: peakRssMb() },
      },
    };
  } finally {
    stream.dispose();
    source.release();
    pipeline.dispose();
  }
}

/**
 * Process CPU per frame of decoding alone. Measured in a pass of its own: the decoder's threads work
 * ahead of the reader, so timing read() inside another pass would miss part of it.
 */
function decodePass(file: string, frames: number): number {
  const { source } = openClip(file);
  const c0 = cpuMs();
  let read = 0;
  try {
    for (; read < frames; read++) {
      const frame = source.read();
      if (!frame) break;
      frame.release();
    }
  } finally {
    source.release();
  }
  return (cpuMs() - c0) / Math.max(1, read);
}

/** The reference detector on every frame of the whole picture. */
async function referencePass(options: ClipBenchOptions, frames: number): Promise<{ detections: ScoredFace[][]; cuts: Set<number> }> {
  const config: Config = { ...options.config, 'detector.type': options.reference, 'detector.scale': 1, 'detector.min_face_size': 0, 'detector.max_face_size': 0 };
  if (options.reference === 'yunet') {
    config['yunet.input_size'] = options.referenceSize ?? options.config['yunet.input_size'];
    // Below the loose score too, so that precision can use them.
    config['yunet.score_threshold'] = Math.min(config['yunet.score_threshold'], 0.5);
  }
  const detector = await createDetector(config, headLoadOptions(config, options.log));
  const { source } = openClip(options.file);
  const detections: ScoredFace[][] = [];
  const cutDetector = new SceneCutDetector();
  const cuts = new Set<number>();
  try {
    while (detections.length < frames) {
      const frame = source.read();
      if (!frame) break;
      const prepared = new PreparedFrame(frame);
      if (cutDetector.isCut(prepared.gray, CUT_THRESHOLD)) cuts.add(detections.length);
      const scan = scanFrame(detector, prepared.gray, options.reference === 'yunet' ? prepared.bgr : undefined, config);
      // Haar's score is a neighbour count: every face it reports counts as sure.
      detections.push(scan.boxes.map((b) => ({ ...b, score: options.reference === 'haar' ? 1 : b.score })));
      prepared.release();
      frame.release();
      options.progress?.('reference', detections.length, frames);
      await nextTurn();
    }
  } finally {
    source.release();
    detector.dispose?.();
  }
  return { detections, cuts };
}

/**
 * Score the video path on a real clip: first the video path as configured (its CPU, latency and
 * peak RSS are measured alone), then the reference detector on every frame of the whole picture;
 * then recall, precision and id switches of the one against the other (bench/clip_score.ts).
 */
export async function runClipBench(options: ClipBenchOptions): Promise<ClipBenchReport> {
  const video = await videoPass(options);
  if (video.reported.length === 0) throw new VideoError(options.file, 'no frame could be read');
  const reference = await referencePass(options, video.reported.length);
  const frames = Math.min(video.reported.length, reference.detections.length);
  const decode = decodePass(options.file, frames);
  const score = scoreClip(reference.detections.slice(0, frames), video.reported.slice(0, frames), reference.cuts);
  return {
    setup: {
      machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? 'unknown', node: process.version, load_avg_1m: round2(os.loadavg()[0] ?? 0), malloc_arena_max: process.env.MALLOC_ARENA_MAX ?? null },
      clip: path.basename(options.file),
      size: video.size,
      frames,
      fps: round2(video.fps),
      detector: video.detector,
      inference: video.inference,
      models: video.models,
      reference: { detector: options.reference, ...(options.reference === 'yunet' ? { input_size: options.referenceSize ?? options.config['yunet.input_size'] } : {}), score: 0.8 },
    },
    score,
    frame: { ...video.report.frame, cpu_ms_per_frame: round2(Math.max(0, video.report.frame.cpu_ms_per_frame - decode)) },
    heads: video.report.heads,
    decode_cpu_ms_per_frame: round2(decode),
    detection: video.report.detection,
    memory: video.report.memory,
  };
}
