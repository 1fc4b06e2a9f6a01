import { iou, type Box } from '../vision/crop.js';

/**
 * Face tracking: stable ids for the faces of a sequence of frames. Pure geometry, no OpenCV: boxes
 * in, tracks out. One tracker serves both the detect-and-track fast path (which re-detects each
 * track near its predicted box) and the per-face outputs (ids, smoothing, REP-155 topics).
 *
 * Association is greedy on IoU against each track's predicted box (constant-velocity), then greedy
 * on centre distance for what is left. Greedy, not Hungarian: faces in one frame are few and rarely
 * overlap, so the IoU-sorted greedy match is the optimal one in practice; where two candidates
 * compete, the best-overlapping pair wins, which is what the optimum does in the non-degenerate
 * case. It is O(n^2 log n) with no allocation beyond the pair list.
 */

export interface TrackerOptions {
  /** Frames a track must be seen in before it is confirmed (published as a person). */
  confirmFrames: number;
  /** Consecutive frames a track may go unseen before it is dropped. */
  maxMissed: number;
  /** Least IoU between a detection and a track's predicted box for the first association pass. */
  minIou: number;
  /** Second pass: largest centre distance, as a fraction of the track's box size. */
  maxCentreDistance: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = { confirmFrames: 3, maxMissed: 10, minIou: 0.3, maxCentreDistance: 0.5 };

export interface Track {
  /** Unique for the life of the process, never reused, starting at 1. */
  readonly id: number;
  /** The box of the last detection associated with it. */
  box: Box;
  /** Frames in which it was detected. */
  hits: number;
  /** Consecutive frames it was not detected in (0 when seen in the last update). */
  missed: number;
  /** Frames since it was created. */
  age: number;
  confirmed: boolean;
  /** Box motion per frame (centre x, y and size), smoothed, for the prediction. */
  velocity: { x: number; y: number; size: number };
}

export interface TrackerUpdate {
  /** For each detection, in the order given, the track it belongs to (new or existing). */
  assigned: Track[];
  /** Tracks that were not seen in this frame but are kept (missed <= maxMissed). */
  unseen: Track[];
  /** Tracks dropped in this update. */
  dropped: Track[];
  /** Tracks that became confirmed in this update. */
  confirmed: Track[];
}

/** Cost per missed frame in the association (IoU units): ten missed frames weigh as 0.3 of overlap. */
const STALE_COST = 0.03;

/** Process-wide, so that ids from every tracker (and every photo of `detect`) never repeat. */
let nextTrackId = 1;

function centre(b: Box): { x: number; y: number } {
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

/**
 * Each frame a track goes unseen, the motion it is still expected to make shrinks by this factor: a
 * face the detector lost has often stopped (turned, sat down), and an undamped prediction ten frames
 * out lands on whoever walks there (a stale track then stole a neighbour's id).
 */
const MISSED_DAMPING = 0.7;

/** Frames of motion in a prediction `steps` frames after the last detection: 1 + D + D^2 + ... (D = MISSED_DAMPING). */
function motionFrames(steps: number): number {
  return (1 - MISSED_DAMPING ** steps) / (1 - MISSED_DAMPING);
}

/**
 * Where a track's face is expected in the next frame: its last box moved by its velocity (the motion
 * damped for each frame it went unseen, MISSED_DAMPING).
 */
export function predictBox(track: Track, frames = 1): Box {
  const m = motionFrames(track.missed + frames);
  const size = Math.max(1, (track.box.width + track.box.height) / 2 + track.velocity.size * m);
  const ratio = track.box.height / Math.max(1, track.box.width);
  const c = centre(track.box);
  const width = size / Math.sqrt(ratio);
  const height = size * Math.sqrt(ratio);
  return { x: c.x + track.velocity.x * m - width / 2, y: c.y + track.velocity.y * m - height / 2, width, height };
}

export class FaceTracker {
  private tracks: Track[] = [];
  readonly options: TrackerOptions;

  constructor(options: Partial<TrackerOptions> = {}) {
    this.options = { ...DEFAULT_TRACKER_OPTIONS, ...options };
  }

  /** The live tracks (seen or missed up to maxMissed frames). */
  get active(): readonly Track[] {
    return this.tracks;
  }

  /** Associate this frame's detections with the tracks; create, confirm and drop tracks. */
  update(detections: readonly Box[]): TrackerUpdate {
    const { minIou, maxCentreDistance, confirmFrames, maxMissed } = this.options;
    const predicted = this.tracks.map((t) => predictBox(t));
    const trackOf: (Track | undefined)[] = detections.map(() => undefined);
    const taken = new Set<number>();

    // A track seen a frame ago wins a detection over one unseen for long, unless the stale one
    // overlaps it much better: STALE_COST per missed frame.
    const pairs: { d: number; t: number; cost: number }[] = [];
    detections.forEach((det, d) => predicted.forEach((p, t) => {
      const overlap = iou(det, p);
      if (overlap >= minIou) pairs.push({ d, t, cost: -overlap + STALE_COST * this.tracks[t]!.missed });
    }));
    this.assignGreedy(pairs, trackOf, taken);

    // Fast motion or a scale jump can leave no overlap: fall back to centre distance.
    const rest: { d: number; t: number; cost: number }[] = [];
    detections.forEach((det, d) => {
      if (trackOf[d]) return;
      predicted.forEach((p, t) => {
        if (taken.has(t)) return;
        const a = centre(det);
        const b = centre(p);
        const size = Math.max(p.width, p.height);
        const distance = Math.hypot(a.x - b.x, a.y - b.y) / size;
        const sizeRatio = Math.max(det.width, p.width) / Math.max(1, Math.min(det.width, p.width));
        if (distance <= maxCentreDistance && sizeRatio <= 1.5) rest.push({ d, t, cost: distance });
      });
    });
    this.assignGreedy(rest, trackOf, taken);

    const confirmed: Track[] = [];
    const assigned = detections.map((det, d) => {
      let track = trackOf[d];
      if (track) {
        this.follow(track, det);
      } else {
        track = { id: nextTrackId++, box: { ...det }, hits: 1, missed: 0, age: 0, confirmed: false, velocity: { x: 0, y: 0, size: 0 } };
        this.tracks.push(track);
      }
      if (!track.confirmed && track.hits >= confirmFrames) {
        track.confirmed = true;
        confirmed.push(track);
      }
      return track;
    });

    const seen = new Set(assigned);
    const unseen: Track[] = [];
    const dropped: Track[] = [];
    for (const track of this.tracks) {
      track.age++;
      if (seen.has(track)) continue;
      track.missed++;
      (track.missed > maxMissed ? dropped : unseen).push(track);
    }
    if (dropped.length > 0) this.tracks = this.tracks.filter((t) => !dropped.includes(t));
    return { assigned, unseen, dropped, confirmed };
  }

  /** Forget every track (e.g. the camera changed); their ids are not reused. */
  reset(): Track[] {
    const dropped = this.tracks;
    this.tracks = [];
    return dropped;
  }

  private assignGreedy(pairs: { d: number; t: number; cost: number }[], trackOf: (Track | undefined)[], taken: Set<number>): void {
    pairs.sort((a, b) => a.cost - b.cost);
    for (const { d, t } of pairs) {
      if (trackOf[d] || taken.has(t)) continue;
      trackOf[d] = this.tracks[t];
      taken.add(t);
    }
  }

  private follow(track: Track, det: Box): void {
    const frames = track.missed + 1;
    const before = centre(track.box);
    const after = centre(det);
    const sizeBefore = (track.box.width + track.box.height) / 2;
    const sizeAfter = (det.width + det.height) / 2;
    // Smoothed so that one jittery detection does not throw the prediction off.
    const k = track.hits === 1 ? 1 : 0.5;
    track.velocity = {
      x: track.velocity.x + k * ((after.x - before.x) / frames - track.velocity.x),
      y: track.velocity.y + k * ((after.y - before.y) / frames - track.velocity.y),
      size: track.velocity.size + k * ((sizeAfter - sizeBefore) / frames - track.velocity.size),
    };
    track.box = { ...det };
    track.hits++;
    track.missed = 0;
  }
}
