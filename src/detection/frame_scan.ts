import { cv, type Mat } from '../vision/opencv.js';
import type { Box } from '../vision/crop.js';
import type { Config } from '../config/schema.js';
import type { Detection, DetectionLimits, FaceDetector } from './detector.js';
import { mergeNestedBoxes } from './merge_nested.js';

/** A face box in frame pixels with its detector score. */
export type ScoredBox = Box & { score: number };

/** What a full-frame scan is run on: the frame scaled by detector.scale (and detector.max_side). */
export interface ScanInput {
  gray: Mat;
  bgr: Mat | undefined;
  /** Factor from frame to detector pixels (1 when not scaled). */
  scale: number;
  limits: DetectionLimits;
}

export function scanInput(gray: Mat, bgr: Mat | undefined, config: Config): ScanInput {
  const longest = Math.max(gray.cols, gray.rows);
  const maxSide = config['detector.max_side'];
  const scale = Math.min(config['detector.scale'], maxSide > 0 ? maxSide / longest : 1);
  const rows = Math.max(1, Math.round(gray.rows * scale));
  const cols = Math.max(1, Math.round(gray.cols * scale));
  const small = scale < 1 ? gray.resize(rows, cols, 0, 0, cv.INTER_AREA) : gray;
  const smallBgr = bgr && scale < 1 ? bgr.resize(rows, cols, 0, 0, cv.INTER_AREA) : bgr;
  const limits = { minSize: Math.round(config['detector.min_face_size'] * scale), maxSize: Math.round(config['detector.max_face_size'] * scale) };
  return { gray: small, bgr: smallBgr, scale, limits };
}

/** Free the scaled copies a scan made (never the frame's own Mats). */
function releaseScaled(input: ScanInput, gray: Mat, bgr: Mat | undefined): void {
  if (input.gray !== gray) input.gray.release();
  if (input.bgr && input.bgr !== bgr) input.bgr.release();
}

/** Detector boxes back in frame pixels, clipped, filtered by the face-size limits, left to right. */
export function toFrameBoxes(found: readonly Detection[], scale: number, width: number, height: number, config: Config): ScoredBox[] {
  const f = scale < 1 ? 1 / scale : 1;
  const minSide = config['detector.min_face_size'];
  const maxSide = config['detector.max_face_size'];
  const boxes = found
    .map((d) => {
      const x = Math.max(0, Math.round(d.x * f));
      const y = Math.max(0, Math.round(d.y * f));
      return { x, y, width: Math.min(width - x, Math.round(d.width * f)), height: Math.min(height - y, Math.round(d.height * f)), score: d.score };
    })
    .filter((b) => b.width > 0 && b.height > 0)
    .filter((b) => (minSide === 0 || Math.max(b.width, b.height) >= minSide) && (maxSide === 0 || Math.min(b.width, b.height) <= maxSide));
  // Two nested boxes on one face become one (the detector's own grouping leaves them).
  return mergeNestedBoxes(boxes).sort((a, b) => a.x - b.x || a.y - b.y);
}

/** Every face of the frame (the paper's full scan), on the calling thread. */
export function scanFrame(detector: FaceDetector, gray: Mat, bgr: Mat | undefined, config: Config): { boxes: ScoredBox[]; scale: number } {
  const input = scanInput(gray, bgr, config);
  const found = detector.detect(input.gray, input.bgr, config, input.limits);
  releaseScaled(input, gray, bgr);
  return { boxes: toFrameBoxes(found, input.scale, gray.cols, gray.rows, config), scale: input.scale };
}

/**
 * The same scan on the libuv pool, so that it overlaps the main thread's work; detectors without an
 * asynchronous variant run it on the calling thread.
 */
export async function scanFrameAsync(detector: FaceDetector, gray: Mat, bgr: Mat | undefined, config: Config): Promise<{ boxes: ScoredBox[]; scale: number }> {
  if (!detector.detectAsync) return scanFrame(detector, gray, bgr, config);
  const input = scanInput(gray, bgr, config);
  let found: Detection[];
  try {
    found = await detector.detectAsync(input.gray, input.bgr, config, input.limits, 'frame');
  } finally {
    // Also when the scan fails (the caller logs it): the scaled copies are this function's.
    releaseScaled(input, gray, bgr);
  }
  return { boxes: toFrameBoxes(found, input.scale, gray.cols, gray.rows, config), scale: input.scale };
}
