/**
 * Text labels on images (annotated frames, explanation frames): a filled box in the label's colour
 * with black or white text, whichever contrasts with it, so a label reads on any background; sized
 * by the face it belongs to; and laid out so that the labels of neighbouring faces never cover one
 * another. The layout is pure (placeLabels); drawLabels measures, places and draws.
 */
import { cv, type Mat } from './opencv.js';
import { intersectionArea, type Box } from './crop.js';

export type Bgr = [number, number, number];

export interface LabelRequest {
  text: string;
  /** Fill colour (BGR); the text is black or white, whichever contrasts more. */
  color: Bgr;
  /** The face box the label belongs to. */
  anchor: Box;
  /** Where the label goes first: just above or just below the box. */
  side: 'above' | 'below';
  /** Text scale (labelScale of the face). */
  scale: number;
}

/** Text scale that follows the face's width (a 160-pixel face gets 1.0), readable at both ends. */
export function labelScale(faceWidth: number): number {
  return Math.max(0.4, Math.min(1.5, faceWidth / 160));
}

/** Black or white, whichever contrasts more with `color` (by luma, BT.601). */
export function textColorOn(color: Bgr): Bgr {
  const luma = 0.114 * color[0] + 0.587 * color[1] + 0.299 * color[2];
  return luma > 140 ? [0, 0, 0] : [255, 255, 255];
}


/**
 * Rectangles for labels of the given sizes, in order: each goes to the first free place of: its
 * preferred side of its face box, the other side, then further away on either side, one label
 * height at a time; kept inside the frame. A place is free when it overlaps no label placed before.
 * When the frame is too crowded for any free place, the preferred place is used.
 */
export function placeLabels(labels: readonly { anchor: Box; width: number; height: number; side: 'above' | 'below' }[], frameWidth: number, frameHeight: number): Box[] {
  const placed: Box[] = [];
  for (const { anchor, width, height, side } of labels) {
    const x = Math.max(0, Math.min(frameWidth - width, anchor.x));
    const above = anchor.y - height;
    const below = anchor.y + anchor.height;
    const order = side === 'above' ? [above, below] : [below, above];
    const candidates: number[] = [];
    for (let step = 0; step < 12; step++) candidates.push(order[0]! + (side === 'above' ? -step : step) * height, order[1]! + (side === 'above' ? step : -step) * height);
    const inside = candidates.map((y) => Math.max(0, Math.min(frameHeight - height, y)));
    const free = inside.find((y) => !placed.some((p) => intersectionArea(p, { x, y, width, height }) > 0));
    placed.push({ x, y: free ?? inside[0]!, width, height });
  }
  return placed;
}

const FONT = cv.FONT_HERSHEY_SIMPLEX;
const thicknessOf = (scale: number): number => Math.max(1, Math.round(scale * 2));

/** Draw labels on `mat` (8-bit BGR) in place; returns where they went. */
export function drawLabels(mat: Mat, requests: readonly LabelRequest[]): Box[] {
  const measured = requests.map((r) => {
    const { size, baseLine } = cv.getTextSize(r.text, FONT, r.scale, thicknessOf(r.scale));
    const pad = Math.max(2, Math.round(3 * r.scale));
    return { ...r, pad, baseLine, textWidth: size.width, textHeight: size.height, width: size.width + 2 * pad, height: size.height + baseLine + 2 * pad };
  });
  const rects = placeLabels(measured, mat.cols, mat.rows);
  measured.forEach((m, i) => {
    const rect = rects[i]!;
    mat.drawRectangle(new cv.Point2(rect.x, rect.y), new cv.Point2(rect.x + rect.width - 1, rect.y + rect.height - 1), new cv.Vec3(...m.color), cv.FILLED, cv.LINE_8);
    mat.putText(m.text, new cv.Point2(rect.x + m.pad, rect.y + m.pad + m.textHeight), FONT, m.scale, new cv.Vec3(...textColorOn(m.color)), thicknessOf(m.scale), cv.LINE_AA);
  });
  return rects;
}
