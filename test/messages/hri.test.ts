/** REP-155 message builders (ids, roi, expression with valence/arousal, soft biometrics, letterboxed crop), without ROS. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { cv } from '../../src/vision/opencv.js';
import { readColor } from '../../src/vision/image.js';
import { letterbox } from '../../src/vision/letterbox.js';
import type { FaceResult } from '../../src/pipeline/pipeline.js';
import { Gender, croppedMessage, expressionMessage, faceId, faceNamespace, roiMessage, softBiometricsMessage } from '../../src/messages/hri.js';
import { classPosition, expressionFields } from '../../src/messages/expression.js';
import { photos } from '../helpers/common.js';

const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
const header = { stamp: { sec: 42, nanosec: 7 }, frame_id: 'cam' };

function oneHot(label: string): { label: string; confidence: number; scores: number[] } {
  return { label, confidence: 1, scores: EMOTIONS.map((l) => (l === label ? 1 : 0)) };
}

test('face ids: f + track id, valid ROS name tokens (no leading digit), deterministic and distinct', () => {
  const ids = [0, 1, 2, 10, 99999, 123456789].map(faceId);
  for (const id of ids) assert.match(id, /^[A-Za-z][A-Za-z0-9_]*$/);
  assert.deepEqual(ids.slice(0, 4), ['f0', 'f1', 'f2', 'f10']);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(faceId(7), faceId(7));
  assert.equal(faceNamespace(faceId(7)), '/humans/faces/f7');
  assert.throws(() => faceId(-1), /non-negative integer/);
  assert.throws(() => faceId(1.5), /non-negative integer/);
});

test('roi: top-left and bottom-right corners as fractions of the image, clipped to [0, 1]', () => {
  const face = { box: { x: 128, y: 96, width: 64, height: 48 } } as FaceResult;
  assert.deepEqual(roiMessage(face, 512, 384, 0.75, header), { header, xmin: 0.25, ymin: 0.25, xmax: 0.375, ymax: 0.375, c: 0.75 });
  const outside = { box: { x: -10, y: 350, width: 100, height: 100 } } as FaceResult;
  const roi = roiMessage(outside, 512, 384, 3, header);
  assert.deepEqual([roi.xmin, roi.ymax, roi.c], [0, 1, 1]);
});

test('expression: the seven classes map to hri_msgs/Expression constants; confidence is the head confidence', () => {
  // hri_msgs (humble-devel) Expression.msg: NEUTRAL="neutral", ANGRY="angry", SAD="sad", HAPPY="happy",
  // SURPRISED="surprised", DISGUSTED="disgusted", SCARED="scared".
  const expected: Record<string, string> = { angry: 'angry', disgust: 'disgusted', fear: 'scared', happy: 'happy', sad: 'sad', surprise: 'surprised', neutral: 'neutral' };
  for (const label of EMOTIONS) {
    const msg = expressionMessage({ ...oneHot(label), confidence: 0.6 }, EMOTIONS, header);
    assert.equal(msg.expression, expected[label], label);
    assert.equal(msg.confidence, 0.6);
    assert.deepEqual(msg.header, header);
  }
  assert.equal(expressionFields({ label: 'contempt', confidence: 1, scores: [1] }, ['contempt']).expression, 'contempt', 'a class outside the table keeps its name');
});

test('valence/arousal: circumplex quadrants of the classes, neutral at the centre, scores average the positions', () => {
  const at = (label: string) => expressionFields(oneHot(label), EMOTIONS);
  assert.ok(at('happy').valence > 0.9 && Math.abs(at('happy').arousal) < 0.3, 'happy: pleasant');
  assert.ok(at('surprise').arousal > 0.9 && at('surprise').valence > 0, 'surprise: aroused, mildly pleasant');
  for (const label of ['angry', 'fear', 'disgust']) assert.ok(at(label).valence < 0 && at(label).arousal > 0.5, `${label}: unpleasant, aroused`);
  assert.ok(at('sad').valence < -0.8 && at('sad').arousal < 0, 'sad: unpleasant, low arousal');
  assert.deepEqual([at('neutral').valence, at('neutral').arousal], [0, 0]);
  for (const label of EMOTIONS) {
    const p = classPosition(label)!;
    assert.ok(Math.abs(Math.hypot(p.valence, p.arousal) - (label === 'neutral' ? 0 : 1)) < 1e-9, `${label} on the unit circle`);
  }
  const mixed = expressionFields({ label: 'happy', confidence: 0.5, scores: [0, 0, 0, 0.5, 0.5, 0, 0] }, EMOTIONS);
  assert.ok(Math.abs(mixed.valence - (at('happy').valence + at('sad').valence) / 2) < 1e-6);
  assert.ok(Math.abs(mixed.arousal - (at('happy').arousal + at('sad').arousal) / 2) < 1e-6);
});

test('soft biometrics: woman -> FEMALE, man -> MALE with confidence; age unknown (0, confidence 0)', () => {
  assert.deepEqual(softBiometricsMessage({ label: 'woman', confidence: 0.83, scores: [0.83, 0.17] }, header), { header, age: 0, age_confidence: 0, gender: Gender.FEMALE, gender_confidence: 0.83 });
  assert.equal(softBiometricsMessage({ label: 'man', confidence: 0.7, scores: [0.3, 0.7] }, header).gender, Gender.MALE);
  assert.deepEqual([Gender.UNDEFINED, Gender.FEMALE, Gender.MALE, Gender.OTHER], [0, 1, 2, 3]);
});

test('cropped: the face box of a real photo letterboxed to 128 x 128 bgr8, centred, black bars', () => {
  const photo = readColor(path.join(photos, 'skimage_astronaut.png'));
  const square = croppedMessage(photo, { box: { x: 170, y: 40, width: 120, height: 120 } } as FaceResult, header);
  assert.deepEqual([square.width, square.height, square.encoding, square.step, square.data.length], [128, 128, 'bgr8', 384, 128 * 128 * 3]);
  assert.deepEqual(square.header, header);
  // A wide box: 100 x 50 scales to 128 x 64, rows 32..95 hold the face region, the bars are black.
  const box = { x: 150, y: 60, width: 100, height: 50 };
  const wide = letterbox(photo, box, 128, 128);
  const rows = (r0: number, r1: number) => wide.getRegion(new cv.Rect(0, r0, 128, r1 - r0));
  const black = (m: ReturnType<typeof rows>): boolean => m.cvtColor(cv.COLOR_BGR2GRAY).countNonZero() === 0;
  assert.ok(black(rows(0, 32)) && black(rows(96, 128)), 'bars are black');
  assert.ok(rows(32, 33).cvtColor(cv.COLOR_BGR2GRAY).countNonZero() > 100 && rows(95, 96).cvtColor(cv.COLOR_BGR2GRAY).countNonZero() > 100, 'the face fills rows 32..95');
  const band = rows(32, 96).mean();
  const region = photo.getRegion(new cv.Rect(box.x, box.y, box.width, box.height)).mean();
  for (const c of ['w', 'x', 'y'] as const) assert.ok(Math.abs(band[c] - region[c]) < 2, `channel ${c}: band mean ${band[c]} vs region mean ${region[c]}`);
  // A box reaching past the image is clipped first; an empty one gives black.
  const clipped = letterbox(photo, { x: photo.cols - 10, y: 0, width: 100, height: 100 }, 128, 128);
  assert.deepEqual([clipped.cols, clipped.rows, clipped.channels], [128, 128, 3]);
  // Clipped to 10 x 100, scaled by 1.28 to 13 x 128, at column (128 - 13) / 2 = 57.
  assert.ok(!black(clipped.getRegion(new cv.Rect(57, 0, 13, 128))) && black(clipped.getRegion(new cv.Rect(0, 0, 57, 128))) && black(clipped.getRegion(new cv.Rect(70, 0, 58, 128))), 'a 13 x 128 strip, centred');
  assert.ok(black(letterbox(photo, { x: photo.cols + 5, y: 0, width: 10, height: 10 }, 128, 128)));
});
