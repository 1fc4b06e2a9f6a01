/**
 * ROS 2 integration of the launch file's several-camera form: `cameras:="[<ns>/head/image_raw,
 * <ns>/arm/image_raw]"` starts one node per camera, each in the namespace of its topic without the
 * last name, with the same params file; each answers its own camera on its own ~/faces and offers
 * its own ~/classify. A duplicate namespace is refused with the reason. Runs only where ROS 2 and the
 * built workspace are sourced; elsewhere it skips with a loud message.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readColor } from '../../../src/vision/image.js';
import { matToImageMessage } from '../../../src/messages/face_classification.js';
import { TestClient, rosGraphFile, astronautPng, ros2, sharedRoot, startProcess, uniqueStamp, waitFor, type FacesMsg, type NodeProcess } from '../../helpers/ros_harness.js';

const MODELS = `${sharedRoot}/models`;
const { rcl, skip } = await rosGraphFile('ROS 2 several-camera launch tests');

const IMAGE = 'sensor_msgs/msg/Image';
const FACES = 'face_classification/msg/FaceClassificationArray';
/** Two nodes load their models at once on a shared machine. */
const FIRST_ANSWER_MS = 180_000;

describe('face_classification.launch.py cameras:=[...] (ROS 2)', { skip, timeout: 600_000 }, () => {
  let launch: NodeProcess | undefined;
  let client: TestClient | undefined;
  const root = `/fc_cams_${process.pid}`;
  const cameras = { head: `${root}/head/image_raw`, arm: `${root}/arm/image_raw` };
  const faces = (camera: keyof typeof cameras): string => `${root}/${camera}/face_classification_node/faces`;

  before(() => {
    launch = startProcess('ros2', ['launch', 'face_classification', 'face_classification.launch.py', `cameras:=[${cameras.head}, ${cameras.arm}]`, `models_directory:=${MODELS}`]);
    client = new TestClient(rcl, `fc_cams_client_${process.pid}`);
    client.subscribe(FACES, faces('head'));
    client.subscribe(FACES, faces('arm'));
  });

  after(async () => {
    client?.destroy();
    await launch?.stop();
    if (process.env.FC_TEST_VERBOSE) process.stdout.write(launch?.output() ?? '');
  });

  test('one node per camera, each in its namespace, each answering its own camera', async () => {
    const astronaut = readColor(astronautPng);
    const answers: Partial<Record<keyof typeof cameras, FacesMsg>> = {};
    // Both cameras at once: the two nodes load and answer side by side.
    await Promise.all((['head', 'arm'] as const).map(async (camera) => {
      const msg = matToImageMessage(astronaut, { stamp: uniqueStamp(), frame_id: `${camera}_camera` });
      answers[camera] = await client!.exchange<FacesMsg>(client!.publisher(IMAGE, cameras[camera]), msg, faces(camera), FIRST_ANSWER_MS);
    }));
    astronaut.release();
    for (const camera of ['head', 'arm'] as const) {
      const answer = answers[camera];
      assert.ok(answer, `${camera}: an answer on ${faces(camera)}`);
      assert.equal(answer.header.frame_id, `${camera}_camera`, `${camera}: its own camera's frame`);
      assert.equal(answer.faces.length, 1);
      assert.equal(answer.faces[0]!.emotion, 'happy');
      assert.equal(answer.faces[0]!.gender, 'woman');
    }
    // Neither node answered the other's camera.
    assert.equal(client!.messages<FacesMsg>(faces('head')).filter((m) => m.header.frame_id === 'arm_camera').length, 0);
    assert.equal(client!.messages<FacesMsg>(faces('arm')).filter((m) => m.header.frame_id === 'head_camera').length, 0);
    const nodes = ros2(['node', 'list']).out;
    assert.match(nodes, new RegExp(`${root}/head/face_classification_node`));
    assert.match(nodes, new RegExp(`${root}/arm/face_classification_node`));
    // The same params file: a setting of it has the same value on both.
    for (const camera of ['head', 'arm'] as const) {
      assert.match(ros2(['param', 'get', `${root}/${camera}/face_classification_node`, 'haar.scale_factor']).out, /1\.3/);
    }
    const services = await waitFor(() => {
      const list = ros2(['service', 'list']).out;
      return list.includes(`${root}/head/face_classification_node/classify`) && list.includes(`${root}/arm/face_classification_node/classify`) && list;
    }, 20_000);
    assert.ok(services, 'each node offers its own ~/classify');
  });
});

describe('face_classification.launch.py cameras:= refusals (ROS 2)', { skip, timeout: 120_000 }, () => {
  test('two cameras in one namespace, or image:= with cameras:=, are refused with the reason', () => {
    const same = ros2(['launch', 'face_classification', 'face_classification.launch.py', 'cameras:=[/a/image_raw, /a/image_rect]'], 60_000);
    assert.notEqual(same.status, 0);
    assert.match(same.out, /two cameras would share the namespace 'a'/);
    const both = ros2(['launch', 'face_classification', 'face_classification.launch.py', 'cameras:=[/a/image_raw]', 'image:=/b/image_raw'], 60_000);
    assert.notEqual(both.status, 0);
    assert.match(both.out, /image:= and cameras:= exclude each other/);
  });
});

after(() => {
  if (!skip && !rcl.isShutdown()) rcl.shutdown();
});
