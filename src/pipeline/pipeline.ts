import { ClassifierHead, headLoadOptions, type Classification, type HeadTask } from '../models/classifier.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { initBackend, type BackendChoice } from '../backend.js';
import { cv, type Mat } from '../vision/opencv.js';
import { cropGray, expandBox, type Box, type OffsetUnit } from '../vision/crop.js';
import { faceInput } from '../vision/preprocess.js';
import { toBgr, type ColorOrder } from '../vision/image.js';
import { ImageError } from '../errors.js';
import { createDetector } from '../detection/create.js';
import type { FaceDetector } from '../detection/detector.js';
import { createHeadsEngine } from '../models/inference/create.js';
import type { HeadInputs, HeadsEngine } from '../models/inference/engine.js';

export type { ColorOrder };

/** One face of a frame, with both heads' answers. */
export interface FaceResult {
  /** Index of the face in its frame, ordered left to right. */
  id: number;
  /** The detected face in frame pixels. */
  box: Box;
  /** Detector confidence (YuNet score, or Haar's neighbour count). */
  score: number;
  emotion?: Classification;
  gender?: Classification;
}

export interface StageTimings {
  detectMs: number;
  cropMs: number;
  /** Each head's inference; 0 for both when the engine ran them in one call (see headsMs). */
  emotionMs: number;
  genderMs: number;
  /** Inference of all heads of the frame (one call with a combined engine such as onnxruntime). */
  headsMs: number;
  totalMs: number;
}

export interface FrameResult {
  width: number;
  height: number;
  /** The factor the frame was scaled by for detection (detector.scale, reduced for very large frames). */
  detectionScale: number;
  faces: FaceResult[];
  timings: StageTimings;
}

export interface PipelineOptions {
  log?: Logger;
}

/** What one head sees of one face: the frame region it was cropped from and the preprocessed input. */
export interface HeadCrop {
  /** The face box grown by the head's offsets and clipped to the frame. */
  region: Box;
  input: Float32Array;
}

/** Crops of every face of a frame for one head, ready for a single batched call. */
export function headCrops(gray: Mat, boxes: readonly Box[], head: ClassifierHead, offsets: readonly number[], unit: OffsetUnit): HeadCrop[] {
  return boxes.map((box) => {
    const region = expandBox(box, offsets, unit, gray.cols, gray.rows);
    return { region, input: faceInput(cropGray(gray, region), head.inputHeight, head.inputWidth, head.scaling) };
  });
}

/**
 * frame -> gray -> faces -> crops -> both heads -> results. ROS-free; the ROS node and the CLI are thin
 * adapters over it. Runtime-tunable settings are read from `config` at every frame.
 */
export class FacePipeline {
  private constructor(
    public config: Config,
    readonly detector: FaceDetector,
    readonly heads: Partial<Record<HeadTask, ClassifierHead>>,
    /** TensorFlow.js's backend: explanations, and the heads when the engine is tfjs. */
    readonly backend: string,
    /** What runs the heads' forward pass (inference.engine); `engine.name` and `engine.details` say which. */
    readonly engine: HeadsEngine,
    private readonly log: Logger,
  ) {}

  static async create(config: Config, options: PipelineOptions = {}): Promise<FacePipeline> {
    const log = options.log ?? silentLogger;
    const backend = await initBackend(config['backend'] as BackendChoice, log);
    const load = headLoadOptions(config, log);
    const detector = await createDetector(config, load);
    const heads: Partial<Record<HeadTask, ClassifierHead>> = {};
    let engine: HeadsEngine;
    try {
      // Both heads are loaded even when one is disabled, so it can be switched on at run time.
      heads.emotion = await ClassifierHead.load('emotion', config['emotion.model'], load);
      heads.gender = await ClassifierHead.load('gender', config['gender.model'], load);
      engine = createHeadsEngine(heads, config, log);
    } catch (error) {
      heads.emotion?.dispose();
      heads.gender?.dispose();
      detector.dispose?.();
      throw error;
    }
    return new FacePipeline(config, detector, heads, backend, engine, log);
  }

  /** Find faces; boxes in frame pixels, sorted left to right. */
  detect(gray: Mat, bgr: Mat | undefined): { boxes: (Box & { score: number })[]; scale: number } {
    const c = this.config;
    const longest = Math.max(gray.cols, gray.rows);
    const scale = Math.min(c['detector.scale'], c['detector.max_side'] / longest);
    const small = scale < 1 ? gray.resize(Math.max(1, Math.round(gray.rows * scale)), Math.max(1, Math.round(gray.cols * scale)), 0, 0, cv.INTER_AREA) : gray;
    const smallBgr = bgr && scale < 1 ? bgr.resize(small.rows, small.cols, 0, 0, cv.INTER_AREA) : bgr;
    const limits = { minSize: Math.round(c['detector.min_face_size'] * scale), maxSize: Math.round(c['detector.max_face_size'] * scale) };
    const found = this.detector.detect(small, smallBgr, c, limits);
    const boxes = found
      .map((d) => {
        const f = scale < 1 ? 1 / scale : 1;
        const x = Math.max(0, Math.round(d.x * f));
        const y = Math.max(0, Math.round(d.y * f));
        const width = Math.min(gray.cols - x, Math.round(d.width * f));
        const height = Math.min(gray.rows - y, Math.round(d.height * f));
        return { x, y, width, height, score: d.score };
      })
      .filter((b) => b.width > 0 && b.height > 0)
      .filter((b) => (c['detector.min_face_size'] === 0 || Math.max(b.width, b.height) >= c['detector.min_face_size']) && (c['detector.max_face_size'] === 0 || Math.min(b.width, b.height) <= c['detector.max_face_size']))
      .sort((a, b) => a.x - b.x || a.y - b.y);
    return { boxes, scale };
  }

  /** The crops `task`'s head takes from a gray frame for these face boxes, with the configured offsets. */
  crops(gray: Mat, boxes: readonly Box[], task: HeadTask): HeadCrop[] {
    const head = this.heads[task];
    if (!head) return [];
    return headCrops(gray, boxes, head, this.config[`${task}.offsets`], this.config['crop.offset_unit'] as OffsetUnit);
  }

  /**
   * Classify given face boxes of a frame: the enabled heads' batches go to the engine in one call
   * when it combines heads (onnxruntime), else in one call per head.
   */
  classify(gray: Mat, boxes: readonly (Box & { score: number })[], timings: StageTimings): FaceResult[] {
    const c = this.config;
    const faces: FaceResult[] = boxes.map((b, id) => ({ id, box: { x: b.x, y: b.y, width: b.width, height: b.height }, score: b.score }));
    if (faces.length === 0) return faces;
    const inputs: HeadInputs = {};
    const t = performance.now();
    for (const task of ['emotion', 'gender'] as const) {
      if (this.heads[task] && c[`${task}.enabled`]) inputs[task] = this.crops(gray, boxes, task).map((crop) => crop.input);
    }
    timings.cropMs += performance.now() - t;
    const tasks = Object.keys(inputs) as HeadTask[];
    const calls: HeadInputs[] = this.engine.combined ? [inputs] : tasks.map((task) => ({ [task]: inputs[task] }));
    for (const call of calls) {
      const start = performance.now();
      const answers = this.engine.classify(call);
      const ms = performance.now() - start;
      timings.headsMs += ms;
      for (const task of Object.keys(call) as HeadTask[]) {
        answers[task]?.forEach((answer, i) => (faces[i]![task] = answer));
        if (!this.engine.combined) timings[task === 'emotion' ? 'emotionMs' : 'genderMs'] = ms;
      }
    }
    return faces;
  }

  /**
   * Process one frame: 8-bit, 1 (gray), 3 (BGR, or RGB with colorOrder 'rgb') or 4 channels.
   */
  process(frame: Mat, colorOrder: ColorOrder = 'bgr'): FrameResult {
    const start = performance.now();
    if (frame.empty || frame.rows === 0 || frame.cols === 0) throw new ImageError('frame', 'is empty');
    if (frame.depth !== cv.CV_8U) throw new ImageError('frame', 'must be 8-bit');
    const bgr = frame.channels === 1 ? undefined : toBgr(frame, colorOrder);
    const gray = bgr ? bgr.cvtColor(cv.COLOR_BGR2GRAY) : frame;
    const timings: StageTimings = { detectMs: 0, cropMs: 0, emotionMs: 0, genderMs: 0, headsMs: 0, totalMs: 0 };
    let t = performance.now();
    const { boxes, scale } = this.detect(gray, bgr);
    timings.detectMs = performance.now() - t;
    const faces = this.classify(gray, boxes, timings);
    timings.totalMs = performance.now() - start;
    this.log.debug({ faces: faces.length, width: frame.cols, height: frame.rows, ...roundTimings(timings) }, 'frame processed');
    return { width: frame.cols, height: frame.rows, detectionScale: scale, faces, timings };
  }

  dispose(): void {
    this.engine.dispose();
    this.heads.emotion?.dispose();
    this.heads.gender?.dispose();
    this.detector.dispose?.();
  }
}

export function roundTimings(t: StageTimings): StageTimings {
  const r = (v: number): number => Math.round(v * 100) / 100;
  return { detectMs: r(t.detectMs), cropMs: r(t.cropMs), emotionMs: r(t.emotionMs), genderMs: r(t.genderMs), headsMs: r(t.headsMs), totalMs: r(t.totalMs) };
}
