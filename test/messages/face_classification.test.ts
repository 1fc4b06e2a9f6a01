/** FrameResult -> FaceClassificationArray and Mat -> sensor_msgs/Image, without ROS. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cv } from '../../src/vision/opencv.js';
import type { FrameResult } from '../../src/pipeline/pipeline.js';
import { PreparedFrame } from '../../src/pipeline/prepared_frame.js';
import { durationFromMs, matToImageMessage, resultToMessage } from '../../src/messages/face_classification.js';

const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
const GENDERS = ['woman', 'man'];

const result: FrameResult = {
  width: 512,
  height: 384,
  detectionScale: 1,
  faces: [
    {
      id: 0,
      trackId: 17,
      confirmed: true,
      box: { x: 170, y: 60, width: 120, height: 121 },
      score: 7,
      emotion: { label: 'happy', confidence: 0.9, scores: [0.01, 0, 0.02, 0.9, 0.03, 0.02, 0.02] },
      gender: { label: 'woman', confidence: 0.8, scores: [0.8, 0.2] },
      raw: {
        emotion: { label: 'happy', confidence: 0.7, scores: [0.1, 0, 0.02, 0.7, 0.13, 0.02, 0.03] },
        gender: { label: 'woman', confidence: 0.6, scores: [0.6, 0.4] },
      },
    },
    { id: 1, trackId: 18, confirmed: false, box: { x: 300, y: 10, width: 40, height: 40 }, score: 3, raw: {} },
  ],
  detection: 'tracked',
  droppedTracks: [],
  timings: { convertMs: 0, detectMs: 10, cropMs: 1, emotionMs: 5, genderMs: 4, headsMs: 0, totalMs: 20, cpuMs: { convert: 0, detect: 10, crop: 1, emotion: 5, gender: 4, heads: 0, total: 20 } },
  prepared: new PreparedFrame(new cv.Mat(384, 512, cv.CV_8UC3)),
};

test('a result becomes a FaceClassificationArray with the input header, boxes, labels and scores', () => {
  const header = { stamp: { sec: 1700000000, nanosec: 123456789 }, frame_id: 'camera_optical' };
  const msg = resultToMessage(result, { header, latencyMs: 1234.5678, emotionClasses: EMOTIONS, genderClasses: GENDERS });
  assert.deepEqual(msg.header, header);
  assert.notEqual(msg.header, header, 'header is copied, not shared with the incoming message');
  assert.equal(msg.image_width, 512);
  assert.equal(msg.image_height, 384);
  assert.deepEqual(msg.emotion_classes, EMOTIONS);
  assert.deepEqual(msg.gender_classes, GENDERS);
  assert.deepEqual(msg.latency, { sec: 1, nanosec: 234567800 });
  assert.equal(msg.faces.length, 2);
  assert.deepEqual(msg.faces[0], {
    box: { x_offset: 170, y_offset: 60, width: 120, height: 121, do_rectify: false },
    id: 0,
    track_id: 17,
    track_confirmed: true,
    detection_score: 7,
    carried: false,
    emotion: 'happy',
    emotion_confidence: 0.9,
    emotion_scores: [0.01, 0, 0.02, 0.9, 0.03, 0.02, 0.02],
    emotion_raw_scores: [0.1, 0, 0.02, 0.7, 0.13, 0.02, 0.03],
    gender: 'woman',
    gender_confidence: 0.8,
    gender_scores: [0.8, 0.2],
    gender_raw_scores: [0.6, 0.4],
  });
  assert.equal(msg.faces[1]!.track_id, 18);
  assert.equal(msg.faces[1]!.track_confirmed, false);
  // A face without classifier answers (heads switched off): empty labels and scores.
  assert.equal(msg.faces[1]!.emotion, '');
  assert.deepEqual(msg.faces[1]!.emotion_scores, []);
  assert.equal(msg.faces[1]!.gender, '');
  assert.equal(msg.faces[1]!.gender_confidence, 0);
});

test('no face: an empty faces list, header still copied; a missing header becomes zeros', () => {
  const msg = resultToMessage({ ...result, faces: [] }, { header: undefined, latencyMs: 0, emotionClasses: [], genderClasses: [] });
  assert.deepEqual(msg.faces, []);
  assert.deepEqual(msg.header, { stamp: { sec: 0, nanosec: 0 }, frame_id: '' });
});

test('durationFromMs splits seconds and nanoseconds and never goes negative', () => {
  assert.deepEqual(durationFromMs(0), { sec: 0, nanosec: 0 });
  assert.deepEqual(durationFromMs(999.9999999), { sec: 1, nanosec: 0 });
  assert.deepEqual(durationFromMs(2500), { sec: 2, nanosec: 500000000 });
  assert.deepEqual(durationFromMs(-5), { sec: 0, nanosec: 0 });
});

test('a BGR Mat becomes a packed bgr8 sensor_msgs/Image; gray becomes mono8', () => {
  const mat = new cv.Mat([[[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[10, 11, 12], [13, 14, 15], [16, 17, 18]]], cv.CV_8UC3);
  const header = { stamp: { sec: 5, nanosec: 6 }, frame_id: 'cam' };
  const msg = matToImageMessage(mat, header);
  assert.deepEqual({ ...msg, data: Array.from(msg.data) }, { header, height: 2, width: 3, encoding: 'bgr8', is_bigendian: 0, step: 9, data: Array.from({ length: 18 }, (_, i) => i + 1) });
  const gray = matToImageMessage(new cv.Mat([[1, 2], [3, 4]], cv.CV_8UC1), header);
  assert.equal(gray.encoding, 'mono8');
  assert.equal(gray.step, 2);
  assert.deepEqual(Array.from(gray.data), [1, 2, 3, 4]);
});
