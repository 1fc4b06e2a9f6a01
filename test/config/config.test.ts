import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { makeConfig } from '../../src/config/validate.js';
import { CONFIG_KEYS, SCHEMA, defaultConfig } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';
import { scratchDir } from '../helpers/common.js';

function expectConfigError(fn: () => unknown, key: string, reason: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.key, key);
    assert.match(error.message, reason);
    return true;
  });
}

test('defaults are the paper\'s: Haar 1.3 / 5, the two released models, offsets (20, 40) and (30, 60)', () => {
  const config = defaultConfig();
  assert.equal(config['haar.scale_factor'], 1.3);
  assert.equal(config['haar.min_neighbors'], 5);
  assert.equal(config['haar.equalize'], false);
  assert.equal(config['emotion.model'], 'fer2013_mini_XCEPTION.102-0.66');
  assert.equal(config['gender.model'], 'gender_mini_XCEPTION.21-0.95');
  assert.deepEqual(config['emotion.offsets'], [20, 40]);
  assert.deepEqual(config['gender.offsets'], [30, 60]);
  for (const key of CONFIG_KEYS) assert.ok(SCHEMA[key].description.length > 10, `${key} has a description`);
});

test('bad values are rejected with the key and the value in the message', () => {
  expectConfigError(() => makeConfig({ 'haar.scale_factor': 0.9 }), 'haar.scale_factor', /between 1.01 and 3.*0\.9/);
  expectConfigError(() => makeConfig({ 'haar.min_neighbors': 2.5 }), 'haar.min_neighbors', /integer.*2\.5/);
  expectConfigError(() => makeConfig({ 'detector.type': 'mtcnn' }), 'detector.type', /one of auto, haar, yunet.*"mtcnn"/);
  expectConfigError(() => makeConfig({ 'emotion.offsets': [20] }), 'emotion.offsets', /list of 2 numbers/);
  expectConfigError(() => makeConfig({ 'gender.enabled': 'yes' }), 'gender.enabled', /true or false/);
  expectConfigError(() => makeConfig({ 'haar.scale_factr': 1.2 }), 'haar.scale_factr', /unknown setting/);
  expectConfigError(() => makeConfig({ scale_factor: 1.2 }), 'scale_factor', /did you mean haar.scale_factor/);
});

test('YAML: nested plain files and ROS ros__parameters files both load; errors name file or key', () => {
  const dir = scratchDir('config');
  const plain = path.join(dir, 'plain.yaml');
  fs.writeFileSync(plain, 'haar:\n  scale_factor: 1.1\n  min_neighbors: 3\ndetector:\n  type: yunet\n');
  const a = loadConfig(plain);
  assert.equal(a['haar.scale_factor'], 1.1);
  assert.equal(a['haar.min_neighbors'], 3);
  assert.equal(a['detector.type'], 'yunet');

  const ros = path.join(dir, 'ros.yaml');
  fs.writeFileSync(ros, 'face_classification_node:\n  ros__parameters:\n    emotion:\n      offsets: [0.0, 0.0]\n    gender:\n      offsets: [0.3, 0.6]\n    crop:\n      offset_unit: fraction\n');
  const b = loadConfig(ros, { 'haar.min_neighbors': 7 });
  assert.deepEqual(b['emotion.offsets'], [0, 0]);
  assert.equal(b['crop.offset_unit'], 'fraction');
  assert.equal(b['haar.min_neighbors'], 7, 'explicit overrides win over the file');

  const bad = path.join(dir, 'bad.yaml');
  fs.writeFileSync(bad, 'haar:\n  scale_factor: fast\n');
  expectConfigError(() => loadConfig(bad), 'haar.scale_factor', /must be a number, got "fast"/);
  const broken = path.join(dir, 'broken.yaml');
  fs.writeFileSync(broken, 'haar: [unclosed\n');
  expectConfigError(() => loadConfig(broken), broken, /not valid YAML/);
  expectConfigError(() => loadConfig(path.join(dir, 'absent.yaml')), path.join(dir, 'absent.yaml'), /cannot read \(ENOENT\)/);
  fs.rmSync(dir, { recursive: true });
});
