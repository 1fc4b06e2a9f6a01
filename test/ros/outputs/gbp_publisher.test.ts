/** ~/gbp_image: the rate gate and the explanation frame of the astronaut photo. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { makeConfig } from '../../../src/config/validate.js';
import { FacePipeline } from '../../../src/pipeline/pipeline.js';
import { readColor } from '../../../src/vision/image.js';
import { cv } from '../../../src/vision/opencv.js';
import { RateGate, explanationFrame } from '../../../src/ros/outputs/gbp_publisher.js';
import { photos, sharedModels, testBackend } from '../../helpers/common.js';

test('the rate gate lets through at most max_rate frames per second', () => {
  const gate = new RateGate();
  const passed = [0, 100, 400, 999, 1000, 1500, 2001].filter((t) => gate.due(t, 1));
  assert.deepEqual(passed, [0, 1000, 2001]);
  const fast = new RateGate();
  assert.equal([0, 30, 60, 90, 120].filter((t) => fast.due(t, 20)).length, 3);
  assert.equal(new RateGate().due(0, 0), false);
});

let pipeline: FacePipeline;
before(async () => {
  await testBackend();
  pipeline = await FacePipeline.create(makeConfig({ 'models.directory': sharedModels }));
});
after(() => pipeline?.dispose());

test('the explanation frame keeps the frame size and paints the face region only', () => {
  const frame = readColor(path.join(photos, 'skimage_astronaut.png'));
  const result = pipeline.process(frame);
  assert.equal(result.faces.length, 1);
  for (const method of ['gbp', 'gradcam'] as const) {
    const image = explanationFrame(pipeline, frame, result, { method, head: 'emotion' });
    assert.ok(image);
    assert.equal(image.rows, frame.rows);
    assert.equal(image.cols, frame.cols);
    assert.equal(image.channels, 3);
    const diff = image.absdiff(frame).cvtColor(cv.COLOR_BGR2GRAY);
    const { y, height } = result.faces[0]!.box;
    // Changed pixels lie in the face's crop region (box grown by the emotion offsets), nowhere else.
    const changedRows = (diff.threshold(0, 255, 0).getDataAsArray() as unknown as number[][]).map((row) => row.some((v) => v > 0));
    const first = changedRows.indexOf(true);
    const last = changedRows.lastIndexOf(true);
    assert.ok(first >= Math.max(0, y - 40 - 30) && last <= y + height + 40, `${method}: changes in rows ${first}..${last}`);
  }
  const none = explanationFrame(pipeline, frame, { ...result, faces: [] }, { method: 'gbp', head: 'gender' });
  assert.equal(none, frame, 'no face: the frame unchanged');
});
