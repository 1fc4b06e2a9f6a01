/**
 * Offline bags in a real ROS 2 graph: images published by a real node (astronaut, raw and JPEG) are
 * recorded with `ros2 bag record` in MCAP and in sqlite3; `face-classification bag` answers them;
 * `ros2 bag play` of each output reaches a subscriber with every result topic, one message per
 * recorded frame, stamped with the recorded images' stamps. Needs rosbag2 (`ros2 bag`) with the mcap
 * storage; skips loudly without it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cv } from '../../../src/vision/opencv.js';
import { readColor } from '../../../src/vision/image.js';
import { matToImageMessage } from '../../../src/messages/face_classification.js';
import { TestClient, rosGraphFile, astronautPng, ros2Async, sleep, startProcess, uniqueStamp, waitFor, type NodeProcess, type StampedMsg } from '../../helpers/ros_harness.js';
import { runCli } from '../../helpers/run_cli.js';
import { scratchDir } from '../../helpers/common.js';

const RAW = '/bagtest/head/image_raw';
const JPEG = '/bagtest/arm/image_raw/compressed';
const OUTPUTS = ['faces', 'detections', 'detections/gender', 'debug_image'] as const;
const OUTPUT_TYPES: Record<(typeof OUTPUTS)[number], string> = {
  faces: 'face_classification/msg/FaceClassificationArray',
  detections: 'vision_msgs/msg/Detection2DArray',
  'detections/gender': 'vision_msgs/msg/Detection2DArray',
  debug_image: 'sensor_msgs/msg/Image',
};

/** rosbag2 with its MCAP plugin: ros2 bag record and play. */
function rosbagMissing(): string | undefined {
  const storages = spawnSync('ros2', ['bag', 'list', 'storage'], { encoding: 'utf8', timeout: 30_000 });
  if (storages.status !== 0) return 'rosbag2 is not installed (`ros2 bag` does not run): the ROS half of the bag tests cannot run';
  if (!storages.stdout.includes('mcap')) return 'rosbag2 has no mcap storage plugin (rosbag2_storage_mcap)';
  return undefined;
}
const { rcl, skip } = await rosGraphFile('ROS 2 bags: record, face-classification bag, play', rosbagMissing);

const stampKey = (m: StampedMsg): string => `${m.header.stamp.sec}.${m.header.stamp.nanosec}`;

describe('ROS 2 bags: record, face-classification bag, play', { skip: skip || undefined }, () => {
  const dir = skip ? '' : scratchDir('rosbag');
  let client: TestClient;

  before(() => {
    client = new TestClient(rcl, `bag_test_${process.pid}`);
  });
  after(() => {
    client?.destroy();
    rcl.shutdown();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('images recorded in MCAP and sqlite3 are answered, and the outputs play back with their counts and stamps', { timeout: 600_000 }, async () => {
    const bgr = readColor(astronautPng);
    const raw = client.publisher('sensor_msgs/msg/Image', RAW);
    const jpeg = client.publisher('sensor_msgs/msg/CompressedImage', JPEG);
    const jpegBytes = new Uint8Array(cv.imencode('.jpg', bgr, [cv.IMWRITE_JPEG_QUALITY, 90]));
    const recorders: NodeProcess[] = ['mcap', 'sqlite3'].map((storage) => startProcess('ros2', ['bag', 'record', '-s', storage, '-o', path.join(dir, `rec_${storage}`), RAW, JPEG]));
    // The recorders subscribe once they discover the publishers: under load that takes seconds.
    const subscribed = await waitFor(() => raw.subscriptionCount >= 2 && jpeg.subscriptionCount >= 2, 30_000);
    assert.ok(subscribed, `both recorders subscribed to both topics\n${recorders.map((r) => r.output()).join('\n')}`);
    await sleep(500);
    const published = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const header = { stamp: uniqueStamp(), frame_id: 'camera' };
      raw.publish(matToImageMessage(bgr, header));
      jpeg.publish({ header, format: 'jpeg', data: jpegBytes });
      published.add(`${header.stamp.sec}.${header.stamp.nanosec}`);
      await sleep(100);
    }
    await sleep(1500);
    for (const recorder of recorders) await recorder.stop();

    for (const storage of ['mcap', 'sqlite3']) {
      const bag = path.join(dir, `rec_${storage}`);
      assert.ok(fs.existsSync(path.join(bag, 'metadata.yaml')), `${storage}: ros2 bag record wrote a bag\n${recorders.map((r) => r.output()).join('\n')}`);
      const out = path.join(dir, `out_${storage}.mcap`);
      const run = runCli(['bag', bag, '--out', out, '--json'], { timeout: 300_000 });
      assert.equal(run.status, 0, run.stderr);
      const frames = run.lines.filter((l) => 'frame' in l);
      const recorded = new Map<string, Set<string>>();
      for (const f of frames) {
        const stamp = f['stamp'] as { sec: number; nanosec: number };
        const key = `${stamp.sec}.${stamp.nanosec}`;
        assert.ok(published.has(key), `${storage}: answered stamp ${key} was published`);
        if (!recorded.has(f['topic'] as string)) recorded.set(f['topic'] as string, new Set());
        recorded.get(f['topic'] as string)!.add(key);
      }
      assert.ok((recorded.get(RAW)?.size ?? 0) >= 20, `${storage}: most raw frames recorded and answered (${recorded.get(RAW)?.size})`);
      assert.ok((recorded.get(JPEG)?.size ?? 0) >= 20, `${storage}: most JPEG frames recorded and answered (${recorded.get(JPEG)?.size})`);
      assert.ok(frames.filter((f) => f['topic'] === RAW).every((f) => (f['faces'] as unknown[]).length >= 1), `${storage}: the astronaut found in every raw frame`);

      const listen = new TestClient(rcl, `bag_listen_${storage}_${process.pid}`);
      try {
        const topics: [string, string, string][] = [];
        for (const [camera, namespace] of [[RAW, '/bagtest/head'], [JPEG, '/bagtest/arm']] as const) {
          for (const name of OUTPUTS) topics.push([camera, `${namespace}/face_classification_node/${name}`, OUTPUT_TYPES[name]]);
        }
        // Reliable, keep last 100: nothing played back is dropped by a slow test process.
        const { QoS } = rcl;
        const qos = new QoS(QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST, 100, QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE, QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE);
        for (const [, topic, type] of topics) listen.subscribe(type, topic, qos);
        // Played without blocking this process, so its subscriptions take messages as they come.
        const play = await ros2Async(['bag', 'play', '-s', 'mcap', '--delay', '3', out], 180_000);
        assert.equal(play.status, 0, play.out);
        await waitFor(() => topics.every(([camera, topic]) => listen.messages(topic).length >= recorded.get(camera)!.size), 20_000);
        for (const [camera, topic] of topics) {
          const got = listen.messages(topic).map(stampKey);
          assert.equal(got.length, recorded.get(camera)!.size, `${storage}: ${topic} played back, one message per recorded frame`);
          assert.deepEqual(new Set(got), recorded.get(camera), `${storage}: ${topic} carries the recorded images' stamps`);
        }
      } finally {
        listen.destroy();
      }
    }
  });
});
