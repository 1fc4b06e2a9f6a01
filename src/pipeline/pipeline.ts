import { headLoadOptions, loadHeads, type Classification, type ClassifierHead, type HeadTask } from '../models/classifier.js';
import type { Config } from '../config/schema.js';
import { checkConfig } from '../config/validate.js';
import { checkModelsDirectory } from '../config/check_paths.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { initBackend, type BackendChoice } from '../backend.js';
import type { Mat } from '../vision/opencv.js';
import { cropGray, expandBox, type Box, type OffsetUnit } from '../vision/crop.js';
import { faceInput } from '../vision/preprocess.js';
import type { ColorOrder } from '../vision/image.js';
import { createDetector, detectorTypeFor, type DetectorUse } from '../detection/create.js';
import type { FaceDetector } from '../detection/detector.js';
import { ConfigError, FaceClassificationError } from '../errors.js';
import { scanFrame, scanWholeAsync, type ScoredBox } from '../detection/frame_scan.js';
import { FaceTracker } from '../tracking/tracker.js';
import { PreparedFrame } from './prepared_frame.js';
import { StageClock, roundTimings } from './timing.js';
import { FaceStream } from './stream.js';
import type { FaceResult, FrameResult } from './results.js';
import { createHeadsEngine } from '../models/inference/create.js';
import { sharedModel, type HeadInputs, type HeadsEngine } from '../models/inference/engine.js';

export type { ColorOrder };
export { roundTimings, type StageTimings } from './timing.js';
export type { FaceResult, FrameResult } from './results.js';

export interface PipelineOptions {
  log?: Logger;
  /**
   * What the pipeline will be used for: `process` (photos) and/or `stream` (video). Only the
   * detectors these need are loaded (detector.type auto gives each its own). Default: both.
   */
  uses?: readonly DetectorUse[];
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
    const crop = cropGray(gray, region);
    const input = faceInput(crop, head.inputHeight, head.inputWidth, head.scaling);
    crop.release();
    return { region, input };
  });
}

/**
 * frame -> gray -> faces -> crops -> both heads -> results. ROS-free; the ROS node and the CLI are thin
 * adapters over it. Runtime-tunable settings are read from `config` at every frame.
 */
export class FacePipeline {
  /**
   * The settings. A change replaces the object (never edits it), so a stage that took `config` at
   * the start of its work (a background scan) keeps one consistent set.
   */
  private current: Config;
  /** `current` behind the checks: what `config` hands out. */
  private view: Config;
  private disposed = false;

  private constructor(
    config: Config,
    private readonly detectors: Partial<Record<DetectorUse, FaceDetector>>,
    /** The enabled heads at creation: a disabled head's model is neither loaded nor required. */
    readonly heads: Partial<Record<HeadTask, ClassifierHead>>,
    /** TensorFlow.js's backend: explanations, and the heads when the engine is tfjs. */
    readonly backend: string,
    /** What runs the heads' forward pass (inference.engine); `engine.name` and `engine.details` say which. */
    readonly engine: HeadsEngine,
    private readonly log: Logger,
  ) {
    this.current = { ...config };
    this.view = this.guarded(this.current);
  }

  /**
   * The settings; runtime ones are read at every frame. A write to one of them
   * (`pipeline.config['haar.scale_factor'] = 1.2`) is checked as a whole new object is: an invalid
   * value throws a ConfigError naming the key and changes nothing.
   */
  get config(): Config {
    return this.view;
  }

  /**
   * Replace the settings (e.g. a ROS parameter change): every value is validated as `--set` would,
   * then the rules between settings and configRefusal; each refusal is a ConfigError naming the key.
   */
  set config(next: Config) {
    const checked = checkConfig(next);
    const refusal = this.configRefusal(checked);
    if (refusal) throw new ConfigError(refusal.key, refusal.reason);
    this.current = checked;
    this.view = this.guarded(checked);
  }

  /**
   * `config` as callers see it: reads go straight to the settings, a write goes through the setter's
   * checks onto the latest settings (whichever view it is made through); nothing can be removed.
   */
  private guarded(config: Config): Config {
    return new Proxy(config, {
      set: (_target, key, value): boolean => {
        this.config = { ...this.current, [key]: value };
        return true;
      },
      deleteProperty: (_target, key): boolean => {
        throw new ConfigError(String(key), 'settings cannot be removed; assign a value instead');
      },
      defineProperty: (_target, key): boolean => {
        throw new ConfigError(String(key), 'settings are changed by assignment (pipeline.config[key] = value)');
      },
    });
  }

  /**
   * Why `next` cannot be applied while this pipeline runs, or undefined: a head switched on whose
   * model was not loaded (it was disabled at creation; loading takes seconds and may fail, so a
   * running pipeline does not do it). The ROS node asks this before accepting a parameter change.
   */
  configRefusal(next: Config): { key: string; reason: string } | undefined {
    for (const task of ['emotion', 'gender'] as const) {
      if (next[`${task}.enabled`] && !this.heads[task]) {
        return { key: `${task}.enabled`, reason: `cannot be switched on while running: the ${task} model was not loaded because the head was disabled at start; start with ${task}.enabled: true (it can then be switched off and on)` };
      }
    }
    return undefined;
  }

  /** The photo path's detector (`process`, `detect`): the Haar cascade under detector.type auto. */
  get detector(): FaceDetector {
    return this.detectorFor('photo');
  }

  /** The video path's detector (`stream`): YuNet under detector.type auto. */
  get videoDetector(): FaceDetector {
    return this.detectorFor('video');
  }

  private detectorFor(use: DetectorUse): FaceDetector {
    const detector = this.detectors[use];
    if (!detector) throw new FaceClassificationError(`this pipeline was created without the ${use} path (PipelineOptions.uses): create it with uses including '${use}'`);
    return detector;
  }

  private checkAlive(): void {
    if (this.disposed) throw new FaceClassificationError('FacePipeline used after dispose(): create a new one');
  }

  static async create(config: Config, options: PipelineOptions = {}): Promise<FacePipeline> {
    const log = options.log ?? silentLogger;
    // A caller's own object is checked as a new one given later would be (a typo, 'haar.scale_factor': 99).
    config = checkConfig(config);
    checkModelsDirectory(config);
    const backend = await initBackend(config['backend'] as BackendChoice, log);
    const load = headLoadOptions(config, log);
    const uses = options.uses ?? ['photo', 'video'];
    const detectors: Partial<Record<DetectorUse, FaceDetector>> = {};
    const disposeDetectors = (): void => {
      for (const d of new Set(Object.values(detectors))) d.dispose?.();
    };
    try {
      for (const use of uses) {
        // One instance where both uses name the same detector.
        const same = Object.entries(detectors).find(([other]) => detectorTypeFor(config, other as DetectorUse) === detectorTypeFor(config, use));
        detectors[use] = same ? same[1] : await createDetector(config, load, use);
      }
    } catch (error) {
      disposeDetectors();
      throw error;
    }
    let heads: Partial<Record<HeadTask, ClassifierHead>> = {};
    let engine: HeadsEngine;
    try {
      // Only the enabled heads: a disabled head's model is not needed (see configRefusal). Both
      // naming one dual model load it once (one network for both).
      const specs = Object.fromEntries((['emotion', 'gender'] as const).filter((task) => config[`${task}.enabled`]).map((task) => [task, config[`${task}.model`]]));
      heads = await loadHeads(specs, load);
      engine = createHeadsEngine(heads, config, log);
    } catch (error) {
      heads.emotion?.dispose();
      heads.gender?.dispose();
      disposeDetectors();
      throw error;
    }
    return new FacePipeline(config, detectors, heads, backend, engine, log);
  }

  /** The inference path of the heads, as the log, bench and diagnostics report it. */
  get inferenceName(): string {
    return this.engine.label;
  }

  /** Every face of the frame (a full scan); boxes in frame pixels, sorted left to right. */
  detect(gray: Mat, bgr: Mat | undefined): { boxes: ScoredBox[]; scale: number } {
    this.checkAlive();
    return scanFrame(this.detector, gray, bgr, this.config);
  }

  /**
   * The crops `task`'s head takes from a gray frame for these face boxes (of `detector`, default the
   * photo path's), with the configured offsets around the box the heads were trained on (headBox).
   */
  crops(gray: Mat, boxes: readonly Box[], task: HeadTask, detector: FaceDetector = this.detector): HeadCrop[] {
    const head = this.heads[task];
    if (!head) return [];
    const headBoxes = detector.headBox ? boxes.map((b) => detector.headBox!(b)) : boxes;
    return headCrops(gray, headBoxes, head, this.config[`${this.cropOf(task)}.offsets`], this.config['crop.offset_unit'] as OffsetUnit);
  }

  /**
   * Whose offsets `task`'s crop takes. Both heads of one dual model read ONE crop, the emotion
   * head's (emotion.offsets; gender.offsets is then unused): one network pass takes one input, and
   * that is what saves the second pass. Separate models each take their own.
   */
  private cropOf(task: HeadTask): HeadTask {
    return this.sharedNetwork ? 'emotion' : task;
  }

  /** Both heads are one dual model's: one network, one crop, one pass a face for both. */
  get sharedNetwork(): boolean {
    return sharedModel(this.heads) !== undefined;
  }

  /**
   * Both heads' raw answers for the given face boxes: the enabled heads' batches go to the engine in
   * one call when it combines heads (onnxruntime, or both heads of one dual model; timed as the
   * `heads` stage), else in one call per head (the `emotion` and `gender` stages).
   */
  classify(gray: Mat, boxes: readonly Box[], clock: StageClock, detector: FaceDetector = this.detector): Partial<Record<HeadTask, Classification[]>> {
    this.checkAlive();
    if (boxes.length === 0) return {};
    const inputs: HeadInputs = {};
    clock.skip();
    for (const task of ['emotion', 'gender'] as const) {
      if (!this.heads[task] || !this.config[`${task}.enabled`]) continue;
      // A dual model's heads get the very same inputs (one crop each face), which the engine answers in one pass.
      const same = this.sharedNetwork && task === 'gender' ? inputs.emotion : undefined;
      inputs[task] = same ?? this.crops(gray, boxes, task, detector).map((crop) => crop.input);
    }
    clock.lap('crop');
    if (this.engine.combined) {
      const answers = this.engine.classify(inputs);
      clock.lap('heads');
      return answers;
    }
    const answers: Partial<Record<HeadTask, Classification[]>> = {};
    for (const task of Object.keys(inputs) as HeadTask[]) {
      answers[task] = this.engine.classify({ [task]: inputs[task] })[task];
      clock.lap(task);
    }
    return answers;
  }

  /**
   * Process one photo (or any frame on its own): a full-frame scan, both heads. 8-bit, 1 (gray), 3
   * (BGR, or RGB with colorOrder 'rgb') or 4 channels. Each face gets a new track id.
   */
  process(frame: Mat, colorOrder: ColorOrder = 'bgr'): FrameResult {
    this.checkAlive();
    const clock = new StageClock();
    const prepared = new PreparedFrame(frame, colorOrder);
    const bgr = this.detector.needsColour ? prepared.bgrOrUndefined : undefined;
    clock.lap('convert');
    return this.photoResult(frame, prepared, this.detect(prepared.gray, bgr), clock);
  }

  /**
   * The same as `process`, with the full-frame scan on the libuv thread pool, so the calling thread
   * goes on with other work (a camera's frames) meanwhile; only the colour conversion, the crops and
   * the heads run on it. The Haar cascade scans on its own pool of classifiers, so such a scan may
   * overlap a stream's; a YuNet scan shares the stream's pool network and runs on this thread, as in
   * `process`. `frame` must stay alive until the promise settles.
   */
  async processAsync(frame: Mat, colorOrder: ColorOrder = 'bgr'): Promise<FrameResult> {
    this.checkAlive();
    const clock = new StageClock();
    const prepared = new PreparedFrame(frame, colorOrder);
    try {
      const detector = this.detector;
      const bgr = detector.needsColour ? prepared.bgrOrUndefined : undefined;
      clock.lap('convert');
      const found = detector.overlappingScans ? await scanWholeAsync(detector, prepared.gray, bgr, this.config) : this.detect(prepared.gray, bgr);
      // dispose() may have come while the scan ran: the heads are gone then.
      this.checkAlive();
      return this.photoResult(frame, prepared, found, clock);
    } catch (error) {
      prepared.release();
      throw error;
    }
  }

  /** The photo path after its scan: both heads, each face a new confirmed track. */
  private photoResult(frame: Mat, prepared: PreparedFrame, found: { boxes: ScoredBox[]; scale: number }, clock: StageClock): FrameResult {
    const { boxes, scale } = found;
    clock.lap('detect');
    const answers = this.classify(prepared.gray, boxes, clock);
    const tracks = new FaceTracker({ confirmFrames: 1 }).update(boxes).assigned;
    const faces = boxes.map((b, i): FaceResult => {
      const raw = { emotion: answers.emotion?.[i], gender: answers.gender?.[i] };
      return { id: i, trackId: tracks[i]!.id, confirmed: true, box: { x: b.x, y: b.y, width: b.width, height: b.height }, score: b.score, ...raw, raw };
    });
    const timings = clock.finish();
    this.log.debug({ faces: faces.length, width: frame.cols, height: frame.rows, ...roundTimings(timings) }, 'frame processed');
    return { width: frame.cols, height: frame.rows, detectionScale: scale, detection: 'full', faces, droppedTracks: [], timings, prepared };
  }

  /**
   * A stream of frames from one camera or video: detect-and-track (full scans at an interval, in the
   * background, re-detection near each tracked face between them), stable track ids and per-face
   * smoothing. Its `process` must be awaited before the next frame is given.
   */
  stream(): FaceStream {
    this.checkAlive();
    this.detectorFor('video');
    return new FaceStream(this, this.log);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.engine.dispose();
    this.heads.emotion?.dispose();
    this.heads.gender?.dispose();
    for (const d of new Set(Object.values(this.detectors))) d.dispose?.();
  }
}
