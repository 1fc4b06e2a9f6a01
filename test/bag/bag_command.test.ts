/**
 * `face-classification bag` on real bags made without ROS: MCAP by the project's own writer, sqlite3
 * by better-sqlite3 in rosbag2 Humble's schema (test/helpers/bags.ts), real photos encoded as
 * sensor_msgs/Image and CompressedImage. The output is read back with @mcap/core and decoded with the
 * definitions its own schemas hold (@foxglove/rosmsg + rosmsg2-serialization), as Foxglove reads it.
 * The ROS half (ros2 bag record / play in a real graph) is test/ros/graph/bag.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { readColor } from '../../src/vision/image.js';
import { decompressHandlers } from '../../src/bag/decompress.js';
import { photos, scratchDir } from '../helpers/common.js';
import { spawn } from 'node:child_process';
import { cliPath, runCli } from '../helpers/run_cli.js';
import { header, jpegImage, rawImage, stringMessage, writeDb3Bag, writeMcapBag, writeZstdMcapBag, type Recorded } from '../helpers/bags.js';
import { IMAGE_TYPE, encodeCdr } from '../../src/bag/codec.js';

const dir = scratchDir('bag');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

const FRAMES = 5;
const T0 = 1_700_000_000_000_000_000n;
const PERIOD = 33_333_333n;
const stampOf = (i: number): bigint => T0 + BigInt(i) * PERIOD;
/** Recording lags the stamp by a few milliseconds, different per camera, so that stamps and log times are told apart. */
const HEAD_LAG = 4_000_000n;
const ARM_LAG = 7_000_000n;

const astronaut = readColor(path.join(photos, 'skimage_astronaut.png'));
const paul = readColor(path.join(photos, 'MAX_Paul.jpeg'));

/** Two cameras (raw astronaut, JPEG Paul) and a topic of a type the command does not know, interleaved as recorded. */
function recording(): Recorded[] {
  const out: Recorded[] = [];
  for (let i = 0; i < FRAMES; i++) {
    out.push(rawImage('/head/image_raw', astronaut, stampOf(i), stampOf(i) + HEAD_LAG));
    out.push(jpegImage('/arm/image_raw/compressed', paul, stampOf(i) + 1000n, stampOf(i) + ARM_LAG));
    out.push(stringMessage('/chatter', `message ${i}`, stampOf(i) + 9_000_000n));
  }
  return out;
}

interface ReadBack {
  topics: Map<string, { type: string; encoding: string; schemaEncoding: string; messages: { logTime: bigint; message: Record<string, unknown> | undefined }[] }>;
}

/** Every message of an MCAP, decoded with the definitions in its own schemas (ros2msg); other schemas are counted, not decoded. */
async function readBack(file: string): Promise<ReadBack> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers: await decompressHandlers() });
    const decoders = new Map<number, MessageReader | undefined>();
    const topics: ReadBack['topics'] = new Map();
    for (const channel of reader.channelsById.values()) {
      const schema = reader.schemasById.get(channel.schemaId)!;
      decoders.set(channel.id, schema.encoding === 'ros2msg' ? new MessageReader(parse(new TextDecoder().decode(schema.data), { ros2: true })) : undefined);
      topics.set(channel.topic, { type: schema.name, encoding: channel.messageEncoding, schemaEncoding: schema.encoding, messages: [] });
    }
    for await (const m of reader.readMessages()) {
      const channel = reader.channelsById.get(m.channelId)!;
      topics.get(channel.topic)!.messages.push({ logTime: m.logTime, message: decoders.get(m.channelId)?.readMessage<Record<string, unknown>>(m.data) });
    }
    return { topics };
  } finally {
    await handle.close();
  }
}

const stampNs = (message: Record<string, unknown> | undefined): bigint => {
  const stamp = (message?.['header'] as { stamp: { sec: number; nanosec: number } }).stamp;
  return BigInt(stamp.sec) * 1_000_000_000n + BigInt(stamp.nanosec);
};

function stderrWarnings(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.includes('warning'));
}

/** The outputs of one camera: every frame answered, each stamped with its image's stamp and written at its recording time. */
function checkCamera(back: ReadBack, namespace: string, input: string, frames: number, expectFaces: boolean): void {
  const source = back.topics.get(input)!;
  assert.equal(source.messages.length, frames, `${input} copied whole`);
  const sourceStamps = source.messages.map((m) => stampNs(m.message));
  const sourceLogTimes = source.messages.map((m) => m.logTime);
  const outputs: [string, string][] = [
    ['faces', 'face_classification/msg/FaceClassificationArray'],
    ['detections', 'vision_msgs/msg/Detection2DArray'],
    ['detections/gender', 'vision_msgs/msg/Detection2DArray'],
    ['debug_image', 'sensor_msgs/msg/Image'],
  ];
  for (const [name, type] of outputs) {
    const topic = `${namespace}/face_classification_node/${name}`;
    const out = back.topics.get(topic);
    assert.ok(out, `${topic} written`);
    assert.equal(out.type, type);
    assert.equal(out.schemaEncoding, 'ros2msg');
    assert.equal(out.encoding, 'cdr');
    assert.equal(out.messages.length, frames, `${topic}: one message per frame`);
    assert.deepEqual(out.messages.map((m) => stampNs(m.message)), sourceStamps, `${topic}: the source images' stamps`);
    assert.deepEqual(out.messages.map((m) => m.logTime), sourceLogTimes, `${topic}: the source images' recording times`);
  }
  const faces = back.topics.get(`${namespace}/face_classification_node/faces`)!.messages.map((m) => m.message as { faces: { emotion: string; gender: string; track_id: number }[]; image_width: number; emotion_classes: string[] });
  if (expectFaces) {
    assert.ok(faces.every((f) => f.faces.length >= 1), `${namespace}: a face in every frame`);
    assert.ok(faces.every((f) => f.faces[0]!.emotion !== '' && f.faces[0]!.gender !== ''));
    assert.equal(new Set(faces.map((f) => f.faces[0]!.track_id)).size, 1, `${namespace}: one track through the frames`);
    assert.equal(faces[0]!.emotion_classes.length, 7);
    const detections = back.topics.get(`${namespace}/face_classification_node/detections`)!.messages.map((m) => m.message as { detections: { results: { hypothesis: { class_id: string } }[] }[] });
    // Tracks are confirmed after tracking.confirm_frames frames: the last frame has its detection, with the 7 emotions as hypotheses.
    assert.equal(detections.at(-1)!.detections[0]!.results.length, 7);
  }
  const debug = back.topics.get(`${namespace}/face_classification_node/debug_image`)!.messages[0]!.message as { encoding: string; width: number; data: Uint8Array };
  assert.equal(debug.encoding, 'bgr8');
  assert.equal(debug.width, faces[0]!.image_width);
}

test('bag: an MCAP with a raw and a compressed camera -> each camera answered in its namespace, every input copied, stamps and recording times kept, schemas decode', async () => {
  const input = path.join(dir, 'two_cameras.mcap');
  await writeMcapBag(input, recording());
  const out = path.join(dir, 'two_cameras_out.mcap');
  const run = runCli(['bag', input, '--out', out, '--json']);
  assert.equal(run.status, 0, run.stderr);
  const frames = run.lines.filter((l) => 'frame' in l);
  assert.equal(frames.length, 2 * FRAMES);
  for (const topic of ['/head/image_raw', '/arm/image_raw/compressed']) {
    const mine = frames.filter((f) => f['topic'] === topic);
    assert.deepEqual(mine.map((f) => f['frame']), [...Array(FRAMES).keys()]);
    assert.ok(mine.every((f) => (f['faces'] as unknown[]).length >= 1), `${topic}: faces in the JSON lines`);
  }
  const summary = run.lines.at(-1)!['summary'] as { cameras: Record<string, { frames: number; skipped: Record<string, number> }>; notProcessed: Record<string, { messages: number }> };
  assert.equal(summary.cameras['/head/image_raw']!.frames, FRAMES);
  assert.deepEqual(summary.notProcessed['/chatter'], { type: 'std_msgs/msg/String', messages: FRAMES });
  const back = await readBack(out);
  checkCamera(back, '/head', '/head/image_raw', FRAMES, true);
  checkCamera(back, '/arm', '/arm/image_raw/compressed', FRAMES, true);
  const chatter = back.topics.get('/chatter')!;
  assert.equal(chatter.messages.length, FRAMES);
  // No definition of std_msgs/String ships here: its schema is a name only, as rosbag2 writes a type it has no definition of.
  assert.equal(chatter.schemaEncoding, '');
  assert.equal(fs.readdirSync(dir).filter((f) => f.includes('.partial')).length, 0, 'no temporary file left');
});

test('bag: a sqlite3 bag folder (metadata.yaml + .db3, Humble schema) and one .db3 file give the same answers; --topic picks one camera', async () => {
  const folder = path.join(dir, 'db3_bag');
  fs.mkdirSync(folder);
  writeDb3Bag(path.join(folder, 'db3_bag_0.db3'), recording(), { metadataYaml: true });
  const out = path.join(dir, 'db3_out.mcap');
  const run = runCli(['bag', folder, '--out', out]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /\/head\/image_raw \(sensor_msgs\/msg\/Image\): 5 frames/);
  const back = await readBack(out);
  checkCamera(back, '/head', '/head/image_raw', FRAMES, true);
  checkCamera(back, '/arm', '/arm/image_raw/compressed', FRAMES, true);

  const one = path.join(dir, 'db3_one.mcap');
  const picked = runCli(['bag', path.join(folder, 'db3_bag_0.db3'), '--topic', '/arm/image_raw/compressed', '--out', one, '--json']);
  assert.equal(picked.status, 0, picked.stderr);
  assert.deepEqual([...new Set(picked.lines.filter((l) => 'frame' in l).map((l) => l['topic']))], ['/arm/image_raw/compressed']);
  const pickedBack = await readBack(one);
  assert.ok(!pickedBack.topics.has('/head/face_classification_node/faces'), 'the camera not picked is copied, not answered');
  assert.equal(pickedBack.topics.get('/head/image_raw')!.messages.length, FRAMES);
});

test('bag: an MCAP with zstd-compressed chunks is read whole', async () => {
  const input = path.join(dir, 'zstd.mcap');
  await writeZstdMcapBag(input, recording().filter((m) => m.topic === '/head/image_raw'));
  const out = path.join(dir, 'zstd_out.mcap');
  const run = runCli(['bag', input, '--out', out]);
  assert.equal(run.status, 0, run.stderr);
  checkCamera(await readBack(out), '/head', '/head/image_raw', FRAMES, true);
});

test('bag: frames recorded out of stamp order are processed in stamp order', async () => {
  const input = path.join(dir, 'shuffled.mcap');
  const order = [0, 2, 1, 4, 3];
  await writeMcapBag(input, order.map((i, n) => rawImage('/image_raw', astronaut, stampOf(i), T0 + BigInt(n) * PERIOD + HEAD_LAG)));
  const run = runCli(['bag', input, '--out', path.join(dir, 'shuffled_out.mcap'), '--json']);
  assert.equal(run.status, 0, run.stderr);
  const stamps = run.lines.filter((l) => 'frame' in l).map((l) => l['stamp'] as { sec: number; nanosec: number });
  const ns = stamps.map((s) => BigInt(s.sec) * 1_000_000_000n + BigInt(s.nanosec));
  assert.deepEqual(ns, [...ns].sort((a, b) => (a < b ? -1 : 1)));
  assert.equal(ns.length, order.length);
  const back = await readBack(path.join(dir, 'shuffled_out.mcap'));
  // A topic directly under the root is its own namespace, as the launch file's cameras:= makes it.
  assert.equal(back.topics.get('/image_raw/face_classification_node/faces')!.messages.length, order.length);
});

test('bag: unknown encodings and serializations are skipped and counted per topic; the good frames are answered', async () => {
  const input = path.join(dir, 'mixed.mcap');
  const messages: Recorded[] = [];
  for (let i = 0; i < 3; i++) {
    messages.push(rawImage('/head/image_raw', astronaut, stampOf(i), stampOf(i) + HEAD_LAG));
    // 32FC1 (a depth image) is not an encoding the node converts.
    const depth = { header: header(stampOf(i)), height: 48, width: 64, encoding: '32FC1', is_bigendian: 0, step: 64 * 4, data: new Uint8Array(64 * 4 * 48) };
    messages.push({ topic: '/depth/image_raw', type: IMAGE_TYPE, logTime: stampOf(i) + ARM_LAG, data: encodeCdr(IMAGE_TYPE, depth) });
    messages.push({ ...rawImage('/old/image_raw', astronaut, stampOf(i), stampOf(i) + ARM_LAG), serialization: 'ros1' });
  }
  await writeMcapBag(input, messages);
  const run = runCli(['bag', input, '--out', path.join(dir, 'mixed_out.mcap'), '--json']);
  assert.equal(run.status, 0, run.stderr);
  const summary = run.lines.at(-1)!['summary'] as { cameras: Record<string, { frames: number; skipped: Record<string, number> }> };
  assert.deepEqual(summary.cameras['/head/image_raw'], { ...summary.cameras['/head/image_raw']!, frames: 3, skipped: {} });
  assert.deepEqual(summary.cameras['/depth/image_raw']!.skipped, { unsupported_encoding: 3 });
  assert.deepEqual(summary.cameras['/old/image_raw']!.skipped, { unknown_encoding: 3 });
  // One warning per topic and reason, not one per frame.
  assert.equal(stderrWarnings(run.stderr).length, 2, run.stderr);
});

test('bag: a file cut short is read up to the damage with one warning naming the file and the offset, exit 1 (MCAP and .db3)', async () => {
  const whole = path.join(dir, 'whole.mcap');
  await writeMcapBag(whole, recording());
  const folder = path.join(dir, 'cut_db3');
  fs.mkdirSync(folder);
  writeDb3Bag(path.join(folder, 'whole.db3'), recording());
  // This small .db3 is cut nearer its end: SQLite finds rows through b-tree pages that a split may
  // have moved to the end of the file, so in a bag of a few rows a deep cut loses them all (docs/bags.md).
  for (const [source, cut, kept] of [[whole, path.join(dir, 'cut.mcap'), 0.6], [path.join(folder, 'whole.db3'), path.join(dir, 'cut.db3'), 0.85]] as const) {
    const bytes = fs.readFileSync(source);
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * kept)));
    const out = `${cut}_out.mcap`;
    const run = runCli(['bag', cut, '--out', out, '--json']);
    assert.equal(run.status, 1, run.stderr);
    const warnings = stderrWarnings(run.stderr);
    assert.equal(warnings.length, 1, run.stderr);
    assert.ok(warnings[0]!.includes(cut), warnings[0]);
    const offset = Number(/offset=(\d+)/.exec(warnings[0]!)?.[1]);
    assert.ok(offset > 0 && offset <= Math.floor(bytes.length * kept), warnings[0]);
    const summary = run.lines.at(-1)!['summary'] as { cameras: Record<string, { frames: number }>; damage: { file: string; offset: number }[] };
    const frames = summary.cameras['/head/image_raw']!.frames;
    assert.ok(frames >= 1 && frames < FRAMES, `${path.basename(cut)}: some frames before the damage (${frames})`);
    // The output is complete (indexed, readable) and holds answers for the frames read.
    const back = await readBack(out);
    assert.equal(back.topics.get('/head/face_classification_node/faces')!.messages.length, frames);
  }
});

test('bag: never writes over the input; a bad --out is refused before any work (exit 2); the output appears only when complete', async () => {
  const input = path.join(dir, 'keep.mcap');
  await writeMcapBag(input, [rawImage('/image_raw', astronaut, stampOf(0), stampOf(0))]);
  const before = fs.readFileSync(input);
  for (const out of [input, path.join(dir, '.', 'keep.mcap')]) {
    const run = runCli(['bag', input, '--out', out]);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /is the input .* itself/);
  }
  fs.linkSync(input, path.join(dir, 'keep_link.mcap'));
  assert.equal(runCli(['bag', input, '--out', path.join(dir, 'keep_link.mcap')]).status, 2, 'a hard link to the input is the input');
  assert.ok(before.equals(fs.readFileSync(input)), 'input unchanged');
  assert.equal(runCli(['bag', input, '--out', path.join(dir, 'x.db3')]).status, 2);
  assert.equal(runCli(['bag', input, '--out', dir]).status, 2);
  const missing = runCli(['bag', path.join(dir, 'nope.mcap')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope\.mcap: no such file/);
  const notBag = path.join(dir, 'not_a_bag.mcap');
  fs.writeFileSync(notBag, 'hello');
  assert.match(runCli(['bag', notBag, '--out', path.join(dir, 'nb_out.mcap')]).stderr, /neither an MCAP nor a sqlite3 file/);
  assert.ok(!fs.existsSync(path.join(dir, 'nb_out.mcap')), 'no output for a failed run');
  // The default output sits beside the input.
  assert.equal(runCli(['bag', input]).status, 0);
  assert.ok(fs.existsSync(path.join(dir, 'keep_faces.mcap')));
});

test('bag: Ctrl-C stops reading, answers the frames already held for stamp order, completes the output and exits 130', async () => {
  const input = path.join(dir, 'long.mcap');
  await writeMcapBag(input, Array.from({ length: 150 }, (_, i) => rawImage('/image_raw', astronaut, stampOf(i), stampOf(i) + HEAD_LAG)));
  const out = path.join(dir, 'long_out.mcap');
  const child = spawn(process.execPath, [cliPath, 'bag', input, '--out', out, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let signalled = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (!signalled && stdout.split('\n').length > 3) {
      signalled = true;
      child.kill('SIGINT');
    }
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(status, 130);
  const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const summary = lines.at(-1)!['summary'] as { interrupted: boolean; copiedMessages: number; cameras: Record<string, { frames: number }> };
  assert.ok(summary.interrupted);
  assert.ok(summary.copiedMessages < 150, `stopped early (${summary.copiedMessages} copied)`);
  assert.equal(summary.cameras['/image_raw']!.frames, summary.copiedMessages, 'every frame copied is answered');
  const back = await readBack(out);
  assert.equal(back.topics.get('/image_raw/face_classification_node/faces')!.messages.length, summary.copiedMessages);
});
