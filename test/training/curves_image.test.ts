import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { curvesImage, readTrainingCsv } from '../../src/training/curves-image.js';
import { repoRoot, scratchDir } from '../helpers/common.js';

const run = path.join(repoRoot, 'training', 'runs', 'fer2013_mini_xception', 'training.csv');

test('learning curves: the long run\'s training.csv is read in epoch order and drawn', () => {
  const rows = readTrainingCsv(run);
  assert.ok(rows.length >= 10);
  assert.deepEqual(rows.map((r) => r.epoch), rows.map((_, i) => i + 1));
  assert.ok(rows.every((r) => r.val_acc > 0.3 && r.val_acc < 1 && r.loss > 0));
  const image = curvesImage(rows, 'test');
  assert.equal(image.channels, 3);
  // Both series are drawn: the picture holds the training (blue) and validation (orange) colours.
  const data = image.getData();
  let blue = 0;
  let orange = 0;
  for (let i = 0; i < data.length; i += 3) {
    if (data[i] === 180 && data[i + 1] === 119 && data[i + 2] === 31) blue++;
    if (data[i] === 14 && data[i + 1] === 127 && data[i + 2] === 255) orange++;
  }
  image.release();
  assert.ok(blue > 200 && orange > 200, `blue ${blue}, orange ${orange} pixels`);
});

test('learning curves: a CSV without the training columns is refused, naming the file and the column', () => {
  const file = path.join(scratchDir('fc-curves'), 'bad.csv');
  fs.writeFileSync(file, 'epoch,loss\n1,2\n');
  assert.throws(() => readTrainingCsv(file), (e: Error) => e.message.includes(file) && e.message.includes('no column lr'));
  assert.throws(() => curvesImage([], 'x'), /no epochs/);
});
