/** What a ~/classify request asks for, decoded without ROS: the field with bytes decides; neither is the newest frame. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyTarget, emptyResult, refusal } from '../../../src/ros/services/classify_request.js';

// The request as rclnodejs hands it when the caller left a field out: every field at its default.
const emptyImage = () => ({ header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, height: 0, width: 0, encoding: '', is_bigendian: 0, step: 0, data: new Uint8Array() });
const emptyCompressed = () => ({ header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, format: '', data: new Uint8Array() });

test('both images empty (the empty request, as ros2 service call sends "{}"): the newest camera frame', () => {
  assert.deepEqual(classifyTarget({ image: emptyImage(), compressed_image: emptyCompressed() }), { kind: 'newest' });
  assert.deepEqual(classifyTarget({}), { kind: 'newest' });
  assert.deepEqual(classifyTarget(undefined), { kind: 'newest' });
  // Size and encoding without bytes are not an image: the bytes decide.
  assert.deepEqual(classifyTarget({ image: { ...emptyImage(), width: 4, height: 4, encoding: 'bgr8' } }), { kind: 'newest' });
});

test('an Image with bytes is classified as raw; a CompressedImage with bytes as compressed', () => {
  const image = { ...emptyImage(), width: 1, height: 1, encoding: 'mono8', step: 1, data: new Uint8Array([7]) };
  const raw = classifyTarget({ image, compressed_image: emptyCompressed() });
  assert.equal(raw.kind, 'image');
  assert.ok(raw.kind === 'image' && !raw.compressed && raw.message === image);
  const jpeg = { ...emptyCompressed(), format: 'jpeg', data: [0xff, 0xd8, 0xff] };
  const compressed = classifyTarget({ image: emptyImage(), compressed_image: jpeg });
  assert.ok(compressed.kind === 'image' && compressed.compressed && compressed.message === jpeg);
});

test('both with bytes: refused with a reason that says what to send', () => {
  const target = classifyTarget({ image: { ...emptyImage(), data: new Uint8Array([1]) }, compressed_image: { ...emptyCompressed(), data: new Uint8Array([1]) } });
  assert.equal(target.kind, 'refused');
  assert.match(target.kind === 'refused' ? target.reason : '', /^bad_request: both image and compressed_image/);
});

test('a refusal carries an empty but complete FaceClassificationArray', () => {
  const response = refusal('no_frame: none yet');
  assert.equal(response.success, false);
  assert.equal(response.reason, 'no_frame: none yet');
  assert.deepEqual(response.result, emptyResult());
  assert.deepEqual(Object.keys(response.result).sort(), ['emotion_classes', 'faces', 'gender_classes', 'header', 'image_height', 'image_width', 'latency']);
});
