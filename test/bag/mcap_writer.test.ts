/**
 * The output bag's writer: a temporary name beside the target until complete, then a rename; an
 * aborted write leaves the target as it was. Schemas hold rosbag2's full definitions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { McapBagWriter, DEFAULT_QOS } from '../../src/bag/mcap_writer.js';
import { encodeCdr, decodeCdr } from '../../src/bag/codec.js';
import { fullDefinition } from '../../src/bag/definitions.js';
import { repoRoot, scratchDir } from '../helpers/common.js';

const dir = scratchDir('bag-writer');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

const partials = (): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.partial'));

test('written under a temporary name, renamed onto the target when finished', async () => {
  const target = path.join(dir, 'out.mcap');
  const writer = await McapBagWriter.create(target);
  await writer.channel({ topic: '/faces', type: 'face_classification/msg/FaceClassificationArray', serialization: 'cdr', qos: DEFAULT_QOS });
  const message = { header: { stamp: { sec: 3, nanosec: 4 }, frame_id: 'cam' }, image_width: 640, image_height: 480, faces: [], emotion_classes: ['happy'], gender_classes: [], latency: { sec: 0, nanosec: 5 } };
  await writer.write('/faces', 10n, 11n, encodeCdr('face_classification/msg/FaceClassificationArray', message));
  assert.ok(!fs.existsSync(target), 'no target while writing');
  assert.equal(partials().length, 1);
  await writer.finish();
  assert.ok(fs.existsSync(target));
  assert.deepEqual(partials(), []);
  const handle = await fs.promises.open(target, 'r');
  const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle) });
  const schema = [...reader.schemasById.values()][0]!;
  assert.equal(schema.encoding, 'ros2msg');
  assert.equal(new TextDecoder().decode(schema.data), fullDefinition('face_classification/msg/FaceClassificationArray'));
  assert.equal([...reader.channelsById.values()][0]!.metadata.get('offered_qos_profiles'), DEFAULT_QOS);
  const read = [];
  for await (const m of reader.readMessages()) read.push(m);
  await handle.close();
  assert.equal(read.length, 1);
  assert.equal(read[0]!.logTime, 10n);
  assert.deepEqual(decodeCdr('face_classification/msg/FaceClassificationArray', read[0]!.data), message);
});

test('an aborted write leaves an existing target as it was and no temporary file', async () => {
  const target = path.join(dir, 'kept.mcap');
  fs.writeFileSync(target, 'earlier output');
  const writer = await McapBagWriter.create(target);
  await writer.channel({ topic: '/x', type: 'sensor_msgs/msg/Image', serialization: 'cdr', qos: DEFAULT_QOS });
  await writer.abort();
  assert.equal(fs.readFileSync(target, 'utf8'), 'earlier output');
  assert.deepEqual(partials(), []);
});

test('full definitions are laid out as rosbag2 writes them: the type, then each dependency once after a line of 80 = and MSG:', () => {
  const text = fullDefinition('vision_msgs/msg/Detection2DArray');
  const sections = text.split(`\n${'='.repeat(80)}\n`);
  const names = sections.slice(1).map((s) => s.split('\n')[0]);
  assert.ok(names.every((n) => n!.startsWith('MSG: ')));
  assert.equal(new Set(names).size, names.length, 'each dependency once');
  // vision_msgs 4.1 (Humble): BoundingBox2D's centre is a vision_msgs/Pose2D of a Point2D, hypotheses nest ObjectHypothesis.
  for (const dep of ['std_msgs/Header', 'builtin_interfaces/Time', 'vision_msgs/Detection2D', 'vision_msgs/BoundingBox2D', 'vision_msgs/Pose2D', 'vision_msgs/Point2D', 'vision_msgs/ObjectHypothesisWithPose', 'vision_msgs/ObjectHypothesis', 'geometry_msgs/PoseWithCovariance', 'geometry_msgs/Pose', 'geometry_msgs/Point', 'geometry_msgs/Quaternion']) {
    assert.ok(names.includes(`MSG: ${dep}`), dep);
  }
  assert.equal(sections[0], fs.readFileSync(path.join(repoRoot, 'third_party', 'ros_msgs', 'vision_msgs', 'msg', 'Detection2DArray.msg'), 'utf8'));
});
