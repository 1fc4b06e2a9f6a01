/**
 * ROS 2 integration of the ~/classify service, called with `ros2 service call` in a real graph: the
 * empty request before any camera frame answers success=False with the reason; a real photo in the
 * request (a PNG as CompressedImage) gets the faces the library's photo path finds in that photo; a
 * bad image gets the reason; after camera frames the empty request classifies the newest one; the
 * camera topic keeps being answered while calls run; a lifecycle node that is not active answers why.
 * Runs only where ROS 2 and the built workspace are sourced; elsewhere it skips with a loud message.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readColor } from '../../../src/vision/image.js';
import { makeConfig } from '../../../src/config/validate.js';
import { FacePipeline } from '../../../src/pipeline/pipeline.js';
import { matToImageMessage } from '../../../src/messages/face_classification.js';
import { TestClient, rosGraphFile, astronautPng, ros2Async, sharedRoot, sleep, startProcess, uniqueStamp, type FacesMsg, type NodeProcess } from '../../helpers/ros_harness.js';

const MODELS = `${sharedRoot}/models`;
const BRYAN = path.join(sharedRoot, 'testdata', 'photos', 'MAX_Bryan.png');
const { rcl, skip } = await rosGraphFile('ROS 2 ~/classify service tests');

const IMAGE = 'sensor_msgs/msg/Image';
const FACES = 'face_classification/msg/FaceClassificationArray';
const SRV = 'face_classification/srv/Classify';

interface Called {
  ok: boolean;
  success: boolean;
  reason: string;
  stamp: { sec: number; nanosec: number };
  frameId: string;
  faces: { box: [number, number, number, number]; emotion: string; gender: string }[];
}

/** `ros2 service call` and its printed response, parsed. */
async function call(service: string, request: string, timeoutMs = 60_000): Promise<Called & { out: string }> {
  const { out } = await ros2Async(['service', 'call', service, SRV, request], timeoutMs);
  const response = out.slice(out.indexOf('response:'));
  const header = /result=face_classification\.msg\.FaceClassificationArray\(header=std_msgs\.msg\.Header\(stamp=builtin_interfaces\.msg\.Time\(sec=(\d+), nanosec=(\d+)\), frame_id='([^']*)'\)/.exec(response);
  const faces = [...response.matchAll(/x_offset=(\d+), y_offset=(\d+), height=(\d+), width=(\d+).*?emotion='(\w*)'.*?gender='(\w*)'/g)].map((m) => ({
    box: [Number(m[1]), Number(m[2]), Number(m[4]), Number(m[3])] as [number, number, number, number],
    emotion: m[5]!,
    gender: m[6]!,
  }));
  return {
    out,
    ok: response.includes('Classify_Response('),
    success: /Classify_Response\(success=True/.test(response),
    reason: /reason=(['"])(.*?)\1, result=/.exec(response)?.[2] ?? '',
    stamp: { sec: Number(header?.[1] ?? -1), nanosec: Number(header?.[2] ?? -1) },
    frameId: header?.[3] ?? '',
    faces,
  };
}

/** A request with a photo file's bytes as a CompressedImage (`ros2 service call` takes YAML). */
function compressedRequest(file: string, frameId: string): string {
  const bytes = fs.readFileSync(file);
  return `{compressed_image: {header: {frame_id: ${frameId}}, format: ${path.extname(file).slice(1)}, data: [${[...bytes].join(',')}]}}`;
}

describe('~/classify service (ROS 2)', { skip, timeout: 600_000 }, () => {
  let node: NodeProcess | undefined;
  let client: TestClient | undefined;
  let pipeline: FacePipeline | undefined;
  const ns = `/fc_svc_${process.pid}`;
  const fq = `${ns}/face_classification_node`;
  const service = `${fq}/classify`;
  const camera = `${ns}/camera/image`;

  /** The photo path's own faces for a photo, from the library in this process. */
  const expected = (file: string): Called['faces'] => {
    const photo = readColor(file);
    const result = pipeline!.process(photo, 'bgr');
    const faces = result.faces.map((f) => ({ box: [f.box.x, f.box.y, f.box.width, f.box.height] as [number, number, number, number], emotion: f.emotion?.label ?? '', gender: f.gender?.label ?? '' }));
    result.prepared.release();
    photo.release();
    return faces;
  };

  before(async () => {
    node = startProcess('ros2', ['run', 'face_classification', 'face_classification_node', '--ros-args', '-r', `__ns:=${ns}`, '-r', `image:=${camera}`, '-p', `models.directory:=${MODELS}`]);
    client = new TestClient(rcl, `fc_svc_client_${process.pid}`);
    client.subscribe(FACES, `${fq}/faces`);
    pipeline = await FacePipeline.create(makeConfig({ 'models.download': false, 'models.directory': MODELS }), { uses: ['photo'] });
  });

  after(async () => {
    client?.destroy();
    pipeline?.dispose();
    await node?.stop();
    if (process.env.FC_TEST_VERBOSE) process.stdout.write(node?.output() ?? '');
  });

  test('the empty request before any camera frame: success=False, reason no_frame', async () => {
    // The service answers once the models are loaded and the node spins.
    let response: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 60 && !response?.ok; i++) {
      response = await call(service, '{}', 20_000);
      if (!response.ok) await sleep(2000);
    }
    assert.ok(response?.ok, `no response from ${service}: ${response?.out}`);
    assert.equal(response.success, false);
    assert.match(response.reason, /^no_frame: no camera frame received yet on \/fc_svc_\d+\/camera\/image/);
    assert.equal(response.faces.length, 0);
  });

  test('a real photo (PNG, CompressedImage) in the request: the photo path\'s faces', async () => {
    const want = expected(BRYAN);
    assert.ok(want.length >= 1, 'the library finds a face in MAX_Bryan.png');
    const response = await call(service, compressedRequest(BRYAN, 'bryan'));
    assert.equal(response.success, true, response.reason || response.out);
    assert.equal(response.frameId, 'bryan', 'header from the request image');
    assert.deepEqual(response.faces, want);
  });

  test('a bad image: success=False with the reason; the node keeps running', async () => {
    const encoding = await call(service, '{image: {width: 2, height: 1, encoding: 32FC1, step: 8, data: [0, 0, 0, 0, 0, 0, 0, 0]}}');
    assert.equal(encoding.success, false);
    assert.match(encoding.reason, /^unsupported_encoding: .*unsupported encoding "32FC1"/);
    const garbage = await call(service, '{compressed_image: {format: jpeg, data: [1, 2, 3, 4, 5, 6]}}');
    assert.equal(garbage.success, false);
    assert.match(garbage.reason, /^undecodable: /);
    assert.equal(node!.child.exitCode, null, 'node still running');
  });

  test('after camera frames the empty request classifies the newest one', async () => {
    const pub = client!.publisher(IMAGE, camera);
    const bryan = readColor(BRYAN);
    const astronaut = readColor(astronautPng);
    const older = matToImageMessage(bryan, { stamp: uniqueStamp(), frame_id: 'older' });
    assert.ok(await client!.exchange<FacesMsg>(pub, older, `${fq}/faces`, 60_000), 'the camera frame is answered on ~/faces');
    const newest = matToImageMessage(astronaut, { stamp: uniqueStamp(), frame_id: 'newest' });
    assert.ok(await client!.exchange<FacesMsg>(pub, newest, `${fq}/faces`, 30_000));
    const response = await call(service, '{}');
    assert.equal(response.success, true, response.reason || response.out);
    assert.deepEqual(response.stamp, newest.header.stamp, 'the newest frame\'s stamp');
    assert.equal(response.frameId, 'newest');
    assert.deepEqual(response.faces, expected(astronautPng));
    bryan.release();
    astronaut.release();
  });

  test('the camera topic keeps being answered while calls run', async () => {
    const pub = client!.publisher(IMAGE, camera);
    const astronaut = readColor(astronautPng);
    const frame = matToImageMessage(astronaut, { stamp: uniqueStamp(), frame_id: 'flow' });
    const arrivals: number[] = [];
    const seen = new Set<string>();
    const sent = new Set<string>();
    // A 10 Hz camera for the whole time the calls run.
    const timer = setInterval(() => {
      const stamp = uniqueStamp();
      sent.add(`${stamp.sec}.${stamp.nanosec}`);
      pub.publish({ ...frame, header: { stamp, frame_id: 'flow' } });
    }, 100);
    const poll = setInterval(() => {
      for (const m of client!.messages<FacesMsg>(`${fq}/faces`)) {
        const key = `${m.header.stamp.sec}.${m.header.stamp.nanosec}`;
        if (m.header.frame_id === 'flow' && sent.has(key) && !seen.has(key)) {
          seen.add(key);
          arrivals.push(Date.now());
        }
      }
    }, 20);
    await sleep(1500);
    const from = Date.now();
    const calls = [];
    for (let i = 0; i < 3; i++) calls.push(await call(service, compressedRequest(BRYAN, `call${i}`)));
    calls.push(await call(service, '{}'));
    const to = Date.now();
    await sleep(500);
    clearInterval(timer);
    clearInterval(poll);
    astronaut.release();
    for (const response of calls) assert.equal(response.success, true, response.reason || response.out);
    const during = arrivals.filter((t) => t >= from && t <= to);
    const gaps = during.slice(1).map((t, i) => t - during[i]!);
    const maxGap = Math.max(0, ...gaps, during.length ? during[0]! - from : Infinity, during.length ? to - during[during.length - 1]! : Infinity);
    // Each call takes ~2 s of `ros2` start-up and tens of ms of work in the node: at 10 Hz the answers never pause for long.
    assert.ok(during.length >= ((to - from) / 1000) * 2, `camera answers during ${to - from} ms of calls: ${during.length}`);
    assert.ok(maxGap < 2000, `longest pause in camera answers during the calls: ${maxGap} ms`);
  });
});

describe('~/classify of a lifecycle node that is not active (ROS 2)', { skip, timeout: 300_000 }, () => {
  let node: NodeProcess | undefined;
  const ns = `/fc_svc_life_${process.pid}`;

  before(() => {
    node = startProcess('ros2', ['run', 'face_classification', 'face_classification_node', '--lifecycle', '--ros-args', '-r', `__ns:=${ns}`, '-p', `models.directory:=${MODELS}`]);
  });

  after(async () => {
    await node?.stop();
  });

  test('unconfigured: success=False, reason inactive, and the node keeps running', async () => {
    let response: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 30 && !response?.ok; i++) {
      response = await call(`${ns}/face_classification_node/classify`, '{}', 20_000);
      if (!response.ok) await sleep(1000);
    }
    assert.ok(response?.ok, response?.out);
    assert.equal(response.success, false);
    assert.match(response.reason, /^inactive: the node is not configured/);
    assert.equal(node!.child.exitCode, null);
  });
});

after(() => {
  if (!skip && !rcl.isShutdown()) rcl.shutdown();
});
