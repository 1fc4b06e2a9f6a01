import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StampOrder } from '../../src/bag/stamp_order.js';
import { cameraTopics } from '../../src/bag/output_topics.js';

test('StampOrder: frames leave earliest stamp first once the window is full, ties in recording order, the rest at drain', () => {
  const order = new StampOrder<{ stampNs: bigint; order: number }>(2);
  const stamps = [5n, 3n, 4n, 1n, 3n, 9n];
  const out: number[] = [];
  stamps.forEach((stampNs, i) => {
    const left = order.push({ stampNs, order: i });
    if (left) out.push(left.order);
  });
  out.push(...order.drain().map((f) => f.order));
  // Window 2: 5,3,4 -> 3 leaves; then 1 -> 1 leaves; 3 -> 3 (order 4) leaves; 9 -> 4 leaves; drain 5, 9.
  assert.deepEqual(out, [1, 3, 4, 2, 0, 5]);
  assert.deepEqual(order.drain(), []);
});

test('cameraTopics: namespaces as the launch file\'s cameras:= gives them, /compressed stripped; two cameras of one namespace keep their whole topic', () => {
  const topics = cameraTopics(['/head/image_raw', '/arm/image_raw/compressed', '/stereo/left', '/stereo/right', '/image_raw']);
  assert.equal(topics.get('/head/image_raw')!.faces, '/head/face_classification_node/faces');
  assert.equal(topics.get('/arm/image_raw/compressed')!.debugImage, '/arm/face_classification_node/debug_image');
  assert.equal(topics.get('/stereo/left')!.detections, '/stereo/left/face_classification_node/detections');
  assert.equal(topics.get('/stereo/right')!.genderDetections, '/stereo/right/face_classification_node/detections/gender');
  assert.equal(topics.get('/image_raw')!.faces, '/image_raw/face_classification_node/faces');
  assert.equal(cameraTopics(['/robot/arm/image_raw']).get('/robot/arm/image_raw')!.faces, '/robot/arm/face_classification_node/faces');
});
