import { cv, copyInto, type Mat } from './opencv.js';
import type { Box } from './crop.js';

/**
 * A region of an image scaled to fit a fixed size with its aspect ratio kept, centred, the rest
 * black: REP-155's `/cropped` face ("if necessary scaled, centered and 0-padded"), made the same way
 * as ros4hri's hri_face_detect. The box is clipped to the image first; an empty region gives an
 * all-black image. The source is not changed; the result is a new Mat of the source's type.
 */
export function letterbox(image: Mat, box: Box, width: number, height: number): Mat {
  const out = new cv.Mat(height, width, image.type, new Array<number>(image.channels).fill(0));
  const x0 = Math.max(0, Math.round(box.x));
  const y0 = Math.max(0, Math.round(box.y));
  const x1 = Math.min(image.cols, Math.round(box.x + box.width));
  const y1 = Math.min(image.rows, Math.round(box.y + box.height));
  if (x1 <= x0 || y1 <= y0) return out;
  const w = x1 - x0;
  const h = y1 - y0;
  const scale = Math.min(width / w, height / h);
  const scaledW = Math.max(1, Math.min(width, Math.round(w * scale)));
  const scaledH = Math.max(1, Math.min(height, Math.round(h * scale)));
  const region = image.getRegion(new cv.Rect(x0, y0, w, h));
  const scaled = region.resize(scaledH, scaledW, 0, 0, scale < 1 ? cv.INTER_AREA : cv.INTER_LINEAR);
  const target = out.getRegion(new cv.Rect(Math.floor((width - scaledW) / 2), Math.floor((height - scaledH) / 2), scaledW, scaledH));
  copyInto(scaled, target);
  // Views keep the frame's pixels alive until collected: free them (and the scaled copy) now.
  for (const mat of [region, scaled, target]) mat.release();
  return out;
}
