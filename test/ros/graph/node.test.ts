/**
 * ROS 2 integration: the installed node answers images in every input form with one happy woman for
 * the astronaut photo, keeps the input's stamp and frame_id, publishes the debug image while
 * subscribed, takes runtime parameter changes (and refuses bad ones with the reason), skips malformed
 * frames and keeps answering, walks the lifecycle, and the launch file starts it. Runs only where
 * ROS 2 and the built workspace are sourced; elsewhere it skips with a loud message.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cv } from '../../../src/vision/opencv.js';
import { readColor } from '../../../src/vision/image.js';
import { matToImageMessage } from '../../../src/messages/face_classification.js';
import { TestClient, rosGraphFile, astronautPng, ros2, sharedRoot, sleep, startProcess, uniqueStamp, type FacesMsg, type ImageMsgIn, type NodeProcess } from '../../helpers/ros_harness.js';

const MODELS = `${sharedRoot}/models`;
const { rcl, skip } = await rosGraphFile('ROS 2 integration tests');

/** First answer includes loading the models and warming the backend. */
const FIRST_ANSWER_MS = 120_000;
const ANSWER_MS = 30_000;

const IMAGE = 'sensor_msgs/msg/Image';
const COMPRESSED = 'sensor_msgs/msg/CompressedImage';
const FACES = 'face_classification/msg/FaceClassificationArray';

function photoMessages() {
  const bgr = readColor(astronautPng);
  const header = (): { stamp: { sec: number; nanosec: number }; frame_id: string } => ({ stamp: uniqueStamp(), frame_id: 'astronaut_camera' });
  return {
    bgr8: () => matToImageMessage(bgr, header()),
    rgb8: () => ({ ...matToImageMessage(bgr.cvtColor(cv.COLOR_BGR2RGB), header()), encoding: 'rgb8' }),
    mono8: () => matToImageMessage(bgr.cvtColor(cv.COLOR_BGR2GRAY), header()),
    jpeg: () => ({ header: header(), format: 'jpeg', data: new Uint8Array(cv.imencode('.jpg', bgr, [cv.IMWRITE_JPEG_QUALITY, 90])) }),
    size: { width: bgr.cols, height: bgr.rows },
  };
}

function assertHappyWoman(answer: FacesMsg | undefined, sent: { header: { stamp: { sec: number; nanosec: number }; frame_id: string } }, what: string): void {
  assert.ok(answer, `${what}: no FaceClassificationArray with the input's stamp`);
  assert.deepEqual(answer.header, sent.header, `${what}: header copied from the input`);
  assert.equal(answer.faces.length, 1, `${what}: one face`);
  assert.equal(answer.faces[0]!.emotion, 'happy', `${what}: emotion`);
  assert.equal(answer.faces[0]!.gender, 'woman', `${what}: gender`);
  assert.equal(answer.faces[0]!.emotion_scores.length, answer.emotion_classes.length);
}

describe('face_classification node (ROS 2)', { skip, timeout: 600_000 }, () => {
  let node: NodeProcess | undefined;
  let client: TestClient | undefined;
  const ns = `/fc_test_${process.pid}`;
  const fq = `${ns}/face_classification_node`;
  const photo = !skip ? photoMessages() : undefined;

  before(async () => {
    node = startProcess('ros2', ['run', 'face_classification', 'face_classification_node', '--ros-args', '-r', `__ns:=${ns}`, '-r', `image:=${ns}/camera/image`, '-p', `models.directory:=${MODELS}`], { FACE_CLASSIFICATION_LOG_LEVEL: 'info' });
    client = new TestClient(rcl, `fc_test_client_${process.pid}`);
    client.subscribe(FACES, `${fq}/faces`);
  });

  after(async () => {
    client?.destroy();
    await node?.stop();
    if (process.env.FC_TEST_VERBOSE) process.stdout.write(node?.output() ?? '');
  });

  test('bgr8, rgb8, mono8: one face, happy woman, same stamp and frame_id', async () => {
    const pub = client!.publisher(IMAGE, `${ns}/camera/image`);
    for (const encoding of ['bgr8', 'rgb8', 'mono8'] as const) {
      const msg = photo![encoding]();
      const answer = await client!.exchange<FacesMsg>(pub, msg, `${fq}/faces`, encoding === 'bgr8' ? FIRST_ANSWER_MS : ANSWER_MS);
      assertHappyWoman(answer, msg, encoding);
    }
    assert.match(node!.output(), /listening/);
  });

  test('debug image is published while subscribed', async () => {
    client!.subscribe(IMAGE, `${fq}/debug_image`);
    await sleep(1000);
    const msg = photo!.bgr8();
    const debug = await client!.exchange<ImageMsgIn>(client!.publisher(IMAGE, `${ns}/camera/image`), msg, `${fq}/debug_image`, ANSWER_MS);
    assert.ok(debug, 'a debug image with the input stamp');
    assert.equal(debug.encoding, 'bgr8');
    assert.equal(debug.width, photo!.size.width);
    assert.equal(debug.height, photo!.size.height);
  });

  test('a runtime parameter change takes effect; a bad value is refused with the reason', async () => {
    const off = ros2(['param', 'set', fq, 'emotion.enabled', 'false']);
    assert.match(off.out, /Set parameter successful/);
    const msg = photo!.bgr8();
    const answer = await client!.exchange<FacesMsg>(client!.publisher(IMAGE, `${ns}/camera/image`), msg, `${fq}/faces`, ANSWER_MS);
    assert.ok(answer);
    assert.equal(answer.faces[0]!.emotion, '', 'emotion head switched off');
    assert.equal(answer.faces[0]!.gender, 'woman');
    const bad = ros2(['param', 'set', fq, 'haar.scale_factor', '5.0']);
    assert.match(bad.out, /Setting parameter failed.*haar.scale_factor: must be between 1.01 and 3/);
    const wrongType = ros2(['param', 'set', fq, 'haar.scale_factor', '2']);
    assert.match(wrongType.out, /must be a double, got an integer/);
    const readOnly = ros2(['param', 'set', fq, 'emotion.model', 'tiny_XCEPTION_KDEF']);
    assert.match(readOnly.out, /Setting parameter failed/);
    assert.match(ros2(['param', 'get', fq, 'haar.scale_factor']).out, /1\.3/);
    assert.match(ros2(['param', 'set', fq, 'emotion.enabled', 'true']).out, /successful/);
    const described = ros2(['param', 'describe', fq, 'haar.scale_factor']).out;
    assert.match(described, /Min value: 1.01/);
    assert.match(described, /Max value: 3.0/);
  });

  test('malformed images are skipped and the node keeps answering', async () => {
    const pub = client!.publisher(IMAGE, `${ns}/camera/image`);
    const good = photo!.bgr8();
    pub.publish({ ...good, header: { stamp: uniqueStamp(), frame_id: 'bad' }, data: (good.data as Uint8Array).subarray(0, good.step * good.height - 7) });
    pub.publish({ ...good, header: { stamp: uniqueStamp(), frame_id: 'bad' }, encoding: '32FC1' });
    await sleep(1500);
    const msg = photo!.bgr8();
    assertHappyWoman(await client!.exchange<FacesMsg>(pub, msg, `${fq}/faces`, ANSWER_MS), msg, 'after malformed frames');
    assert.equal(client!.messages<FacesMsg>(`${fq}/faces`).filter((m) => m.header.frame_id === 'bad').length, 0, 'no answer for malformed frames');
    assert.match(node!.output(), /frame skipped/);
    assert.match(node!.output(), /unsupported encoding "32FC1"/);
    assert.equal(node!.child.exitCode, null, 'node still running');
  });
});

describe('face_classification lifecycle node (ROS 2)', { skip, timeout: 600_000 }, () => {
  let node: NodeProcess | undefined;
  let client: TestClient | undefined;
  const ns = `/fc_life_${process.pid}`;
  const fq = `${ns}/face_classification_node`;

  before(() => {
    node = startProcess('ros2', ['run', 'face_classification', 'face_classification_node', '--lifecycle', '--ros-args', '-r', `__ns:=${ns}`, '-r', `image:=${ns}/image`, '-p', `models.directory:=${MODELS}`]);
    client = new TestClient(rcl, `fc_life_client_${process.pid}`);
    client.subscribe(FACES, `${fq}/faces`);
  });

  after(async () => {
    client?.destroy();
    await node?.stop();
  });

  test('configure, activate, deactivate, cleanup with ros2 lifecycle', async () => {
    const photo = photoMessages();
    const pub = client!.publisher(IMAGE, `${ns}/image`);
    let state = '';
    for (let i = 0; i < 30 && !state.includes('unconfigured'); i++) {
      state = ros2(['lifecycle', 'get', fq], 20_000).out;
      if (!state.includes('unconfigured')) await sleep(1000);
    }
    assert.match(state, /unconfigured \[1\]/);
    assert.match(ros2(['lifecycle', 'set', fq, 'configure'], 180_000).out, /Transitioning successful/);
    assert.match(ros2(['lifecycle', 'get', fq]).out, /inactive \[2\]/);
    // Inactive: no subscription, no answer.
    assert.equal(await client!.exchange<FacesMsg>(pub, photo.bgr8(), `${fq}/faces`, 3000), undefined);
    assert.match(ros2(['lifecycle', 'set', fq, 'activate']).out, /Transitioning successful/);
    const msg = photo.bgr8();
    assertHappyWoman(await client!.exchange<FacesMsg>(pub, msg, `${fq}/faces`, FIRST_ANSWER_MS), msg, 'active');
    assert.match(ros2(['lifecycle', 'set', fq, 'deactivate']).out, /Transitioning successful/);
    assert.equal(await client!.exchange<FacesMsg>(pub, photo.bgr8(), `${fq}/faces`, 3000), undefined, 'deactivated: no answer');
    assert.match(ros2(['lifecycle', 'set', fq, 'cleanup']).out, /Transitioning successful/);
    assert.match(ros2(['lifecycle', 'get', fq]).out, /unconfigured \[1\]/);
  });
});

describe('face_classification.launch.py (ROS 2)', { skip, timeout: 600_000 }, () => {
  let launch: NodeProcess | undefined;
  let client: TestClient | undefined;
  const ns = `fc_launch_${process.pid}`;
  const fq = `/${ns}/face_classification_node`;

  before(() => {
    launch = startProcess('ros2', ['launch', 'face_classification', 'face_classification.launch.py', `namespace:=${ns}`, `image:=/${ns}/camera/image`, 'compressed:=true', 'lifecycle:=true', 'autostart:=true', `models_directory:=${MODELS}`]);
    client = new TestClient(rcl, `fc_launch_client_${process.pid}`);
    client.subscribe(FACES, `${fq}/faces`);
  });

  after(async () => {
    client?.destroy();
    await launch?.stop();
  });

  test('lifecycle node auto-activated by the launch file answers a compressed JPEG', async () => {
    const photo = photoMessages();
    const msg = photo.jpeg();
    const answer = await client!.exchange<FacesMsg>(client!.publisher(COMPRESSED, `/${ns}/camera/image/compressed`), msg, `${fq}/faces`, FIRST_ANSWER_MS);
    assertHappyWoman(answer, msg, 'compressed JPEG via launch');
    assert.match(ros2(['lifecycle', 'get', fq]).out, /active \[3\]/);
  });
});

after(() => {
  if (!skip && !rcl.isShutdown()) rcl.shutdown();
});
