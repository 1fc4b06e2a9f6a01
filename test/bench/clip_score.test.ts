/** The rules the real-clip benchmark scores by (bench/clip_score.ts), on boxes built to exercise each. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRACE_FRAMES, PERSISTENT_FRAMES, faceOverlap, scoreClip, type ReportedFace, type ScoredFace } from '../../src/bench/clip_score.js';

const face = (x: number, score = 0.9): ScoredFace => ({ x, y: 100, width: 40, height: 50, score });
const reported = (x: number, trackId: number): ReportedFace => ({ x: x - 3, y: 102, width: 46, height: 46, trackId });

test('a Haar-like square and a YuNet-like tall box of one face match; neighbours do not', () => {
  assert.ok(faceOverlap(face(100), reported(100, 1)) > 0.6);
  assert.ok(faceOverlap(face(100), reported(160, 1)) === 0);
});

test('recall counts persistent faces from their grace frame on; precision, id switches and tracks per face', () => {
  const frames = 40;
  // Face A in every frame; face B (x 300) only in 5 frames (not persistent); a weak detection at x 500.
  const reference = Array.from({ length: frames }, (_, f) => [face(100), ...(f < 5 ? [face(300)] : []), face(500, 0.6)]);
  // The video path: A from frame 2 on, as track 1 until frame 29 and track 2 after; a false face at x 700
  // in frames 0-3; the weak face at 500 in every frame (a real face: not a false positive).
  const video = Array.from({ length: frames }, (_, f) => [
    ...(f >= 2 ? [reported(100, f < 30 ? 1 : 2)] : []),
    ...(f < 4 ? [reported(700, 9)] : []),
    reported(500, 5),
  ]);
  const s = scoreClip(reference, video);
  assert.equal(s.reference_faces, 1, `only A is seen in ${PERSISTENT_FRAMES} frames or more at a sure score`);
  assert.equal(s.counted_face_frames, frames - GRACE_FRAMES);
  assert.equal(s.recall, 1, 'A is reported in every counted frame');
  assert.equal(s.reported_face_frames, 38 + 4 + 40);
  assert.equal(s.precision, Math.round(((38 + 40) / 82) * 1000) / 1000);
  assert.equal(s.id_switches, 1);
  assert.equal(s.tracks_per_face, 2);

  const missing = video.map((faces, f) => (f >= 20 && f < 30 ? faces.filter((r) => r.x !== 97) : faces));
  assert.equal(scoreClip(reference, missing).recall, Math.round(((frames - GRACE_FRAMES - 10) / (frames - GRACE_FRAMES)) * 1000) / 1000);
});
