import type { Mat } from '../vision/opencv.js';
import type { Box } from '../vision/crop.js';
import type { Config } from '../config/schema.js';

/** A face found by a detector, in the pixels of the image the detector was given. */
export interface Detection extends Box {
  /** Detector confidence: YuNet's score in [0, 1]; Haar's count of merged neighbour detections. */
  score: number;
  /** YuNet only: right eye, left eye, nose tip, right and left mouth corner (OpenCV's order), as [x, y]. */
  landmarks?: [number, number][];
}

export interface DetectionLimits {
  /** Smallest and largest face side in the detector's pixels (0: no limit). */
  minSize: number;
  maxSize: number;
}

/** What a scan covers: a whole frame (the default), or a window around a known face (re-detection). */
export type ScanExtent = 'frame' | 'window';

/** Finds faces in one 8-bit image. Detectors read their tunable settings from the config at each call. */
export interface FaceDetector {
  readonly name: 'haar' | 'yunet';
  /** Whether `detect` reads the colour image (YuNet): a frame's BGR form is made only for such a detector. */
  readonly needsColour: boolean;
  /**
   * Whether whole-frame `detectAsync` calls may overlap one another (Haar: a pool of classifiers).
   * Where not (YuNet: one pool network, a stream's), a photo's scan runs on the calling thread.
   */
  readonly overlappingScans: boolean;
  /** `gray` is the 8-bit gray image; `bgr` is the colour image when there is one (YuNet needs colour). */
  detect(gray: Mat, bgr: Mat | undefined, config: Config, limits: DetectionLimits, extent?: ScanExtent): Detection[];
  /**
   * The same on the libuv thread pool, so that a full scan overlaps the main thread's work. It may
   * run while `detect` runs on the main thread: implementations keep separate native state for it.
   */
  detectAsync?(gray: Mat, bgr: Mat | undefined, config: Config, limits: DetectionLimits, extent?: ScanExtent): Promise<Detection[]>;
  /**
   * Several re-detection windows in one call on the thread pool, where the detector batches them
   * (YuNet: one network batch); the answers in the order given.
   */
  detectWindowsAsync?(windows: readonly { gray: Mat; bgr: Mat | undefined; limits: DetectionLimits }[], config: Config): Promise<Detection[][]>;
  /**
   * The box the classifier heads take their crops around, for a box of this detector: the heads were
   * trained on Haar-like boxes (square, brow to chin), so a detector whose boxes differ maps them
   * (YuNet's are taller than wide). Absent: the box itself.
   */
  headBox?(box: Box): Box;
  /** Whether re-detecting a known face in a small window is much cheaper than a full scan. */
  readonly searchesRegions: boolean;
  /**
   * Whether a scan of part of a frame costs less in proportion to the part (Haar: its cost is the
   * windows it tries). Where not (YuNet: the network's input size sets the cost), background scans
   * cover the whole frame and the change map is not used.
   */
  readonly searchesChangedRegions: boolean;
  dispose?(): void;
}
