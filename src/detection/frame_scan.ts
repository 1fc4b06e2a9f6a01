import { cv, type Mat } from '../vision/opencv.js';
import { iou, type Box } from '../vision/crop.js';
import type { Config } from '../config/schema.js';
import type { Detection, DetectionLimits, FaceDetector } from './detector.js';
import { mergeNestedBoxes } from './merge_nested.js';
import type { ScanPlan } from './change_map.js';

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
export function releaseScaled(input: ScanInput, gray: Mat, bgr: Mat | undefined): void {
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
  const found = detector.detect(input.gray, input.bgr, config, input.limits, 'frame');
  releaseScaled(input, gray, bgr);
  return { boxes: toFrameBoxes(found, input.scale, gray.cols, gray.rows, config), scale: input.scale };
}

/** The same as scanFrame, on the thread pool where the detector can. */
export async function scanWholeAsync(detector: FaceDetector, gray: Mat, bgr: Mat | undefined, config: Config): Promise<{ boxes: ScoredBox[]; scale: number }> {
  const input = scanInput(gray, bgr, config);
  try {
    const found = await detectOnPool(detector, input.gray, input.bgr, config, input.limits);
    return { boxes: toFrameBoxes(found, input.scale, gray.cols, gray.rows, config), scale: input.scale };
  } finally {
    releaseScaled(input, gray, bgr);
  }
}

/** One detector call on the thread pool where the detector can, else on this thread. */
async function detectOnPool(detector: FaceDetector, gray: Mat, bgr: Mat | undefined, config: Config, limits: DetectionLimits): Promise<Detection[]> {
  return detector.detectAsync ? detector.detectAsync(gray, bgr, config, limits, 'frame') : detector.detect(gray, bgr, config, limits, 'frame');
}

/**
 * A background scan as a ChangeMap planned it, on an input made by `scanInput`, boxes in frame
 * pixels. A 'changed' plan searches for large faces over the whole input and for small ones inside
 * the changed regions; the two size bands overlap, so that every face is whole (all the scales its
 * grouping needs) in one of them, and where both find a face the band it is whole in is kept.
 */
export async function scanPlannedAsync(detector: FaceDetector, input: ScanInput, plan: ScanPlan, frame: { cols: number; rows: number }, config: Config): Promise<ScoredBox[]> {
  if (plan.kind === 'whole') {
    const found = await detectOnPool(detector, input.gray, input.bgr, config, input.limits);
    return toFrameBoxes(found, input.scale, frame.cols, frame.rows, config);
  }
  const { minSize, maxSize } = input.limits;
  const large: Detection[] = [];
  if (maxSize === 0 || maxSize >= plan.largeFrom) large.push(...(await detectOnPool(detector, input.gray, input.bgr, config, { minSize: Math.max(minSize, plan.largeFrom), maxSize })));
  const small: Detection[] = [];
  const smallMax = maxSize === 0 ? plan.smallUpTo : Math.min(maxSize, plan.smallUpTo);
  if (smallMax >= minSize) {
    for (const region of plan.regions) {
      const rect = new cv.Rect(region.x, region.y, region.width, region.height);
      const [grayView, bgrView] = [input.gray.getRegion(rect), input.bgr?.getRegion(rect)];
      try {
        const found = await detectOnPool(detector, grayView, bgrView, config, { minSize, maxSize: smallMax });
        small.push(...found.map((d) => ({ ...d, x: d.x + region.x, y: d.y + region.y })));
      } finally {
        grayView.release();
        bgrView?.release();
      }
    }
  }
  return toFrameBoxes(joinBands(large, small, Math.sqrt(plan.largeFrom * plan.smallUpTo)), input.scale, frame.cols, frame.rows, config);
}

/** Faces of both bands, one box each: a face at least `middle` wide is taken from the large band, a smaller one from the small band. */
export function joinBands(large: readonly Detection[], small: readonly Detection[], middle: number): Detection[] {
  const size = (d: Detection): number => Math.max(d.width, d.height);
  const kept = [...large.filter((d) => size(d) >= middle), ...small.filter((d) => size(d) < middle)];
  const rest = [...large.filter((d) => size(d) < middle), ...small.filter((d) => size(d) >= middle)];
  for (const d of rest) if (kept.every((k) => iou(k, d) <= 0.3)) kept.push(d);
  return kept;
}
