import { cv, type Mat } from './opencv.js';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type OffsetUnit = 'pixels' | 'fraction';

/**
 * Grow a face box by (x, y) on each side, as the authors' `apply_offsets` does, then clip it to the
 * frame. With unit `fraction` the offsets are fractions of the box's width and height.
 */
export function expandBox(box: Box, offsets: readonly number[], unit: OffsetUnit, frameWidth: number, frameHeight: number): Box {
  const dx = unit === 'fraction' ? Math.round(offsets[0]! * box.width) : Math.round(offsets[0]!);
  const dy = unit === 'fraction' ? Math.round(offsets[1]! * box.height) : Math.round(offsets[1]!);
  const x0 = Math.max(0, box.x - dx);
  const y0 = Math.max(0, box.y - dy);
  const x1 = Math.min(frameWidth, box.x + box.width + dx);
  const y1 = Math.min(frameHeight, box.y + box.height + dy);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/** The region of an 8-bit gray frame, copied so the frame can be released. */
export function cropGray(gray: Mat, box: Box): Mat {
  const view = gray.getRegion(new cv.Rect(box.x, box.y, box.width, box.height));
  const crop = view.copy();
  // A view shares the frame's pixels and keeps them alive until it is collected: free it now.
  view.release();
  return crop;
}

/** Scale a box by a factor (detector coordinates back to frame coordinates). */
export function scaleBox(box: Box, factor: number): Box {
  return {
    x: Math.round(box.x * factor),
    y: Math.round(box.y * factor),
    width: Math.round(box.width * factor),
    height: Math.round(box.height * factor),
  };
}

/** Area of the overlap of two boxes (0 when they do not overlap). */
export function intersectionArea(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Intersection over union of two boxes. */
export function iou(a: Box, b: Box): number {
  const inter = intersectionArea(a, b);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** The search window: the predicted box grown by `margin` of its size on each side, clipped. */
export function searchWindow(predicted: Box, margin: number, width: number, height: number): Box {
  const size = Math.max(predicted.width, predicted.height);
  const grow = Math.round(size * margin);
  const x0 = Math.max(0, Math.floor(predicted.x - grow));
  const y0 = Math.max(0, Math.floor(predicted.y - grow));
  const x1 = Math.min(width, Math.ceil(predicted.x + predicted.width + grow));
  const y1 = Math.min(height, Math.ceil(predicted.y + predicted.height + grow));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}
