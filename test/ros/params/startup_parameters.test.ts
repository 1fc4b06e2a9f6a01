/**
 * The node's parameter files and -p rules, without ROS: every section key form rcl accepts applies
 * (the `ros2 param dump` -> params_file round trip included), later sources win, integer lists are
 * accepted for double lists, unknown keys meant for the node stop start-up with a "did you mean",
 * others warn, and a file that gives the node nothing is reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../../src/errors.js';
import { patternMatches, readParamsFile, resolveParameters, rosArgSources } from '../../../src/config/ros_params.js';
import { startupValues } from '../../../src/ros/params/startup_parameters.js';
import { suggestKey } from '../../../src/config/suggest.js';
import { readSettingsFile } from '../../../src/config/load.js';
import { PARAMETER_KEYS } from '../../../src/ros/params/parameters.js';
import { scratchDir } from '../../helpers/common.js';

const FQN = '/robot1/face_classification_node';

function withFiles(files: Record<string, string>, run: (file: (name: string) => string) => void): void {
  const dir = scratchDir('params');
  try {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    run((name) => path.join(dir, name));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const settingsFrom = (argv: string[], fqn = FQN) => startupValues(resolveParameters(rosArgSources(argv), fqn));

test('node-name patterns match as rcl matches them', () => {
  const cases: [string, string, boolean][] = [
    ['/**', FQN, true],
    ['/**', '/face_classification_node', true],
    ['face_classification_node', '/face_classification_node', true],
    ['/face_classification_node', '/face_classification_node', true],
    ['/face_classification_node', FQN, false],
    ['/robot1/face_classification_node', FQN, true],
    ['/robot2/face_classification_node', FQN, false],
    ['/**/face_classification_node', FQN, true],
    ['/**/face_classification_node', '/face_classification_node', true],
    ['/**/face_classification_node', '/a/b/face_classification_node', true],
    ['/robot1/*', FQN, true],
    ['/*', FQN, false],
    ['/*', '/face_classification_node', true],
    ['/*/face_classification_node', FQN, true],
    ['/**/other_node', FQN, false],
  ];
  for (const [pattern, fqn, expected] of cases) assert.equal(patternMatches(pattern, fqn), expected, `${pattern} vs ${fqn}`);
});

test('every section key form applies; nested namespaces and dump-style nested names are read', () => {
  const forms: Record<string, string> = {
    'global.yaml': '/**:\n  ros__parameters:\n    haar.min_neighbors: 3\n',
    'bare.yaml': 'face_classification_node:\n  ros__parameters:\n    haar.min_neighbors: 3\n',
    'absolute.yaml': '/robot1/face_classification_node:\n  ros__parameters:\n    haar.min_neighbors: 3\n',
    'wildcard.yaml': '/**/face_classification_node:\n  ros__parameters:\n    haar.min_neighbors: 3\n',
    'star.yaml': '/robot1/*:\n  ros__parameters:\n    haar.min_neighbors: 3\n',
    'nested.yaml': 'robot1:\n  face_classification_node:\n    ros__parameters:\n      haar.min_neighbors: 3\n',
    // What `ros2 param dump` writes: the full name, parameters nested by their dots.
    'dump.yaml': '/robot1/face_classification_node:\n  ros__parameters:\n    haar:\n      min_neighbors: 3\n      scale_factor: 1.2\n    use_sim_time: false\n',
  };
  withFiles(forms, (file) => {
    for (const name of Object.keys(forms)) {
      const fqn = name === 'bare.yaml' ? '/face_classification_node' : FQN;
      const { values, warnings } = settingsFrom(['node', '--ros-args', '--params-file', file(name)], fqn);
      assert.equal(values['haar.min_neighbors'], 3, name);
      assert.deepEqual(warnings, [], name);
    }
    assert.equal(settingsFrom(['node', '--ros-args', '--params-file', file('dump.yaml')]).values['haar.scale_factor'], 1.2);
  });
});

test('later sources win: a -p after the params file overrides it, later sections override earlier', () => {
  withFiles({ 'p.yaml': '/**:\n  ros__parameters:\n    gbp_image.enabled: true\n    haar.min_neighbors: 2\n/robot1/face_classification_node:\n  ros__parameters:\n    haar.min_neighbors: 4\n' }, (file) => {
    const { values } = settingsFrom(['node', '--ros-args', '--params-file', file('p.yaml'), '-p', 'gbp_image.enabled:=false\n...\n', '-r', '__ns:=/robot1']);
    assert.equal(values['gbp_image.enabled'], false, 'launch argument given as false wins over the file');
    assert.equal(values['haar.min_neighbors'], 4, 'node section after the /** section');
    const other = settingsFrom(['node', '--ros-args', '-p', 'other_node:haar.min_neighbors:=9', '-p', 'face_classification_node:haar.min_neighbors:=7']);
    assert.equal(other.values['haar.min_neighbors'], undefined, 'node-prefixed rules apply by pattern (relative names match the root namespace)');
    assert.equal(settingsFrom(['node', '--ros-args', '-p', '/**/face_classification_node:haar.min_neighbors:=7']).values['haar.min_neighbors'], 7);
  });
});

test('integers are accepted for doubles and integer lists for double lists at start-up; doubles for integers are not', () => {
  withFiles({ 'p.yaml': '/**:\n  ros__parameters:\n    emotion.offsets: [20, 40]\n    haar.scale_factor: 2\n', 'bad.yaml': '/**:\n  ros__parameters:\n    haar.min_neighbors: 5.0\n' }, (file) => {
    const { values } = settingsFrom(['n', '--ros-args', '--params-file', file('p.yaml')]);
    assert.deepEqual(values['emotion.offsets'], [20, 40]);
    assert.equal(values['haar.scale_factor'], 2);
    assert.throws(() => settingsFrom(['n', '--ros-args', '--params-file', file('bad.yaml')]), (e: unknown) => e instanceof ConfigError && /haar.min_neighbors must be an integer, got double 5 \(write 5\) \(params file .*bad.yaml \(section \/\*\*\)\)/.test(e.message));
  });
});

test('unknown keys meant for the node stop start-up with a did-you-mean; others warn; bad values name the file', () => {
  withFiles({
    'typo.yaml': '/**:\n  ros__parameters:\n    haar.scale_factr: 1.2\n',
    'underscore.yaml': '/**:\n  ros__parameters:\n    emotion_enabled: false\n',
    'foreign.yaml': '/**:\n  ros__parameters:\n    camera_fps: 30\n    use_sim_time: true\n    qos_overrides./parameter_events.publisher.depth: 100\n',
    'range.yaml': '/**:\n  ros__parameters:\n    haar.scale_factor: 9.0\n',
    'other.yaml': '/camera_node:\n  ros__parameters:\n    fps: 30\n',
  }, (file) => {
    const run = (name: string) => settingsFrom(['n', '--ros-args', '--params-file', file(name)]);
    assert.throws(() => run('typo.yaml'), /unknown parameter haar.scale_factr \(did you mean haar.scale_factor\?\) \(params file .*typo.yaml/);
    assert.throws(() => run('underscore.yaml'), /unknown parameter emotion_enabled \(did you mean emotion.enabled\?\)/);
    const foreign = run('foreign.yaml');
    assert.deepEqual(foreign.values, {});
    assert.equal(foreign.warnings.length, 1);
    assert.match(foreign.warnings[0]!, /camera_fps is not a parameter of this node; ignored/);
    assert.throws(() => run('range.yaml'), /haar.scale_factor must be between 1.01 and 3, got 9 \(params file/);
    assert.match(run('other.yaml').warnings[0]!, /other.yaml: no section applies to this node \(sections: \/camera_node\)/);
  });
});

test('a parameter file that is not YAML, not a mapping or missing names the file', () => {
  withFiles({ 'broken.yaml': '/**:\n  ros__parameters:\n    a: [1, 2\n', 'list.yaml': '- 1\n- 2\n', 'noname.yaml': 'ros__parameters:\n  a: 1\n', 'mixed.yaml': '/**:\n  ros__parameters:\n    a: [1, "x"]\n' }, (file) => {
    assert.throws(() => readParamsFile(file('broken.yaml')), (e: unknown) => e instanceof ConfigError && e.key === file('broken.yaml') && /is not valid YAML/.test(e.message));
    assert.throws(() => readParamsFile(file('list.yaml')), /must hold a mapping of node names/);
    assert.throws(() => readParamsFile(file('noname.yaml')), /needs a node name above it/);
    assert.throws(() => readParamsFile(file('mixed.yaml')), /a list must hold values of one type/);
    assert.throws(() => readParamsFile(file('missing.yaml')), /cannot read the parameter file \(ENOENT\)/);
  });
});

test('did-you-mean finds near misses and separator slips, and nothing for unrelated names', () => {
  assert.equal(suggestKey('haar.scale_factr', PARAMETER_KEYS), 'haar.scale_factor');
  assert.equal(suggestKey('emotion_enabled', PARAMETER_KEYS), 'emotion.enabled');
  assert.equal(suggestKey('Detector.Type', PARAMETER_KEYS), 'detector.type');
  assert.equal(suggestKey('min_neighbors', PARAMETER_KEYS), 'haar.min_neighbors');
  assert.equal(suggestKey('camera_fps', PARAMETER_KEYS), undefined);
});

test('the CLI reads the same files: every section for face_classification_node in any namespace, merged in order', () => {
  withFiles({ 'dump.yaml': '/**:\n  ros__parameters:\n    haar.min_neighbors: 2\n/robot1/face_classification_node:\n  ros__parameters:\n    haar:\n      min_neighbors: 4\n    emotion.offsets: [10, 20]\n/camera_node:\n  ros__parameters:\n    fps: 30\n' }, (file) => {
    assert.deepEqual(readSettingsFile(file('dump.yaml')), { 'haar.min_neighbors': 4, 'emotion.offsets': [10, 20] });
  });
});
