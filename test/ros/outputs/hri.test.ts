/**
 * The REP-155 output's per-face topics over a real detect-and-track stream (real faces moved through
 * a real background, the released models): created when a track is confirmed, destroyed when it is
 * dropped, the tracked list in step; and the standard outputs switched off, said once, when their
 * message package is missing. Publishers are recorded instead of sent, so no ROS is needed; the ROS
 * integration test (test/ros/graph/outputs.test.ts) checks the same in a real graph.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { FacePipeline, type FrameResult } from '../../../src/pipeline/pipeline.js';
import { makeConfig } from '../../../src/config/validate.js';
import { defaultRosConfig } from '../../../src/config/ros_schema.js';
import { Scene, loadFacePatches, photoBackground } from '../../../src/bench/scene.js';
import { HriOutput } from '../../../src/ros/outputs/hri.js';
import { createStandardOutputs } from '../../../src/ros/outputs/create.js';
import type { PublisherFactory } from '../../../src/ros/outputs/frame_output.js';
import type { ImageMsg } from '../../../src/messages/face_classification.js';
import type { IdsListMsg, NormalizedRoiMsg, SoftBiometricsMsg, ExpressionMsg } from '../../../src/messages/hri.js';
import type { RclNode, RclPublisher, RclQoS, Rclnodejs } from '../../../src/ros/runtime/rclnodejs_api.js';
import { silentLogger } from '../../../src/log.js';
import { photos, testBackend } from '../../helpers/common.js';

class RecordedPublisher implements RclPublisher {
  subscriptionCount = 0;
  readonly messages: object[] = [];
  destroyed = false;
  constructor(readonly type: string, readonly topic: string, readonly qos: RclQoS | undefined) {}
  publish(message: object): void {
    if (this.destroyed) throw new Error(`${this.topic}: publish after destroy`);
    this.messages.push(message);
  }
}

class RecordingFactory implements PublisherFactory {
  readonly all: RecordedPublisher[] = [];
  create(type: string, topic: string, qos?: RclQoS): RecordedPublisher {
    const publisher = new RecordedPublisher(type, topic, qos);
    this.all.push(publisher);
    return publisher;
  }
  destroy(publisher: RclPublisher): void {
    (publisher as RecordedPublisher).destroyed = true;
  }
  live(): RecordedPublisher[] {
    return this.all.filter((p) => !p.destroyed);
  }
  topic(name: string): RecordedPublisher | undefined {
    return [...this.all].reverse().find((p) => p.topic === name);
  }
}

const W = 480;
const H = 360;
const FRAMES = 30;
const AWAY: [number, number] = [10, 20];
const MAX_MISSED = 2;
const CONFIRM = 3;

test('per-face topics appear when a track is confirmed and go when it is dropped; tracked list in step; a returning face gets new topics', async () => {
  await testBackend();
  const patches = loadFacePatches(photos);
  const background = photoBackground(path.join(photos, 'skimage_astronaut.png'), W, H)!;
  const scene = new Scene({ width: W, height: H, frames: FRAMES, faces: [{ patch: 0, from: { x: 0.35, y: 0.45, size: 150 }, to: { x: 0.6, y: 0.5, size: 170 }, enter: 0, leave: FRAMES, away: AWAY }] }, patches, background);
  const pipeline = await FacePipeline.create(makeConfig({ 'models.download': false, 'tracking.confirm_frames': CONFIRM, 'tracking.max_missed': MAX_MISSED }));
  const stream = pipeline.stream();
  const factory = new RecordingFactory();
  const qos = { latched: true };
  const output = new HriOutput({ factory, qos, labels: () => ({ emotion: pipeline.heads.emotion?.labels, gender: pipeline.heads.gender?.labels }), detectionConfidence: () => 1, now: () => ({ stamp: { sec: 99, nanosec: 0 }, frame_id: '' }), log: silentLogger });
  const tracked = factory.topic('/humans/faces/tracked')!;
  assert.equal(tracked.type, 'hri_msgs/msg/IdsList');

  const live = new Set<number>();
  const everConfirmed = new Set<number>();
  const results: FrameResult[] = [];
  try {
    for (let i = 0; i < FRAMES; i++) {
      const result = await stream.process(scene.frame(i));
      results.push(result);
      const header = { stamp: { sec: 1000 + i, nanosec: 0 }, frame_id: 'scene' };
      output.publish(result, header);
      await new Promise((resolve) => setImmediate(resolve));

      for (const id of result.droppedTracks) live.delete(id);
      for (const face of result.faces) if (face.confirmed) (live.add(face.trackId), everConfirmed.add(face.trackId));
      const ids = (tracked.messages.at(-1) as IdsListMsg);
      assert.deepEqual(ids.header, header, `frame ${i}: tracked list carries the image header`);
      assert.deepEqual(ids.ids, [...live].map((t) => `f${t}`), `frame ${i}: tracked list = confirmed, not dropped tracks`);
      const liveTopics = factory.live().filter((p) => p !== tracked).map((p) => p.topic).sort();
      assert.deepEqual(liveTopics, [...live].flatMap((t) => ['cropped', 'expression', 'roi', 'softbiometrics'].map((s) => `/humans/faces/f${t}/${s}`)).sort(), `frame ${i}: per-face publishers`);
      for (const face of result.faces.filter((f) => f.confirmed)) {
        const roi = factory.topic(`/humans/faces/f${face.trackId}/roi`)!.messages.at(-1) as NormalizedRoiMsg;
        assert.deepEqual(roi.header, header);
        assert.ok(Math.abs(roi.xmin * W - face.box.x) < 1e-3 && Math.abs(roi.ymax * H - (face.box.y + face.box.height)) < 1e-3, `frame ${i}: roi = box / image size`);
        const expression = factory.topic(`/humans/faces/f${face.trackId}/expression`)!.messages.at(-1) as ExpressionMsg;
        assert.equal(expression.confidence, face.emotion!.confidence);
        const bio = factory.topic(`/humans/faces/f${face.trackId}/softbiometrics`)!.messages.at(-1) as SoftBiometricsMsg;
        assert.equal(bio.gender, face.gender!.label === 'woman' ? 1 : 2);
      }
      // Someone subscribes to the crop of a live face: from the next frame it is published.
      for (const t of live) factory.topic(`/humans/faces/f${t}/cropped`)!.subscriptionCount = 1;
    }
  } finally {
    stream.dispose();
    pipeline.dispose();
  }

  // The scene: the face before it leaves and after it comes back are two tracks, each confirmed, the first dropped while away.
  const before = results[AWAY[0] - 1]!.faces;
  const after = results[FRAMES - 1]!.faces;
  assert.equal(before.length, 1, 'face found before it leaves');
  assert.equal(after.length, 1, 'face found after it returns');
  const first = before[0]!.trackId;
  const second = after[0]!.trackId;
  assert.notEqual(first, second, 'a face away for more than max_missed frames comes back with a new id');
  assert.ok(everConfirmed.has(first) && everConfirmed.has(second));
  const droppedAt = results.findIndex((r) => r.droppedTracks.includes(first));
  assert.ok(droppedAt >= AWAY[0] && droppedAt <= AWAY[0] + MAX_MISSED + 1, `first track dropped at frame ${droppedAt}, while away`);
  assert.ok(factory.all.filter((p) => p.topic.startsWith(`/humans/faces/f${first}/`)).every((p) => p.destroyed), 'first face: all its publishers destroyed');
  const unconfirmedFrames = results.slice(0, CONFIRM - 1);
  assert.ok(unconfirmedFrames.every((r) => r.faces.every((f) => !f.confirmed)), 'nothing confirmed before confirm_frames frames');
  assert.ok(factory.all.every((p) => p.qos === qos), 'every topic with the latched QoS');
  const crop = factory.topic(`/humans/faces/f${second}/cropped`)!.messages.at(-1) as ImageMsg | undefined;
  assert.ok(crop, 'a subscribed crop is published');
  assert.deepEqual([crop.width, crop.height, crop.encoding], [128, 128, 'bgr8']);
  assert.equal(factory.topic(`/humans/faces/f${first}/cropped`)!.messages.length > 0, true);

  // Stop: the remaining face's topics go and the tracked list is emptied.
  output.destroy();
  assert.deepEqual(factory.live(), []);
  assert.deepEqual((tracked.messages.at(-1) as IdsListMsg).ids, []);
});

test('a missing message package: the output is off, said once per process, the others still made', () => {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
  class QoS {
    static readonly HistoryPolicy = { RMW_QOS_POLICY_HISTORY_KEEP_LAST: 1 };
    static readonly ReliabilityPolicy = { RMW_QOS_POLICY_RELIABILITY_RELIABLE: 1, RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT: 2 };
    static readonly DurabilityPolicy = { RMW_QOS_POLICY_DURABILITY_VOLATILE: 2, RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: 1 };
    static readonly profileSensorData = 'sensor';
  }
  const rcl = { require: (name: string) => { if (name.startsWith('hri_msgs/')) throw new Error(`no ${name}`); return {}; }, QoS } as unknown as Rclnodejs;
  const managed = new RecordingFactory();
  const plain = new RecordingFactory();
  const node = { createPublisher: (type: string, topic: string) => plain.create(type, topic), destroyPublisher: (p: RclPublisher) => plain.destroy(p), now: () => ({ secondsAndNanoseconds: { seconds: 0, nanoseconds: 0 } }) } as unknown as RclNode;
  const ros = { ...defaultRosConfig(), 'outputs.hri': true };
  for (let configure = 0; configure < 2; configure++) {
    const outputs = createStandardOutputs({ rcl, node, ros, managed, labels: () => ({}), scoreIsProbability: false, log });
    assert.equal(outputs.outputs.length, 1, 'vision_msgs made, hri off');
    outputs.destroy();
  }
  const warnings = lines.map((l) => JSON.parse(l) as { msg: string; output?: string; reason?: string }).filter((l) => l.output === 'outputs.hri');
  assert.equal(warnings.length, 1, 'said once');
  assert.match(warnings[0]!.reason!, /hri_msgs\/msg\/IdsList.*install hri_msgs \(ros-\$ROS_DISTRO-hri-msgs/);
  assert.deepEqual(managed.all.map((p) => p.topic), ['~/detections', '~/detections/gender', '~/detections', '~/detections/gender']);
  assert.deepEqual(plain.all, [], 'no REP-155 topic created');
});

test('an output whose publishers cannot be created (type support missing) is off too, with the reason', () => {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
  const rcl = { require: () => ({}) } as unknown as Rclnodejs;
  const managed: PublisherFactory = { create: (type: string) => { throw new Error(`cannot load type support for ${type}`); }, destroy: () => undefined };
  const node = {} as RclNode;
  const outputs = createStandardOutputs({ rcl, node, ros: defaultRosConfig(), managed, labels: () => ({}), scoreIsProbability: false, log });
  assert.equal(outputs.outputs.length, 0, 'vision_msgs off; hri off by default');
  const warning = lines.map((l) => JSON.parse(l) as { output?: string; reason?: string }).find((l) => l.output === 'outputs.vision_msgs');
  assert.match(warning?.reason ?? '', /publishers cannot be created: cannot load type support for vision_msgs\/msg\/Detection2DArray/);
});
