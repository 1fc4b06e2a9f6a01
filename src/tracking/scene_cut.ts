import { cv, type Mat } from '../vision/opencv.js';

/**
 * A sudden change of most of the picture: a cut in edited footage, a robot turning fast, a hand over
 * the lens. Each frame is reduced to a thumbnail of THUMB_WIDTH columns (INTER_AREA: the mean of each
 * cell, so sensor noise averages out) and compared with the previous frame's; when the share of
 * cells whose mean moved by CELL_CHANGE gray levels or more reaches the threshold, the old tracks
 * describe another picture and the stream starts over with a whole scan. Measured on the real clips:
 * the cuts of a TV clip change 51-55% of the cells, a hand-held camera's motion at most 27%, people
 * walking before a fixed camera under 16%.
 */
const THUMB_WIDTH = 32;
const CELL_CHANGE = 12;
const SAMPLE_WIDTH = THUMB_WIDTH * 8;

export class SceneCutDetector {
  private previous: Uint8Array | undefined;
  private size = '';

  /** Whether `gray` is a cut from the frame given before it; `threshold` is the share of the picture (0: never). */
  isCut(gray: Mat, threshold: number): boolean {
    const rows = Math.max(1, Math.round((gray.rows * THUMB_WIDTH) / gray.cols));
    // Sampled first (nearest, 8 x 8 samples a cell), then averaged: the cost of a 1080p frame's cells
    // without reading all its pixels (INTER_AREA over the whole frame took 1 ms).
    const sampled = gray.cols > SAMPLE_WIDTH ? gray.resize(Math.max(rows, Math.round((gray.rows * SAMPLE_WIDTH) / gray.cols)), SAMPLE_WIDTH, 0, 0, cv.INTER_NEAREST) : gray;
    const thumb = sampled.resize(rows, THUMB_WIDTH, 0, 0, cv.INTER_AREA);
    if (sampled !== gray) sampled.release();
    const cells = new Uint8Array(thumb.getData());
    thumb.release();
    const size = `${gray.cols}x${gray.rows}`;
    const previous = this.previous;
    this.previous = cells;
    // A new size is a new camera: the stream's caller decides (the tracks are not comparable anyway).
    if (!previous || size !== this.size || threshold <= 0) {
      this.size = size;
      return false;
    }
    let changed = 0;
    for (let i = 0; i < cells.length; i++) if (Math.abs(cells[i]! - previous[i]!) >= CELL_CHANGE) changed++;
    return changed >= threshold * cells.length;
  }

  reset(): void {
    this.previous = undefined;
  }
}
