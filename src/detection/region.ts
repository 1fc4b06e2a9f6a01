import { cv, type Mat } from '../vision/opencv.js';
import { iou, searchWindow, type Box } from '../vision/crop.js';
import type { Config } from '../config/schema.js';
import type { Detection, FaceDetector } from './detector.js';
import type { ScoredBox } from './frame_scan.js';

/**
 * Re-detection of a known face near where it is expected: the detector runs on a window around the
 * predicted box, at the scales near its size only. With the cascade's own scale factor and
 * neighbour count, the windows it tries there are the ones a full scan tries, so it finds the same
 * face with nearly the same box, at a small fraction of a full scan's cost.
 */

/** Face sizes searched for: the predicted size divided and multiplied by `range`. */
export function sizeRange(predicted: Box, range: number): { minSize: number; maxSize: number } {
  const size = Math.max(predicted.width, predicted.height);
  return { minSize: Math.max(1, Math.floor(size / range)), maxSize: Math.ceil(size * range) };
}

/** Where and at which sizes to look for a face expected at `predicted`; undefined when there is no room. */
function regionQuery(gray: Mat, predicted: Box, config: Config): { window: Box; rect: InstanceType<typeof cv.Rect>; limits: { minSize: number; maxSize: number } } | undefined {
  const window = searchWindow(predicted, config['tracking.search_margin'], gray.cols, gray.rows);
  if (window.width < 8 || window.height < 8) return undefined;
  const limits = sizeRange(predicted, config['tracking.search_scale_range']);
  const minSide = config['detector.min_face_size'];
  const maxSide = config['detector.max_face_size'];
  if (minSide > 0) limits.minSize = Math.max(limits.minSize, minSide);
  if (maxSide > 0) limits.maxSize = Math.min(limits.maxSize, maxSide);
  if (limits.minSize > limits.maxSize) return undefined;
  return { window, rect: new cv.Rect(window.x, window.y, window.width, window.height), limits };
}

/** Of the candidates found in the window, the one that overlaps the prediction most, in frame pixels. */
function closest(found: readonly Detection[], window: Box, predicted: Box): ScoredBox | undefined {
  let best: ScoredBox | undefined;
  let bestOverlap = -1;
  for (const d of found) {
    const box = { x: d.x + window.x, y: d.y + window.y, width: d.width, height: d.height, score: d.score };
    const overlap = iou(box, predicted);
    if (overlap > bestOverlap) [best, bestOverlap] = [box, overlap];
  }
  return best;
}

/**
 * The face near `predicted` in this frame, in frame pixels, or undefined when the detector finds
 * none there. Of several candidates the one that overlaps the prediction most is taken.
 */
export function detectNear(detector: FaceDetector, gray: Mat, bgr: Mat | undefined, predicted: Box, config: Config): ScoredBox | undefined {
  const query = regionQuery(gray, predicted, config);
  if (!query) return undefined;
  const [grayView, bgrView] = [gray.getRegion(query.rect), bgr?.getRegion(query.rect)];
  const found = detector.detect(grayView, bgrView, config, query.limits, 'window');
  // Views share the frame's pixels and keep them alive until collected: free them now.
  grayView.release();
  bgrView?.release();
  return closest(found, query.window, predicted);
}

/** The same on the thread pool (where the detector has an asynchronous variant): several faces are searched for at once. */
export async function detectNearAsync(detector: FaceDetector, gray: Mat, bgr: Mat | undefined, predicted: Box, config: Config): Promise<ScoredBox | undefined> {
  if (!detector.detectAsync) return detectNear(detector, gray, bgr, predicted, config);
  const query = regionQuery(gray, predicted, config);
  if (!query) return undefined;
  const [grayView, bgrView] = [gray.getRegion(query.rect), bgr?.getRegion(query.rect)];
  const found = await detector.detectAsync(grayView, bgrView, config, query.limits, 'window');
  grayView.release();
  bgrView?.release();
  return closest(found, query.window, predicted);
}

/** Every predicted face searched for at once: one batched call where the detector has one, else each on the thread pool. */
export async function detectNearAllAsync(detector: FaceDetector, gray: Mat, bgr: Mat | undefined, predicted: readonly Box[], config: Config): Promise<(ScoredBox | undefined)[]> {
  if (!detector.detectWindowsAsync) return Promise.all(predicted.map((p) => detectNearAsync(detector, gray, bgr, p, config)));
  const queries = predicted.map((p) => regionQuery(gray, p, config));
  const asked = queries.flatMap((q, i) => (q ? [{ q, i }] : []));
  const views = asked.map(({ q }) => ({ gray: gray.getRegion(q.rect), bgr: bgr?.getRegion(q.rect), limits: q.limits }));
  let found: Detection[][];
  try {
    found = await detector.detectWindowsAsync(views, config);
  } finally {
    for (const v of views) {
      v.gray.release();
      v.bgr?.release();
    }
  }
  const answers: (ScoredBox | undefined)[] = predicted.map(() => undefined);
  asked.forEach(({ q, i }, k) => {
    answers[i] = closest(found[k]!, q.window, predicted[i]!);
  });
  return answers;
}
