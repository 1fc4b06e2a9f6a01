/**
 * The ~/classify service's work without ROS, with the real photo path (Haar, both heads), real
 * photos and the node's real frame intake: a given Image or CompressedImage gets the same faces as
 * FacePipeline.process on that photo; the empty request before any frame, while inactive, and bad
 * images get success false with the reason's code; after camera frames it classifies the newest one.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pino } from 'pino';
import { cv, type Mat } from '../../../src/vision/opencv.js';
import { readColor } from '../../../src/vision/image.js';
import { makeConfig } from '../../../src/config/validate.js';
import { FacePipeline } from '../../../src/pipeline/pipeline.js';
import { matToImageMessage } from '../../../src/messages/face_classification.js';
import { FrameStats } from '../../../src/ros/runtime/diagnostics.js';
import { FrameIntake } from '../../../src/ros/intake/frame_intake.js';
import { DEFAULT_INPUT_LIMITS } from '../../../src/ros/intake/input_guard.js';
import { ClassifyService, MAX_REQUESTS_IN_PROGRESS } from '../../../src/ros/services/classify.js';
import { photos } from '../../helpers/common.js';

const silent = pino({ level: 'silent' });
let pipeline: FacePipeline;
let astronaut: Mat;
let bryan: Mat;
let active = true;
/** The camera frames the intake's worker saw, in order. */
let worked: string[] = [];
let intake: FrameIntake;
let service: ClassifyService;

const header = (frame_id: string, nanosec = 1) => ({ stamp: { sec: 1_700_000_000, nanosec }, frame_id });

before(async () => {
  pipeline = await FacePipeline.create(makeConfig({ 'models.download': false }));
  astronaut = readColor(path.join(photos, 'skimage_astronaut.png'));
  bryan = readColor(path.join(photos, 'MAX_Bryan.png'));
  intake = new FrameIntake({ work: (job) => void worked.push((job.message as unknown as { header: { frame_id: string } }).header.frame_id), stats: new FrameStats(0), log: silent, settleRounds: () => 0 });
  service = new ClassifyService({ intake, pipeline: () => (active ? pipeline : 'the node is inactive (lifecycle: activate it)'), limits: () => DEFAULT_INPUT_LIMITS, inputTopic: '/camera/image', log: silent });
});

after(() => {
  astronaut.release();
  bryan.release();
  pipeline.dispose();
});

/** What the photo path itself says about `photo`: boxes and labels. */
function expected(photo: Mat): { box: [number, number, number, number]; emotion: string; gender: string }[] {
  const result = pipeline.process(photo, 'bgr');
  const faces = result.faces.map((f) => ({ box: [f.box.x, f.box.y, f.box.width, f.box.height] as [number, number, number, number], emotion: f.emotion?.label ?? '', gender: f.gender?.label ?? '' }));
  result.prepared.release();
  return faces;
}

function faces(response: Awaited<ReturnType<ClassifyService['answer']>>) {
  return response.result.faces.map((f) => ({ box: [f.box.x_offset, f.box.y_offset, f.box.width, f.box.height] as [number, number, number, number], emotion: f.emotion, gender: f.gender }));
}

test('the empty request before any camera frame: success false, no_frame, the topic named', async () => {
  const response = await service.answer({});
  assert.equal(response.success, false);
  assert.match(response.reason, /^no_frame: no camera frame received yet on \/camera\/image/);
  assert.equal(response.result.faces.length, 0);
});

test('a given Image (bgr8) and CompressedImage (PNG) get the photo path\'s faces, with the image\'s header', async () => {
  const want = expected(astronaut);
  assert.equal(want.length, 1, 'the astronaut photo has one face on the photo path');
  const raw = await service.answer({ image: matToImageMessage(astronaut, header('astronaut')) });
  assert.equal(raw.success, true, raw.reason);
  assert.deepEqual(faces(raw), want);
  assert.deepEqual(raw.result.header, header('astronaut'));
  assert.equal(raw.result.image_width, astronaut.cols);
  assert.deepEqual(raw.result.emotion_classes, pipeline.heads.emotion!.labels);
  const png = await service.answer({ compressed_image: { header: header('bryan', 2), format: 'png', data: new Uint8Array(cv.imencode('.png', bryan)) } });
  assert.equal(png.success, true, png.reason);
  assert.deepEqual(faces(png), expected(bryan));
  assert.ok(png.result.faces.length >= 1, 'Bryan\'s face is found');
  assert.deepEqual(png.result.header, header('bryan', 2));
});

test('bad images: the reason names the code and the cause; the service keeps answering', async () => {
  const good = matToImageMessage(astronaut, header('astronaut'));
  const encoding = await service.answer({ image: { ...good, encoding: '32FC1' } });
  assert.equal(encoding.success, false);
  assert.match(encoding.reason, /^unsupported_encoding: .*unsupported encoding "32FC1"/);
  const short = await service.answer({ image: { ...good, data: good.data.subarray(0, 100) } });
  assert.match(short.reason, /^data_size: /);
  const garbage = await service.answer({ compressed_image: { format: 'jpeg', data: new Uint8Array([1, 2, 3, 4, 5]) } });
  assert.match(garbage.reason, /^undecodable: /);
  const both = await service.answer({ image: good, compressed_image: { format: 'png', data: new Uint8Array([1]) } });
  assert.match(both.reason, /^bad_request: /);
  assert.equal((await service.answer({ image: good })).success, true, 'still answering');
});

test('after camera frames the empty request classifies the newest one (its header says which)', async () => {
  worked = [];
  intake.receive(matToImageMessage(bryan, header('frame1', 11)), false);
  intake.receive(matToImageMessage(astronaut, header('frame2', 12)), false);
  await intake.idle();
  const response = await service.answer({});
  assert.equal(response.success, true, response.reason);
  assert.deepEqual(response.result.header, header('frame2', 12));
  assert.deepEqual(faces(response), expected(astronaut));
});

test('camera frames are worked while a request\'s scan runs on the thread pool', async () => {
  worked = [];
  const pending = service.answer({ image: matToImageMessage(astronaut, header('request', 21)) });
  let workedWhenAnswered: string[] = [];
  const answered = pending.then((response) => {
    workedWhenAnswered = [...worked];
    return response;
  });
  // A camera frame arriving just after the request.
  await new Promise((resolve) => setImmediate(resolve));
  intake.receive(matToImageMessage(bryan, header('camera', 22)), false);
  const response = await answered;
  assert.equal(response.success, true, response.reason);
  assert.deepEqual(workedWhenAnswered, ['camera'], 'the camera frame did not wait for the scan');
  await intake.idle();
});

test('more requests at once than MAX_REQUESTS_IN_PROGRESS: the extra ones are refused busy, the others answered', async () => {
  const image = matToImageMessage(astronaut, header('burst', 31));
  const responses = await Promise.all(Array.from({ length: MAX_REQUESTS_IN_PROGRESS + 2 }, () => service.answer({ image })));
  assert.deepEqual(responses.map((r) => r.success), [...Array(MAX_REQUESTS_IN_PROGRESS).fill(true), false, false]);
  assert.match(responses.at(-1)!.reason, /^busy: 4 classify requests are in progress already/);
  assert.equal((await service.answer({ image })).success, true, 'answered again once they are done');
});

test('inactive: success false with the reason, even with a frame at hand', async () => {
  active = false;
  try {
    const response = await service.answer({});
    assert.equal(response.success, false);
    assert.match(response.reason, /^inactive: the node is inactive/);
  } finally {
    active = true;
  }
});

test('after clear() (deactivate) there is no newest frame again', async () => {
  intake.clear();
  assert.match((await service.answer({})).reason, /^no_frame: /);
});
