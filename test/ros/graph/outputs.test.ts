/**
 * ROS 2 integration of the standard outputs: a real face moving through a real background, frame by
 * frame, into the installed node with outputs.hri on. ~/detections and ~/detections/gender
 * (vision_msgs) and the REP-155 topics appear with their types and the contents of ~/faces;
 * /humans/faces/tracked lists the face's id once confirmed; the per-face topics are latched and go
 * from the graph once the face has been gone for more than tracking.max_missed frames; the face
 * coming back gets a new id. Runs only where ROS 2, vision_msgs and hri_msgs are sourced.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { matToImageMessage } from '../../../src/messages/face_classification.js';
import { Scene, loadFacePatches, photoBackground } from '../../../src/bench/scene.js';
import type { Rclnodejs } from '../../../src/ros/runtime/rclnodejs_api.js';
import { TestClient, rosGraphFile, astronautPng, sharedRoot, sleep, startProcess, uniqueStamp, type FacesMsg, type ImageMsgIn, type NodeProcess, type StampedMsg } from '../../helpers/ros_harness.js';

const MODELS = `${sharedRoot}/models`;
const PHOTOS = path.join(sharedRoot, 'testdata', 'photos');
/** The standard messages' types must be generated in rclnodejs too. */
function missingStandardTypes(rcl: Rclnodejs): string | undefined {
  for (const type of ['vision_msgs/msg/Detection2DArray', 'hri_msgs/msg/IdsList']) {
    try {
      rcl.require(type);
    } catch {
      return `rclnodejs has no ${type} (install vision_msgs and hri_msgs, then generate the messages)`;
    }
  }
  return undefined;
}
const { rcl, skip } = await rosGraphFile('ROS 2 standard outputs', missingStandardTypes);

const FIRST_ANSWER_MS = 120_000;
const ANSWER_MS = 30_000;
const IMAGE = 'sensor_msgs/msg/Image';
const FACES = 'face_classification/msg/FaceClassificationArray';
const DETECTIONS = 'vision_msgs/msg/Detection2DArray';
const IDS = 'hri_msgs/msg/IdsList';
const W = 480;
const H = 360;
const CONFIRM = 3;
const MAX_MISSED = 2;
/** Frames 0..11 with the face, 12..23 without (more than MAX_MISSED), 24.. with it again. */
const AWAY: [number, number] = [12, 24];
const FRAMES = 44;

interface DetectionsMsg extends StampedMsg {
  detections: { id: string; bbox: { center: { position: { x: number; y: number } }; size_x: number; size_y: number }; results: { hypothesis: { class_id: string; score: number } }[] }[];
}
interface IdsMsg extends StampedMsg {
  ids: string[];
}
interface RoiMsg extends StampedMsg {
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
  c: number;
}
interface ExpressionMsgIn extends StampedMsg {
  expression: string;
  valence: number;
  arousal: number;
  confidence: number;
}
interface BioMsg extends StampedMsg {
  gender: number;
  gender_confidence: number;
  age: number;
}
interface FaceMsgIn {
  track_id: number;
  track_confirmed: boolean;
  emotion: string;
  emotion_confidence: number;
  gender: string;
  gender_confidence: number;
  box: { x_offset: number; y_offset: number; width: number; height: number };
  detection_score: number;
}

const EXPRESSION: Record<string, string> = { angry: 'angry', disgust: 'disgusted', fear: 'scared', happy: 'happy', sad: 'sad', surprise: 'surprised', neutral: 'neutral' };
const sameStamp = (a: StampedMsg, b: StampedMsg): boolean => a.header.stamp.sec === b.header.stamp.sec && a.header.stamp.nanosec === b.header.stamp.nanosec;

describe('standard outputs: vision_msgs and REP-155 (ROS 2)', { skip, timeout: 600_000 }, () => {
  let node: NodeProcess | undefined;
  let client: TestClient | undefined;
  const ns = `/fc_outputs_${process.pid}`;
  const fq = `${ns}/face_classification_node`;

  before(() => {
    // scan_interval 1: a full scan on every frame, so that the face is found in the frame it appears
    // in (after the warm-up frames) and the expectations below hold frame by frame.
    node = startProcess('ros2', ['run', 'face_classification', 'face_classification_node', '--ros-args', '-r', `__ns:=${ns}`, '-r', `image:=${ns}/camera/image`, '-p', `models.directory:=${MODELS}`, '-p', 'outputs.hri:=true', '-p', `tracking.confirm_frames:=${CONFIRM}`, '-p', `tracking.max_missed:=${MAX_MISSED}`, '-p', 'tracking.scan_interval:=1'], { FACE_CLASSIFICATION_LOG_LEVEL: 'info' });
    client = new TestClient(rcl, `fc_outputs_client_${process.pid}`);
    client.subscribe(FACES, `${fq}/faces`);
    client.subscribe(DETECTIONS, `${fq}/detections`);
    client.subscribe(DETECTIONS, `${fq}/detections/gender`);
    client.subscribe(IDS, '/humans/faces/tracked', latched());
  });

  after(async () => {
    client?.destroy();
    await node?.stop();
    if (process.env.FC_TEST_VERBOSE) process.stdout.write(node?.output() ?? '');
  });

  function latched(): object {
    const { QoS } = rcl;
    return new QoS(QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST, 1, QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE, QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL);
  }

  /** Wait until a message with `stamp` is on `topic`. */
  async function received<T extends StampedMsg>(topic: string, sent: StampedMsg, timeoutMs = 10_000): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hit = client!.messages<T>(topic).find((m) => sameStamp(m, sent));
      if (hit) return hit;
      await sleep(20);
    }
    return undefined;
  }

  function topicTypes(): Map<string, string[]> {
    return new Map(client!.node.getTopicNamesAndTypes().map((t) => [t.name, t.types]));
  }

  test('a moving face: detections, tracked list and per-face topics with the right types and contents; its topics go after max_missed frames away', async () => {
    const patches = loadFacePatches(PHOTOS);
    const background = photoBackground(astronautPng, W, H)!;
    const scene = new Scene({ width: W, height: H, frames: FRAMES, faces: [{ patch: 0, from: { x: 0.35, y: 0.45, size: 150 }, to: { x: 0.6, y: 0.5, size: 170 }, enter: 0, leave: FRAMES, away: AWAY }] }, patches, background);
    const pub = client!.publisher(IMAGE, `${ns}/camera/image`);
    let first: number | undefined;
    let perFace = '';
    const ids: string[][] = [];

    // Until the node answers (models loaded, subscription matched), the background alone, no face:
    // repeats of it cost the tracker nothing.
    const warm = matToImageMessage(background, { stamp: uniqueStamp(), frame_id: 'scene_camera' });
    assert.ok(await client!.exchange<FacesMsg>(pub, warm, `${fq}/faces`, FIRST_ANSWER_MS), 'the node answers');
    await sleep(1500);

    for (let i = 0; i < FRAMES; i++) {
      const msg = matToImageMessage(scene.frame(i), { stamp: uniqueStamp(), frame_id: 'scene_camera' });
      // Each frame once, answered before the next: the stream sees every frame, in order, once.
      const answer = await client!.exchange<FacesMsg>(pub, msg, `${fq}/faces`, ANSWER_MS, ANSWER_MS);
      assert.ok(answer, `frame ${i}: answered`);
      const faces = answer.faces as unknown as FaceMsgIn[];
      const confirmed = faces.filter((f) => f.track_confirmed);

      const detections = await received<DetectionsMsg>(`${fq}/detections`, msg);
      const gender = await received<DetectionsMsg>(`${fq}/detections/gender`, msg);
      const tracked = await received<IdsMsg>('/humans/faces/tracked', msg);
      assert.ok(detections && gender && tracked, `frame ${i}: ~/detections, ~/detections/gender and /humans/faces/tracked with the image stamp`);
      assert.equal(detections.header.frame_id, 'scene_camera');
      assert.equal(detections.detections.length, confirmed.length, `frame ${i}: one detection per confirmed face`);
      ids.push([...tracked.ids]);
      confirmed.forEach((face, k) => {
        const d = detections.detections[k]!;
        assert.equal(d.id, String(face.track_id));
        assert.ok(Math.abs(d.bbox.center.position.x - (face.box.x_offset + face.box.width / 2)) < 1e-9 && d.bbox.size_x === face.box.width && d.bbox.size_y === face.box.height, `frame ${i}: bbox centre and size`);
        assert.equal(d.results.length, 7);
        assert.equal(d.results[0]!.hypothesis.class_id, face.emotion, 'best emotion hypothesis first');
        assert.ok(Math.abs(d.results[0]!.hypothesis.score - face.emotion_confidence) < 1e-6);
        const g = gender.detections[k]!;
        assert.equal(g.id, d.id);
        assert.deepEqual(g.results.map((r) => r.hypothesis.class_id).sort(), ['man', 'woman']);
        assert.equal(g.results[0]!.hypothesis.class_id, face.gender);
      });

      if (i < AWAY[0]) {
        assert.equal(faces.length, 1, `frame ${i}: the face is found`);
        first ??= faces[0]!.track_id;
        assert.equal(faces[0]!.track_id, first, `frame ${i}: one id while the face moves`);
        assert.deepEqual(tracked.ids, faces[0]!.track_confirmed ? [`f${first}`] : [], `frame ${i}: tracked lists the confirmed face`);
      }
      if (i === CONFIRM - 2) assert.equal(confirmed.length, 0, 'not confirmed before confirm_frames frames');

      if (first !== undefined && confirmed.length && !perFace) {
        // Confirmed now: its topics exist. Subscribe late, as libhri does after reading /tracked.
        perFace = `/humans/faces/f${first}`;
        client!.subscribe('hri_msgs/msg/NormalizedRegionOfInterest2D', `${perFace}/roi`, latched());
        client!.subscribe('hri_msgs/msg/Expression', `${perFace}/expression`, latched());
        client!.subscribe('hri_msgs/msg/SoftBiometrics', `${perFace}/softbiometrics`, latched());
        client!.subscribe(IMAGE, `${perFace}/cropped`, latched());
        // Latched: the roi of the frame just processed arrives without another frame.
        const roi = await received<RoiMsg>(`${perFace}/roi`, msg);
        assert.ok(roi, 'the per-face roi is latched (transient local)');
        await sleep(500);
      }

      if (perFace && i < AWAY[0] && confirmed.length) {
        const face = confirmed[0]!;
        const roi = await received<RoiMsg>(`${perFace}/roi`, msg);
        const expression = await received<ExpressionMsgIn>(`${perFace}/expression`, msg);
        const bio = await received<BioMsg>(`${perFace}/softbiometrics`, msg);
        assert.ok(roi && expression && bio, `frame ${i}: roi, expression, softbiometrics with the image stamp`);
        assert.ok(Math.abs(roi.xmin - face.box.x_offset / W) < 1e-6 && Math.abs(roi.ymax - (face.box.y_offset + face.box.height) / H) < 1e-6, 'roi = corners / image size');
        // c: the detector's confidence in [0, 1] (YuNet's score under the video default; Haar's neighbour count clamps to 1).
        assert.ok(Math.abs(roi.c - Math.min(1, face.detection_score)) < 1e-6, `c ${roi.c} = detection score ${face.detection_score} in [0, 1]`);
        assert.equal(expression.expression, EXPRESSION[face.emotion]);
        assert.ok(Math.abs(expression.confidence - face.emotion_confidence) < 1e-6);
        assert.ok(expression.valence >= -1 && expression.valence <= 1 && expression.arousal >= -1 && expression.arousal <= 1);
        assert.equal(bio.gender, face.gender === 'woman' ? 1 : 2);
        assert.ok(Math.abs(bio.gender_confidence - face.gender_confidence) < 1e-6);
        assert.equal(bio.age, 0);
        if (i === AWAY[0] - 1) {
          const crop = await received<ImageMsgIn>(`${perFace}/cropped`, msg);
          assert.ok(crop, 'cropped face published to a subscriber');
          assert.deepEqual([crop.width, crop.height, crop.encoding], [128, 128, 'bgr8']);
          const types = topicTypes();
          assert.deepEqual(types.get(`${fq}/detections`), [DETECTIONS]);
          assert.deepEqual(types.get(`${fq}/detections/gender`), [DETECTIONS]);
          assert.deepEqual(types.get('/humans/faces/tracked'), [IDS]);
          assert.deepEqual(types.get(`${perFace}/roi`), ['hri_msgs/msg/NormalizedRegionOfInterest2D']);
          assert.deepEqual(types.get(`${perFace}/cropped`), [IMAGE]);
          assert.deepEqual(types.get(`${perFace}/expression`), ['hri_msgs/msg/Expression']);
          assert.deepEqual(types.get(`${perFace}/softbiometrics`), ['hri_msgs/msg/SoftBiometrics']);
        }
      }

      if (i >= AWAY[0] && i < AWAY[1]) {
        assert.equal(faces.length, 0, `frame ${i}: the face is away`);
        const missed = i - AWAY[0] + 1;
        assert.deepEqual(tracked.ids, missed <= MAX_MISSED ? [`f${first}`] : [], `frame ${i}: missed ${missed} frames, max_missed ${MAX_MISSED}`);
      }
      if (i === AWAY[0] + MAX_MISSED + 2) {
        // Dropped: its publishers are destroyed, and the graph forgets them.
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline && client!.node.countPublishers(`${perFace}/roi`) > 0) await sleep(100);
        assert.equal(client!.node.countPublishers(`${perFace}/roi`), 0, `${perFace}/roi gone from the graph`);
        // (The topics stay in the graph's list while this client subscribes to them: count publishers.)
        for (const topic of ['roi', 'cropped', 'expression', 'softbiometrics']) assert.equal(client!.node.countPublishers(`${perFace}/${topic}`), 0, `${perFace}/${topic}: no publisher`);
      }
    }

    const back = ids.slice(AWAY[1]).find((list) => list.length > 0);
    assert.ok(back, 'the face is tracked again after it comes back');
    assert.equal(back.length, 1);
    assert.notEqual(back[0], `f${first}`, 'with a new id');
    assert.match(node!.output(), /face tracked/);
    assert.match(node!.output(), /face lost/);
  });
});

after(() => {
  if (rcl && !rcl.isShutdown()) rcl.shutdown();
});
