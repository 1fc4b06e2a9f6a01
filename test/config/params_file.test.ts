/**
 * config/face_classification.yaml (the node's params file, also read by the CLI) holds exactly every
 * key of SCHEMA and ROS_SCHEMA with its default, in types ROS reads back the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SCHEMA, defaultConfig } from '../../src/config/schema.js';
import { ROS_SCHEMA } from '../../src/config/ros_schema.js';
import { loadConfig, readSettingsFile } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { renderParamsFile } from '../../src/config/params_file.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const file = path.join(root, 'config', 'face_classification.yaml');

test('the params file holds exactly all keys of both schemas with their defaults', () => {
  const settings = readSettingsFile(file);
  const expected: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries({ ...SCHEMA, ...ROS_SCHEMA })) expected[key] = setting.default;
  assert.deepEqual(Object.keys(settings).sort(), Object.keys(expected).sort());
  assert.deepEqual(settings, expected);
});

test('the committed params file is what the schemas render (npm run params-file)', () => {
  assert.equal(fs.readFileSync(file, 'utf8'), renderParamsFile());
});

test('it is a ROS params file for any node name, with a comment per key and doubles ROS reads as doubles', () => {
  const text = fs.readFileSync(file, 'utf8');
  const data = parse(text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(data), ['/**']);
  const lines = text.split('\n');
  for (const [key, setting] of Object.entries({ ...SCHEMA, ...ROS_SCHEMA })) {
    const index = lines.findIndex((line) => line.trim().startsWith(`${key}:`));
    assert.ok(index > 0, `${key} present`);
    assert.match(lines[index - 1]!, /^\s+# \S/, `${key} has a comment`);
    // rcl's YAML parser types `1` as an integer, which a double parameter rejects.
    if (setting.type === 'double') assert.match(lines[index]!, /:\s*-?\d+\.\d+\s*$/, `${key} written as a double`);
    if (setting.type === 'double_array') assert.match(lines[index]!, /\[\s*-?\d+\.\d+(\s*,\s*-?\d+\.\d+)*\s*\]/, `${key} written as doubles`);
  }
});

test('the CLI loads the shared file, ignoring exactly the node-only keys', () => {
  assert.deepEqual(loadConfig(file), defaultConfig());
  const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'fc-rosyaml-'));
  try {
    const other = path.join(dir, 'p.yaml');
    fs.writeFileSync(other, '/**:\n  ros__parameters:\n    image_transport: compressed\n    qos.depth: 1\n    use_sim_time: false\n    haar.min_neighbors: 3\n');
    assert.equal(loadConfig(other)['haar.min_neighbors'], 3);
    fs.writeFileSync(other, 'face_classification_node:\n  ros__parameters:\n    image_topic: /camera\n');
    assert.throws(() => loadConfig(other), (error: unknown) => error instanceof ConfigError && error.key === 'image_topic');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
