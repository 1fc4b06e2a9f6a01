/** FrameResult -> vision_msgs/Detection2DArray (emotion on ~/detections, gender on ~/detections/gender), without ROS. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cv } from '../../src/vision/opencv.js';
import type { FaceResult, FrameResult } from '../../src/pipeline/pipeline.js';
import { PreparedFrame } from '../../src/pipeline/prepared_frame.js';
import { detectionArray } from '../../src/messages/vision_msgs.js';

const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
const GENDERS = ['woman', 'man'];

const confirmed: FaceResult = {
  id: 0,
  trackId: 17,
  confirmed: true,
  box: { x: 170, y: 60, width: 120, height: 121 },
  score: 7,
  emotion: { label: 'happy', confidence: 0.9, scores: [0.01, 0, 0.02, 0.9, 0.03, 0.02, 0.02] },
  gender: { label: 'man', confidence: 0.8, scores: [0.2, 0.8] },
  raw: {
    emotion: { label: 'sad', confidence: 0.5, scores: [0.1, 0, 0.02, 0.3, 0.5, 0.05, 0.03] },
    gender: { label: 'man', confidence: 0.6, scores: [0.4, 0.6] },
  },
};
const unconfirmed: FaceResult = { ...confirmed, id: 1, trackId: 18, confirmed: false, box: { x: 300, y: 10, width: 40, height: 40 } };
const emotionOff: FaceResult = { ...confirmed, id: 2, trackId: 19, emotion: undefined, raw: { gender: confirmed.gender } };

function frame(faces: FaceResult[]): FrameResult {
  return {
    width: 512,
    height: 384,
    detectionScale: 1,
    detection: 'tracked',
    faces,
    droppedTracks: [],
    timings: { convertMs: 0, detectMs: 0, cropMs: 0, emotionMs: 0, genderMs: 0, headsMs: 0, totalMs: 0, cpuMs: { convert: 0, detect: 0, crop: 0, emotion: 0, gender: 0, heads: 0, total: 0 } },
    prepared: new PreparedFrame(new cv.Mat(384, 512, cv.CV_8UC3)),
  };
}

const header = { stamp: { sec: 1700000000, nanosec: 5 }, frame_id: 'camera_optical' };

test('one Detection2D per confirmed face: header, bbox centre and size in pixels, id = track id, emotion hypotheses best first', () => {
  const msg = detectionArray(frame([confirmed, unconfirmed]), header, 'emotion', EMOTIONS);
  assert.deepEqual(msg.header, header);
  assert.notEqual(msg.header, header, 'copied, not shared with the incoming message');
  assert.equal(msg.detections.length, 1, 'the unconfirmed track is not published');
  const d = msg.detections[0]!;
  assert.deepEqual(d.header, header);
  assert.equal(d.id, '17');
  assert.deepEqual(d.bbox, { center: { position: { x: 230, y: 120.5 }, theta: 0 }, size_x: 120, size_y: 121 });
  assert.equal(d.results.length, 7);
  assert.deepEqual(d.results.map((r) => r.hypothesis.class_id), ['happy', 'sad', 'fear', 'surprise', 'neutral', 'angry', 'disgust']);
  // The smoothed scores (face.emotion), not this frame's raw ones.
  for (const r of d.results) assert.equal(r.hypothesis.score, confirmed.emotion!.scores[EMOTIONS.indexOf(r.hypothesis.class_id)]);
  for (const r of d.results) {
    assert.deepEqual(r.pose.pose.orientation, { x: 0, y: 0, z: 0, w: 1 });
    assert.equal(r.pose.covariance.length, 36);
  }
});

test('the gender array has the same detections with the two gender hypotheses', () => {
  const emotion = detectionArray(frame([confirmed]), header, 'emotion', EMOTIONS);
  const gender = detectionArray(frame([confirmed]), header, 'gender', GENDERS);
  assert.deepEqual(gender.detections.map((d) => [d.id, d.bbox]), emotion.detections.map((d) => [d.id, d.bbox]));
  assert.deepEqual(gender.detections[0]!.results.map((r) => [r.hypothesis.class_id, r.hypothesis.score]), [['man', 0.8], ['woman', 0.2]]);
});

test('a head switched off leaves its results empty; a frame without faces gives an empty array', () => {
  const msg = detectionArray(frame([emotionOff]), header, 'emotion', EMOTIONS);
  assert.equal(msg.detections.length, 1);
  assert.deepEqual(msg.detections[0]!.results, []);
  assert.deepEqual(detectionArray(frame([]), undefined, 'gender', GENDERS), { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, detections: [] });
});
