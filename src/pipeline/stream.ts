import type { Mat } from '../vision/opencv.js';
import type { ColorOrder } from '../vision/image.js';
import { iou, searchWindow, type Box } from '../vision/crop.js';
import type { Logger } from '../log.js';
import type { Classification, ClassifierHead, HeadTask } from '../models/classifier.js';
import type { Config } from '../config/schema.js';
import type { FaceDetector } from '../detection/detector.js';
import { releaseScaled, scanInput, scanPlannedAsync, scanWholeAsync, type ScoredBox } from '../detection/frame_scan.js';
import { ChangeMap, type PlannedScan, type ScanPlan } from '../detection/change_map.js';
import { detectNear, detectNearAllAsync } from '../detection/region.js';
import { FaceTracker, predictBox, type Track } from '../tracking/tracker.js';
import { FaceCarrier } from '../tracking/carry.js';
import { SceneCutDetector } from '../tracking/scene_cut.js';
import { ScoreSmoother, type SmoothingMethod } from '../tracking/smoothing.js';
import { PreparedFrame } from './prepared_frame.js';
import { StageClock, roundTimings } from './timing.js';
import type { FaceResult, FrameResult } from './results.js';
import { FaceClassificationError } from '../errors.js';

/** What a stream uses of its pipeline (FacePipeline): settings, the video detector and the heads. */
export interface StreamPipeline {
  readonly config: Config;
  readonly videoDetector: FaceDetector;
  readonly heads: Partial<Record<HeadTask, ClassifierHead>>;
  classify(gray: Mat, boxes: readonly Box[], clock: StageClock, detector?: FaceDetector): Partial<Record<HeadTask, Classification[]>>;
}

/** A full-frame scan running on the thread pool, started at frame `started`. */
interface BackgroundScan {
  started: number;
  done: boolean;
  /** The faces re-detected in the frame the scan sees: what the scan's answer is compared with. */
  known: ScoredBox[];
  /** The faces carried (not detected) in that frame, by track id: a whole scan that does not find one ends it. */
  carried: Map<number, ScoredBox>;
  /** The faces found, with what the scan covered (FrameResult.backgroundScan). */
  result: Promise<{ boxes: ScoredBox[]; scale: number; coverage: NonNullable<FrameResult['backgroundScan']> } | undefined>;
}

/** Above this overlap two boxes are one face (duplicates from neighbouring tracks' windows). */
const SAME_FACE_IOU = 0.5;
/** A scan's face that overlaps a known one less than this is a face re-detection does not have. */
const NEW_FACE_IOU = 0.3;
/**
 * Scans of changed regions: faces from this size up (detector pixels, 4 cascade windows) are searched
 * for over the whole frame, which costs a tenth of a whole scan at 640x480 (measured: the costly
 * scales are the small ones); faces up to 1.7 times that inside the regions, so that every face is
 * whole in one of the two bands.
 */
const LARGE_FACE = 96;
const SMALL_FACE_UP_TO = Math.round(LARGE_FACE * 1.7);
/**
 * A tracked face's blocks, left to re-detection, reach this fraction of its size beyond its box (its
 * head moves with it). A neighbour whose centre falls in them (touching faces) waits for a whole scan.
 */
const TRACKED_MARGIN = 0.5;

/**
 * Detect-and-track over the frames of one camera or video.
 *
 * The first frame gets a full scan. After that a full scan starts every `tracking.scan_interval`
 * frames on the libuv pool (it overlaps this and the next frames' work on the main thread), and on
 * every frame each tracked face is re-detected in a window around its predicted box. When a scan
 * completes, the faces it found that no re-detection did (new faces, or faces a window lost) join
 * the frame. A scan is never older than `tracking.max_scan_lag` frames: past that the stream waits
 * for it. A background scan searches for small faces only where the picture changed (ChangeMap),
 * and every `tracking.whole_scan_every`-th one covers the whole frame. So a face that appears (its
 * picture changes), and every face of LARGE_FACE pixels or more, is reported within scan_interval +
 * max_scan_lag frames; any other face the full scan finds (one that was there, unfound, in a still
 * picture; one touching a tracked face) within scan_interval * whole_scan_every + max_scan_lag.
 * Detectors whose scans cost the same whatever part of the frame they cover (YuNet) scan
 * the whole frame each time. A face re-detection misses is carried by its picture for up to
 * tracking.hold_frames frames (reported `carried`), and a cut (tracking.cut_threshold) ends every
 * track and scans the whole frame at once.
 */
export class FaceStream {
  private readonly tracker = new FaceTracker();
  private readonly smoothers = new Map<number, Partial<Record<HeadTask, ScoreSmoother>>>();
  private frameIndex = 0;
  private lastScanStart = -Infinity;
  private lastScale = 1;
  private background: BackgroundScan | undefined;
  private readonly changes = new ChangeMap();
  private scansSinceWhole = 0;
  private readonly carrier = new FaceCarrier();
  private readonly cuts = new SceneCutDetector();
  /** Consecutive frames each track was carried; tracks a whole scan contradicted are not carried again. */
  private readonly held = new Map<number, number>();
  private readonly contradicted = new Set<number>();
  private disposed = false;
  /** The forms made of the last frame (its result's `prepared`): the stream owns them and frees them at the next frame. */
  private lastPrepared: PreparedFrame | undefined;
  /** A background scan a cut dropped, still running. */
  private abandoned: Promise<void> | undefined;

  constructor(
    private readonly pipeline: StreamPipeline,
    private readonly log: Logger,
  ) {}

  /** The live tracks (for outputs that list them, e.g. /humans/faces/tracked). */
  get tracks(): readonly Track[] {
    return this.tracker.active;
  }

  /**
   * The faces of the next frame. `frame` stays the caller's; the result's `prepared` forms (gray,
   * BGR) belong to the stream and stay valid until the next call (or dispose()): copy what must live
   * longer.
   */
  async process(frame: Mat, colorOrder: ColorOrder = 'bgr'): Promise<FrameResult> {
    if (this.disposed) throw new FaceClassificationError('FaceStream.process() called after dispose(): create a new stream');
    const config = this.pipeline.config;
    this.syncTrackerOptions();
    const clock = new StageClock();
    // The last frame's gray and BGR forms are freed now, so that a caller's plain loop stays flat
    // without knowing about native buffers (the binding does not tell V8 a Mat's size, so garbage
    // collection alone let RSS grow by a frame's size a frame).
    this.lastPrepared?.release();
    const prepared = new PreparedFrame(frame, colorOrder);
    this.lastPrepared = prepared;
    const detector = this.pipeline.videoDetector;
    const gray = prepared.gray;
    const bgr = detector.needsColour ? prepared.bgrOrUndefined : undefined;
    clock.lap('convert');

    const interval = config['tracking.scan_interval'];
    // A cut (most of the picture changed at once): the tracks describe another picture. End them all
    // and scan the whole frame now, rather than let a track jump to whoever stands where it was.
    const cut = this.frameIndex > 0 && this.cuts.isCut(gray, config['tracking.cut_threshold']);
    if (this.frameIndex === 0) this.cuts.isCut(gray, 0);
    const endedByCut = cut ? this.restart() : [];
    let boxes: ScoredBox[];
    const carriedNow = new Map<ScoredBox, number>();
    let detection: FrameResult['detection'] = 'tracked';
    let backgroundScan: FrameResult['backgroundScan'];
    if (!detector.searchesRegions || interval <= 1 || this.frameIndex === 0 || cut) {
      // On the pool, as background scans run (one network, one classifier pool), once any scan
      // still in flight (dropped by a cut) is done with it.
      await this.background?.result;
      await this.abandoned;
      const scan = await scanWholeAsync(detector, gray, bgr, config);
      boxes = scan.boxes;
      this.lastScale = scan.scale;
      this.lastScanStart = this.frameIndex;
      detection = 'full';
    } else {
      if (!this.background && this.frameIndex - this.lastScanStart >= interval) this.startBackgroundScan(gray, bgr);
      boxes = this.holdMissed(await this.redetectTracks(gray, bgr), gray, carriedNow);
      const scan = this.background;
      if (scan?.started === this.frameIndex) {
        scan.known = [...boxes];
        for (const [box, trackId] of carriedNow) scan.carried.set(trackId, box);
      }
      if (scan && (scan.done || this.frameIndex - scan.started >= config['tracking.max_scan_lag'])) {
        this.background = undefined;
        const found = await scan.result;
        if (found) {
          backgroundScan = found.coverage;
          this.lastScale = found.scale;
          if (found.coverage.kind === 'whole') boxes = this.dropContradicted(boxes, carriedNow, scan.carried, found.boxes);
          boxes = this.mergeScan(boxes, scan.known, found.boxes, gray, bgr);
        }
      }
    }
    boxes.sort((a, b) => a.x - b.x || a.y - b.y);
    const update = this.tracker.update(boxes);
    this.rememberFaces(gray, boxes, update.assigned, carriedNow);
    clock.lap('detect');

    const answers = this.pipeline.classify(gray, boxes, clock, detector);
    const faces = boxes.map((b, i): FaceResult => {
      const track = update.assigned[i]!;
      const raw = { emotion: answers.emotion?.[i], gender: answers.gender?.[i] };
      return {
        id: i,
        trackId: track.id,
        confirmed: track.confirmed,
        box: { x: b.x, y: b.y, width: b.width, height: b.height },
        score: b.score,
        ...(carriedNow.has(b) ? { carried: true } : {}),
        emotion: raw.emotion && this.smooth(track.id, 'emotion', raw.emotion),
        gender: raw.gender && this.smooth(track.id, 'gender', raw.gender),
        raw,
      };
    });
    for (const track of update.dropped) this.forgetTrack(track.id);
    const dropped = [...endedByCut, ...update.dropped];
    this.frameIndex++;
    const timings = clock.finish();
    if (cut) this.log.info({ frame: this.frameIndex, endedTracks: endedByCut.length }, 'scene cut: tracks ended, whole frame scanned');
    if (this.log.isLevelEnabled('debug')) this.log.debug({ frame: this.frameIndex, faces: faces.length, carried: carriedNow.size, detection, tracks: this.tracker.active.length, ...roundTimings(timings) }, 'frame processed');
    return { width: frame.cols, height: frame.rows, detectionScale: this.lastScale, detection, ...(backgroundScan ? { backgroundScan } : {}), faces, droppedTracks: dropped.map((t) => t.id), timings, prepared };
  }

  /** Stop: forget the tracks; a background scan still running finishes on its own and is ignored. */
  dispose(): void {
    this.disposed = true;
    this.lastPrepared?.release();
    this.lastPrepared = undefined;
    this.restart();
    this.cuts.reset();
  }

  /** End every track and forget what was known of the picture (a cut; dispose); returns the ended tracks. */
  private restart(): Track[] {
    // A scan in flight finishes on its own; the next whole scan waits for it.
    if (this.background) this.abandoned = this.background.result.then(() => undefined);
    this.background = undefined;
    this.changes.reset();
    this.smoothers.clear();
    this.carrier.clear();
    this.held.clear();
    this.contradicted.clear();
    return this.tracker.reset();
  }

  private forgetTrack(trackId: number): void {
    this.smoothers.delete(trackId);
    this.carrier.forget(trackId);
    this.held.delete(trackId);
    this.contradicted.delete(trackId);
  }

  /**
   * Tracks re-detection missed this frame, carried by their picture (FaceCarrier) for at most
   * tracking.hold_frames frames in a row; the boxes carried are recorded in `carried` with their tracks.
   */
  private holdMissed(redetected: readonly { track: Track; box: ScoredBox | undefined; duplicate: boolean }[], gray: Mat, carried: Map<ScoredBox, number>): ScoredBox[] {
    const config = this.pipeline.config;
    const boxes = redetected.flatMap((r) => (r.box ? [r.box] : []));
    const limit = config['tracking.hold_frames'];
    for (const { track, box, duplicate } of redetected) {
      if (box || duplicate || limit === 0 || this.contradicted.has(track.id) || (this.held.get(track.id) ?? 0) >= limit) continue;
      const found = this.carrier.carry(track.id, gray, predictBox(track), config['tracking.hold_similarity']);
      if (!found || boxes.some((b) => iou(b, found.box) > SAME_FACE_IOU)) continue;
      const held: ScoredBox = { ...found.box, score: found.score };
      boxes.push(held);
      carried.set(held, track.id);
    }
    return boxes;
  }

  /**
   * A whole scan of a frame in which some faces were carried: those it does not find there were
   * carried onto something that is not a face (the person left, turned away, was covered). They end
   * now, and are not carried again.
   */
  private dropContradicted(boxes: ScoredBox[], carriedNow: Map<ScoredBox, number>, carriedThen: ReadonlyMap<number, ScoredBox>, scanned: readonly ScoredBox[]): ScoredBox[] {
    const ended = new Set<number>();
    for (const [trackId, box] of carriedThen) if (scanned.every((s) => iou(s, box) <= NEW_FACE_IOU)) ended.add(trackId);
    for (const id of ended) this.contradicted.add(id);
    return boxes.filter((b) => !ended.has(carriedNow.get(b) ?? -1));
  }

  /** Detected faces' pictures are kept for carrying them later; carried ones count their frames. */
  private rememberFaces(gray: Mat, boxes: readonly ScoredBox[], tracks: readonly Track[], carriedNow: ReadonlyMap<ScoredBox, number>): void {
    if (this.pipeline.config['tracking.hold_frames'] === 0) return;
    boxes.forEach((box, i) => {
      const track = tracks[i]!;
      if (carriedNow.has(box)) {
        this.held.set(track.id, (this.held.get(track.id) ?? 0) + 1);
      } else {
        this.held.delete(track.id);
        this.contradicted.delete(track.id);
        this.carrier.remember(track.id, gray, box, box.score);
      }
    });
  }

  private startBackgroundScan(frameGray: Mat, frameBgr: Mat | undefined): void {
    const config = this.pipeline.config;
    const scan: BackgroundScan = { started: this.frameIndex, done: false, known: [], carried: new Map(), result: Promise.resolve(undefined) };
    // The scan outlives this frame, whose Mats its caller frees when the frame is done: it scans copies it owns.
    const gray = frameGray.copy();
    const bgr = frameBgr?.copy();
    const input = scanInput(gray, bgr, config);
    const whole = ++this.scansSinceWhole >= config['tracking.whole_scan_every'];
    // A detector whose scans cost the same whatever they cover (YuNet) always scans the whole frame:
    // no change map to plan or keep.
    const planned = this.pipeline.videoDetector.searchesChangedRegions
      ? this.changes.plan(input.gray, this.trackedRegions(input.scale, gray.cols, gray.rows), {
          threshold: config['tracking.change_threshold'],
          largeFrom: LARGE_FACE,
          smallUpTo: SMALL_FACE_UP_TO,
          forceWhole: whole,
        })
      : undefined;
    const plan: ScanPlan = planned?.plan ?? { kind: 'whole' };
    if (plan.kind === 'whole') this.scansSinceWhole = 0;
    const coverage: FrameResult['backgroundScan'] = plan.kind === 'whole' ? { kind: 'whole', share: 1 } : { kind: 'changed', share: plan.share };
    const free = (): void => {
      scan.done = true;
      releaseScaled(input, gray, bgr);
      gray.release();
      bgr?.release();
    };
    const frame = { cols: gray.cols, rows: gray.rows };
    scan.result = scanPlannedAsync(this.pipeline.videoDetector, input, plan, frame, config).then(
      (boxes) => {
        if (planned) this.recordScan(planned, boxes, input.scale);
        free();
        return { boxes, scale: input.scale, coverage };
      },
      (error: unknown) => {
        // A failed scan costs one scan's new faces, not the stream: log it and go on tracking.
        free();
        this.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'background face scan failed');
        return undefined;
      },
    );
    this.background = scan;
    this.lastScanStart = this.frameIndex;
  }

  /** A completed scan is what the change map compares later frames with (not after dispose: a new sequence starts afresh). */
  private recordScan(planned: PlannedScan, found: readonly ScoredBox[], scale: number): void {
    if (!this.disposed) this.changes.record(planned, found.map((b) => scaleBox(b, scale)));
  }

  /** The tracked faces' predicted boxes, grown by TRACKED_MARGIN (as re-detection's windows are grown), in detector pixels. */
  private trackedRegions(scale: number, width: number, height: number): Box[] {
    return this.tracker.active.map((track) => scaleBox(searchWindow(predictBox(track), TRACKED_MARGIN, width, height), scale));
  }

  /**
   * Each live track searched for near its predicted box, all at once on the thread pool (both cores
   * work, and the event loop and rclnodejs's executor are free meanwhile); one box per face, older
   * tracks first where two windows find the same.
   */
  private async redetectTracks(gray: Mat, bgr: Mat | undefined): Promise<{ track: Track; box: ScoredBox | undefined; duplicate: boolean }[]> {
    const byAge = [...this.tracker.active].sort((a, b) => b.hits - a.hits);
    const config = this.pipeline.config;
    const boxes = await detectNearAllAsync(this.pipeline.videoDetector, gray, bgr, byAge.map((track) => clampBox(predictBox(track), gray.cols, gray.rows)), config);
    const found: ScoredBox[] = [];
    return byAge.map((track, i) => {
      const box = boxes[i];
      // Two tracks on one face: the older keeps it, the younger is neither detected nor carried.
      const duplicate = box !== undefined && found.some((f) => iou(f, box) > SAME_FACE_IOU);
      if (box && !duplicate) found.push(box);
      return { track, box: duplicate ? undefined : box, duplicate };
    });
  }

  /**
   * Add the faces of a completed scan (of a frame up to max_scan_lag frames ago) that re-detection
   * did not know of in that same frame (`known`): new faces, or faces a window lost. Each is searched
   * for near where the scan saw it, so that its box is this frame's; where that fails the scan's own
   * box is used (it is at most max_scan_lag frames old).
   */
  private mergeScan(current: ScoredBox[], known: readonly ScoredBox[], scanned: readonly ScoredBox[], gray: Mat, bgr: Mat | undefined): ScoredBox[] {
    const merged = [...current];
    for (const box of scanned) {
      if (known.some((k) => iou(k, box) > NEW_FACE_IOU)) continue;
      const here = detectNear(this.pipeline.videoDetector, gray, bgr, box, this.pipeline.config) ?? box;
      if (merged.every((m) => iou(m, here) <= NEW_FACE_IOU)) merged.push(here);
    }
    return merged;
  }

  private smooth(trackId: number, task: HeadTask, raw: Classification): Classification {
    const config = this.pipeline.config;
    const method = config['smoothing.method'] as SmoothingMethod;
    if (method === 'none') return raw;
    let perHead = this.smoothers.get(trackId);
    if (!perHead) this.smoothers.set(trackId, (perHead = {}));
    const smoother = (perHead[task] ??= new ScoreSmoother(this.pipeline.heads[task]?.labels ?? []));
    return smoother.add(raw, { method, alpha: config['smoothing.alpha'], window: config['smoothing.window'] });
  }

  /** Tracking settings may change at run time (ROS parameters): read them at every frame. */
  private syncTrackerOptions(): void {
    const c = this.pipeline.config;
    Object.assign(this.tracker.options, { confirmFrames: c['tracking.confirm_frames'], maxMissed: c['tracking.max_missed'], minIou: c['tracking.min_iou'] });
  }
}

function clampBox(box: Box, width: number, height: number): Box {
  const x = Math.max(0, Math.min(width - 1, box.x));
  const y = Math.max(0, Math.min(height - 1, box.y));
  return { x, y, width: Math.max(1, Math.min(width - x, box.width)), height: Math.max(1, Math.min(height - y, box.height)) };
}

function scaleBox(box: Box, scale: number): Box {
  return { x: box.x * scale, y: box.y * scale, width: box.width * scale, height: box.height * scale };
}
