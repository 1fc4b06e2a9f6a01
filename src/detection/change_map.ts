import { cv, type Mat } from '../vision/opencv.js';
import type { Box } from '../vision/crop.js';

/**
 * Where a camera's picture changed since the detector last looked there, in blocks of the frame.
 *
 * A Haar window's answer depends only on the pixels under it. Where the picture has not changed
 * since a scan looked at it, a new scan finds what that one found: the faces there are tracked
 * already, and where it found none it finds none. So between whole-frame scans, a background scan
 * searches for small faces only around what changed (the costly part of a scan is its smallest
 * scales, which a region search keeps small), while large faces, which are cheap to scan for, are
 * still searched for over the whole frame. This is a heuristic, not an equivalence: a block counts
 * as changed when its mean gray level moved (16 x 16 detector pixels averaged, so that a camera's
 * sensor noise, a small fraction of a gray level in a block's mean, does not count and anything that
 * moves does), and a region holds the windows centred on its changed blocks, not every window that
 * overlaps one. A face that appears changes the blocks under its own centre, so it is searched for;
 * what the heuristic misses, the periodic whole-frame scan finds (the stream's bound says when).
 *
 * A block under a tracked face is not searched (re-detection follows that face) and stays unscanned
 * until a scan sees it without the track, so that a face which comes back where a dropped track was
 * is searched for; so do the blocks of every face a scan found. When most of the picture changed (a
 * moving robot, a change of exposure) the scan covers the whole frame.
 */

/** Side of a block, in the detector's pixels. */
export const CHANGE_BLOCK = 16;
/** Above this changed share of the frame, a region search is no cheaper: scan the whole frame. */
const WHOLE_FRAME_SHARE = 0.5;

export type ScanPlan =
  /** Every face of the frame. */
  | { kind: 'whole' }
  /** Faces of at least `largeFrom` pixels anywhere; faces up to `smallUpTo` inside `regions`, which cover `share` of the image. */
  | { kind: 'changed'; regions: Box[]; largeFrom: number; smallUpTo: number; share: number };

/** A pending plan with what it takes to record it once the scan it describes has completed. */
export interface PlannedScan {
  plan: ScanPlan;
  /** Block means of the scanned frame, and which blocks the scan covers for faces of every size. */
  means: Uint8Array;
  covered: Uint8Array;
  /** Blocks left unscanned because a tracked face is over them. */
  tracked: Uint8Array;
  /** The block grid of the scanned image. */
  grid: Grid;
}

interface Grid {
  columns: number;
  rows: number;
  /** A block's size in detector pixels (about CHANGE_BLOCK; the grid covers the image exactly). */
  cell: { w: number; h: number };
}

export interface ChangeOptions {
  /** Least change of a block's mean gray level that counts (0: every scan covers the whole frame). */
  threshold: number;
  /** Smallest face searched for over the whole frame in a region scan, in detector pixels. */
  largeFrom: number;
  /** Largest face searched for inside the changed regions (above largeFrom, so that faces near it are whole in one of the two). */
  smallUpTo: number;
  /** Whether this scan must cover the whole frame anyway (the periodic whole-frame scan). */
  forceWhole: boolean;
}

export class ChangeMap {
  private columns = 0;
  private rows = 0;
  /** Each block's mean at the last scan that covered it, and whether that is still valid. */
  private reference = new Uint8Array(0);
  private valid = new Uint8Array(0);

  /** Forget what was scanned (a new sequence, or a change of image size). */
  reset(): void {
    this.columns = this.rows = 0;
    this.reference = new Uint8Array(0);
    this.valid = new Uint8Array(0);
  }

  /** Plan a scan of `gray` (detector pixels); `tracked` are the tracked faces' boxes in the same pixels. */
  plan(gray: Mat, tracked: readonly Box[], options: ChangeOptions): PlannedScan {
    const columns = Math.max(1, Math.round(gray.cols / CHANGE_BLOCK));
    const rows = Math.max(1, Math.round(gray.rows / CHANGE_BLOCK));
    const small = gray.resize(rows, columns, 0, 0, cv.INTER_AREA);
    const means = new Uint8Array(small.getData());
    small.release();
    const count = columns * rows;
    const cell = { w: gray.cols / columns, h: gray.rows / rows };
    const grid: Grid = { columns, rows, cell };
    const underTrack = blocksUnder(tracked, grid);
    const whole: PlannedScan = { plan: { kind: 'whole' }, means, covered: new Uint8Array(count).fill(1), tracked: underTrack, grid };
    if (options.forceWhole || options.threshold <= 0 || columns !== this.columns || rows !== this.rows) return whole;

    const dirty = new Uint8Array(count);
    let changed = 0;
    for (let i = 0; i < count; i++) {
      if (underTrack[i]) continue;
      if (!this.valid[i] || Math.abs(means[i]! - this.reference[i]!) >= options.threshold) {
        dirty[i] = 1;
        changed++;
      }
    }
    if (changed > count * WHOLE_FRAME_SHARE) return whole;
    // A face that appears changes the blocks under it: every window of up to smallUpTo pixels
    // centred on a changed block lies inside its region.
    const grow = options.smallUpTo / 2;
    const regions = mergeOverlapping(
      components(dirty, columns, rows).map((c) => clip({ x: c.x * cell.w - grow, y: c.y * cell.h - grow, width: c.width * cell.w + 2 * grow, height: c.height * cell.h + 2 * grow }, gray.cols, gray.rows)),
    );
    const area = regions.reduce((sum, r) => sum + r.width * r.height, 0);
    if (area > gray.cols * gray.rows * WHOLE_FRAME_SHARE) return whole;
    const share = area / (gray.cols * gray.rows);
    return { plan: { kind: 'changed', regions, largeFrom: options.largeFrom, smallUpTo: options.smallUpTo, share }, means, covered: dirty, tracked: underTrack, grid };
  }

  /** The planned scan has completed, finding `found` (detector pixels): what it covered is now the reference there. */
  record(scan: PlannedScan, found: readonly Box[]): void {
    const { columns, rows } = scan.grid;
    if (columns !== this.columns || rows !== this.rows) {
      // A region scan planned against another image size (cannot happen within one sequence) is dropped.
      if (scan.plan.kind !== 'whole') return;
      this.columns = columns;
      this.rows = rows;
      this.reference = new Uint8Array(columns * rows);
      this.valid = new Uint8Array(columns * rows);
    }
    const underFaces = blocksUnder(found, scan.grid);
    for (let i = 0; i < scan.means.length; i++) {
      if (scan.covered[i]) {
        this.reference[i] = scan.means[i]!;
        this.valid[i] = 1;
      }
      // What a scan left to re-detection (under a tracked face), and where it found a face, is
      // searched again once no track is there: should that face's track end, the face is looked for.
      if (scan.tracked[i] || underFaces[i]) this.valid[i] = 0;
    }
  }
}

/** Blocks that a box overlaps at all (a box ending on a block's edge does not reach the next block). */
function blocksUnder(boxes: readonly Box[], { columns, rows, cell }: Grid): Uint8Array {
  const under = new Uint8Array(columns * rows);
  for (const b of boxes) {
    if (b.width <= 0 || b.height <= 0) continue;
    const c0 = Math.max(0, Math.floor(b.x / cell.w));
    const c1 = Math.min(columns - 1, Math.ceil((b.x + b.width) / cell.w) - 1);
    const r0 = Math.max(0, Math.floor(b.y / cell.h));
    const r1 = Math.min(rows - 1, Math.ceil((b.y + b.height) / cell.h) - 1);
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) under[r * columns + c] = 1;
  }
  return under;
}

/** Bounding boxes (in blocks) of the 8-connected groups of set blocks. */
export function components(mask: Uint8Array, columns: number, rows: number): Box[] {
  const seen = new Uint8Array(mask.length);
  const boxes: Box[] = [];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    let [x0, y0, x1, y1] = [columns, rows, -1, -1];
    stack.push(start);
    seen[start] = 1;
    while (stack.length > 0) {
      const i = stack.pop()!;
      const [x, y] = [i % columns, Math.floor(i / columns)];
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const [nx, ny] = [x + dx, y + dy];
          if (nx < 0 || ny < 0 || nx >= columns || ny >= rows) continue;
          const j = ny * columns + nx;
          if (mask[j] && !seen[j]) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    boxes.push({ x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 });
  }
  return boxes;
}

function clip(b: Box, width: number, height: number): Box {
  const x0 = Math.max(0, Math.floor(b.x));
  const y0 = Math.max(0, Math.floor(b.y));
  const x1 = Math.min(width, Math.ceil(b.x + b.width));
  const y1 = Math.min(height, Math.ceil(b.y + b.height));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/** Overlapping regions become their union's bounding box, so no pixel is scanned twice. */
export function mergeOverlapping(regions: Box[]): Box[] {
  const merged = regions.filter((r) => r.width > 0 && r.height > 0);
  for (let changed = true; changed; ) {
    changed = false;
    outer: for (let i = 0; i < merged.length; i++) {
      for (let j = i + 1; j < merged.length; j++) {
        const [a, b] = [merged[i]!, merged[j]!];
        if (a.x >= b.x + b.width || b.x >= a.x + a.width || a.y >= b.y + b.height || b.y >= a.y + a.height) continue;
        const x = Math.min(a.x, b.x);
        const y = Math.min(a.y, b.y);
        merged[i] = { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
        merged.splice(j, 1);
        changed = true;
        break outer;
      }
    }
  }
  return merged;
}
