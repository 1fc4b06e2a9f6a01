import { cv, type Mat } from '../vision/opencv.js';
import { searchWindow, type Box } from '../vision/crop.js';

/**
 * Holding a face through the frames where its detector misses it (a head turned or tilted, a mouth
 * open, motion blur): each tracked face's picture at its last detection is kept small, and in a
 * frame where re-detection fails it is looked for by template matching near the track's predicted
 * box. Where it matches well enough, the face is carried there, with its last detected size, and
 * reported as carried; a face is carried for a bounded number of frames before its track is let go.
 *
 * Normalised cross-correlation on a 24-pixel-wide picture costs a few hundredths of a millisecond a
 * face, a fraction of a re-detection.
 */

/** Width in pixels the face's picture is kept at (and frames are scaled by to match it). */
const TEMPLATE_WIDTH = 24;
/** The template is the face box's middle, where the face is whatever the background behind it. */
const TEMPLATE_INSET = 0.1;
/** The search reaches this fraction of the face's size beyond its predicted box. */
const SEARCH_MARGIN = 0.5;

/** Share of the carried box that must lie inside the frame. */
const MIN_IN_VIEW = 0.75;

interface Template {
  picture: Mat;
  /** Frame pixels to template pixels. */
  scale: number;
  /** The face box the picture was taken from (its size is the carried box's) and its detector score. */
  box: Box;
  score: number;
}

function insetBox(box: Box): Box {
  const dx = box.width * TEMPLATE_INSET;
  const dy = box.height * TEMPLATE_INSET;
  return { x: box.x + dx, y: box.y + dy, width: box.width - 2 * dx, height: box.height - 2 * dy };
}

/** `box` rounded to whole pixels and clipped to the image; undefined when less than 2 pixels remain on a side. */
function clipped(box: Box, width: number, height: number): Box | undefined {
  const x0 = Math.max(0, Math.round(box.x));
  const y0 = Math.max(0, Math.round(box.y));
  const x1 = Math.min(width, Math.round(box.x + box.width));
  const y1 = Math.min(height, Math.round(box.y + box.height));
  return x1 - x0 >= 2 && y1 - y0 >= 2 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : undefined;
}

/** The region of `gray` scaled by `scale` (INTER_AREA), as a new Mat. */
function scaledRegion(gray: Mat, region: Box, scale: number): Mat {
  const view = gray.getRegion(new cv.Rect(region.x, region.y, region.width, region.height));
  const w = Math.max(1, Math.round(region.width * scale));
  const h = Math.max(1, Math.round(region.height * scale));
  const small = view.resize(h, w, 0, 0, scale < 1 ? cv.INTER_AREA : cv.INTER_LINEAR);
  view.release();
  return small;
}

export class FaceCarrier {
  private readonly templates = new Map<number, Template>();

  /** Keep the picture of a face just detected (replacing the older one). */
  remember(trackId: number, gray: Mat, box: Box, score: number): void {
    const inner = clipped(insetBox(box), gray.cols, gray.rows);
    if (!inner) return;
    const scale = TEMPLATE_WIDTH / inner.width;
    if (Math.round(inner.height * scale) < 4) return;
    this.forget(trackId);
    this.templates.set(trackId, { picture: scaledRegion(gray, inner, scale), scale, box: { x: box.x, y: box.y, width: box.width, height: box.height }, score });
  }

  /**
   * Where the face of `trackId` is in `gray`, looked for around `predicted`, when its picture
   * matches with a normalised correlation of at least `minSimilarity`; undefined otherwise.
   */
  carry(trackId: number, gray: Mat, predicted: Box, minSimilarity: number): { box: Box; score: number; similarity: number } | undefined {
    const template = this.templates.get(trackId);
    if (!template) return undefined;
    const { picture, scale, box } = template;
    // Search around the prediction, with the remembered size (the template's).
    const centred = { x: predicted.x + predicted.width / 2 - box.width / 2, y: predicted.y + predicted.height / 2 - box.height / 2, width: box.width, height: box.height };
    // A face leaving the picture is not carried: what stays in view of its box is background.
    const inView = clipped(centred, gray.cols, gray.rows);
    if (!inView || inView.width * inView.height < MIN_IN_VIEW * centred.width * centred.height) return undefined;
    const region = searchWindow(insetBox(centred), SEARCH_MARGIN, gray.cols, gray.rows);
    if (region.width * scale < picture.cols + 1 || region.height * scale < picture.rows + 1) return undefined;
    const area = scaledRegion(gray, region, scale);
    const response = area.matchTemplate(picture, cv.TM_CCOEFF_NORMED);
    const { maxVal, maxLoc } = response.minMaxLoc();
    response.release();
    area.release();
    if (!(maxVal >= minSimilarity)) return undefined;
    // The inset picture's corner back to the whole face box's, in frame pixels.
    const x = region.x + maxLoc.x / scale - box.width * TEMPLATE_INSET;
    const y = region.y + maxLoc.y / scale - box.height * TEMPLATE_INSET;
    const carried = clipped({ x, y, width: box.width, height: box.height }, gray.cols, gray.rows);
    return carried && { box: carried, score: template.score, similarity: maxVal };
  }

  forget(trackId: number): void {
    this.templates.get(trackId)?.picture.release();
    this.templates.delete(trackId);
  }

  clear(): void {
    for (const id of [...this.templates.keys()]) this.forget(id);
  }
}
