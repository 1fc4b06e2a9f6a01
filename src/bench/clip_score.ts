import { iou, type Box } from '../vision/crop.js';
import { FaceTracker } from '../tracking/tracker.js';

/**
 * Scoring a video path against a per-frame reference detector on a real clip. Pure: boxes in,
 * numbers out, so the rules below are unit-tested without a video.
 *
 * - The reference's faces: its detections of score >= REFERENCE_SCORE, linked frame to frame into
 *   tracks by the project's one tracker; a track seen in PERSISTENT_FRAMES frames or more is a
 *   persistent face (a face a robot should report, not a one-frame flicker).
 * - Recall: of the persistent faces' face-frames from their GRACE_FRAMES-th frame in view on (the
 *   video path's stated bound to report a new face: scan_interval + max_scan_lag), the share the video
 *   path reports.
 * - Precision: of the faces the video path reports, the share that match a reference detection of
 *   score >= LOOSE_SCORE in the same frame (a face the reference sees less surely is still a face).
 * - Cuts (frames the project's scene-cut detector marks, as the video path's default does): the
 *   reference's faces are not linked across them; a face after a cut is a new face.
 * - Id switches: for each persistent face, the times the matched track id changes from one frame it
 *   is matched in to the next; tracks per face: distinct ids matched to it.
 *
 * Boxes are compared by the IoU of the squares around their centres (side: the mean of width and
 * height), so that a Haar box (square, brow to chin) and a YuNet box (taller than wide) of one face
 * match as well as two boxes of one detector; MATCH_IOU of that overlap is a match.
 */
export const REFERENCE_SCORE = 0.8;
export const LOOSE_SCORE = 0.5;
export const PERSISTENT_FRAMES = 10;
export const GRACE_FRAMES = 13;
export const MATCH_IOU = 0.3;

export interface ScoredFace extends Box {
  score: number;
}

export interface ReportedFace extends Box {
  trackId: number;
}

export interface ClipScore {
  /** Frames the scene-cut detector marked (faces are not linked across them). */
  cuts: number;
  /** Persistent reference faces (tracks). */
  reference_faces: number;
  /** Their face-frames counted for recall (from the GRACE_FRAMES-th frame of each on). */
  counted_face_frames: number;
  recall: number;
  reported_face_frames: number;
  precision: number;
  id_switches: number;
  id_switches_per_face: number;
  tracks_per_face: number;
}

/** The square around a box's centre whose side is the mean of its width and height. */
export function squareOf(box: Box): Box {
  const side = (box.width + box.height) / 2;
  return { x: box.x + box.width / 2 - side / 2, y: box.y + box.height / 2 - side / 2, width: side, height: side };
}

export function faceOverlap(a: Box, b: Box): number {
  return iou(squareOf(a), squareOf(b));
}

/** Greedy one-to-one matching by faceOverlap (best pairs first); returns for each `a` the index of its `b`, or -1. */
export function matchFaces(a: readonly Box[], b: readonly Box[]): number[] {
  const pairs: { i: number; j: number; overlap: number }[] = [];
  a.forEach((x, i) => b.forEach((y, j) => {
    const overlap = faceOverlap(x, y);
    if (overlap >= MATCH_IOU) pairs.push({ i, j, overlap });
  }));
  pairs.sort((p, q) => q.overlap - p.overlap);
  const ofA = a.map(() => -1);
  const takenB = new Set<number>();
  for (const { i, j } of pairs) {
    if (ofA[i] !== -1 || takenB.has(j)) continue;
    ofA[i] = j;
    takenB.add(j);
  }
  return ofA;
}

/** A reference face-frame: which persistent face it is and how many frames that face had been in view. */
interface ReferenceFaceFrame extends Box {
  face: number;
  sinceFirst: number;
}

/** The reference's persistent faces, frame by frame. */
export function persistentFaces(reference: readonly (readonly ScoredFace[])[], cuts: ReadonlySet<number> = new Set()): ReferenceFaceFrame[][] {
  // Linked as the video path links its own faces (one tracker), but every frame has a detection, so a
  // short gap (a missed frame or two) keeps the track.
  const tracker = new FaceTracker({ confirmFrames: 1, maxMissed: 2, minIou: 0.3 });
  const perFrame = reference.map((faces, f) => {
    if (cuts.has(f)) tracker.reset();
    const sure = faces.filter((f) => f.score >= REFERENCE_SCORE);
    const assigned = tracker.update(sure).assigned;
    return sure.map((box, i) => ({ box, trackId: assigned[i]!.id }));
  });
  const frames = new Map<number, number>();
  const first = new Map<number, number>();
  perFrame.forEach((faces, f) => faces.forEach(({ trackId }) => {
    frames.set(trackId, (frames.get(trackId) ?? 0) + 1);
    if (!first.has(trackId)) first.set(trackId, f);
  }));
  const faceIndex = new Map<number, number>();
  for (const [trackId, count] of frames) if (count >= PERSISTENT_FRAMES) faceIndex.set(trackId, faceIndex.size);
  return perFrame.map((faces, f) =>
    faces.flatMap(({ box, trackId }) => {
      const face = faceIndex.get(trackId);
      return face === undefined ? [] : [{ x: box.x, y: box.y, width: box.width, height: box.height, face, sinceFirst: f - first.get(trackId)! }];
    }),
  );
}

/** Score the video path's reported faces against the reference's per-frame detections (same frames, same order). */
export function scoreClip(reference: readonly (readonly ScoredFace[])[], reported: readonly (readonly ReportedFace[])[], cuts: ReadonlySet<number> = new Set()): ClipScore {
  if (reference.length !== reported.length) throw new Error(`scoreClip: ${reference.length} reference frames, ${reported.length} reported`);
  const persistent = persistentFaces(reference, cuts);
  let counted = 0;
  let found = 0;
  let reportedCount = 0;
  let truePositives = 0;
  const lastId = new Map<number, number>();
  const idsOf = new Map<number, Set<number>>();
  let switches = 0;
  reported.forEach((faces, f) => {
    const refs = persistent[f]!;
    const match = matchFaces(refs, faces);
    refs.forEach((ref, r) => {
      const j = match[r]!;
      if (ref.sinceFirst >= GRACE_FRAMES) {
        counted++;
        if (j >= 0) found++;
      }
      if (j < 0) return;
      const id = faces[j]!.trackId;
      const before = lastId.get(ref.face);
      if (before !== undefined && before !== id) switches++;
      lastId.set(ref.face, id);
      let ids = idsOf.get(ref.face);
      if (!ids) idsOf.set(ref.face, (ids = new Set()));
      ids.add(id);
    });
    reportedCount += faces.length;
    const loose = reference[f]!.filter((d) => d.score >= LOOSE_SCORE);
    truePositives += matchFaces(faces, loose).filter((j) => j >= 0).length;
  });
  const faces = new Set(persistent.flat().map((r) => r.face)).size;
  const round = (v: number): number => Math.round(v * 1000) / 1000;
  return {
    cuts: cuts.size,
    reference_faces: faces,
    counted_face_frames: counted,
    recall: counted === 0 ? 1 : round(found / counted),
    reported_face_frames: reportedCount,
    precision: reportedCount === 0 ? 1 : round(truePositives / reportedCount),
    id_switches: switches,
    id_switches_per_face: faces === 0 ? 0 : round(switches / faces),
    tracks_per_face: faces === 0 ? 0 : round([...idsOf.values()].reduce((n, ids) => n + ids.size, 0) / faces),
  };
}
