/** Schema -> ROS parameter descriptors, and the set-parameters checks, without ROS. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCHEMA, defaultConfig } from '../../../src/config/schema.js';
import { ROS_SCHEMA, defaultRosConfig } from '../../../src/config/ros_schema.js';
import { ParameterType, PARAMETER_KEYS, applyChanges, descriptorMessage, fromParameterValue, toParameterValue, validateParameterChanges } from '../../../src/ros/params/parameters.js';

test('every setting of both schemas is a parameter, with a description', () => {
  assert.deepEqual(PARAMETER_KEYS, [...Object.keys(SCHEMA), ...Object.keys(ROS_SCHEMA)]);
  for (const key of PARAMETER_KEYS) {
    const d = descriptorMessage(key);
    assert.equal(d.name, key);
    assert.ok(d.description.length > 10, key);
    assert.equal(d.dynamic_typing, false);
  }
});

test('descriptors carry types, ranges and read-only for settings that need a restart', () => {
  const scale = descriptorMessage('haar.scale_factor');
  assert.equal(scale.type, ParameterType.DOUBLE);
  assert.deepEqual(scale.floating_point_range, [{ from_value: 1.01, to_value: 3, step: 0 }]);
  assert.deepEqual(scale.integer_range, []);
  assert.equal(scale.read_only, false);
  const neighbours = descriptorMessage('haar.min_neighbors');
  assert.equal(neighbours.type, ParameterType.INTEGER);
  assert.deepEqual(neighbours.integer_range, [{ from_value: 0n, to_value: 100n, step: 1n }]);
  const offsets = descriptorMessage('emotion.offsets');
  assert.equal(offsets.type, ParameterType.DOUBLE_ARRAY);
  assert.deepEqual(offsets.floating_point_range, [{ from_value: 0, to_value: 10000, step: 0 }]);
  assert.match(offsets.additional_constraints, /2 values/);
  const model = descriptorMessage('emotion.model');
  assert.equal(model.type, ParameterType.STRING);
  assert.equal(model.read_only, true);
  assert.match(model.description, /read-only/);
  assert.equal(descriptorMessage('detector.type').additional_constraints, 'one of: auto, haar, yunet');
  assert.equal(descriptorMessage('image_transport').read_only, true);
  assert.equal(descriptorMessage('debug_image.force').read_only, false);
  assert.equal(descriptorMessage('emotion.enabled').type, ParameterType.BOOL);
});

test('valid runtime changes are accepted in their canonical types (bigint integers, typed arrays)', () => {
  const result = validateParameterChanges([
    { name: 'haar.min_neighbors', type: ParameterType.INTEGER, value: 3n },
    { name: 'haar.scale_factor', type: ParameterType.DOUBLE, value: 1.1 },
    { name: 'gender.offsets', type: ParameterType.DOUBLE_ARRAY, value: Float64Array.from([10, 20]) },
    { name: 'debug_image.force', type: ParameterType.BOOL, value: true },
    { name: 'explain.method', type: ParameterType.STRING, value: 'gradcam' },
    { name: 'use_sim_time', type: ParameterType.BOOL, value: true },
  ]);
  assert.equal(result.successful, true, result.reason);
  assert.deepEqual(result.changes, { 'haar.min_neighbors': 3, 'haar.scale_factor': 1.1, 'gender.offsets': [10, 20], 'debug_image.force': true, 'explain.method': 'gradcam' });
  const { config, ros } = applyChanges(defaultConfig(), defaultRosConfig(), result.changes);
  assert.equal(config['haar.min_neighbors'], 3);
  assert.deepEqual(config['gender.offsets'], [10, 20]);
  assert.equal(ros['debug_image.force'], true);
  assert.equal((config as Record<string, unknown>)['debug_image.force'], undefined, 'node settings stay out of the core config');
});

test('bad values are rejected with the reason, and nothing of the request applies', () => {
  const cases: [Parameters<typeof validateParameterChanges>[0][number], RegExp][] = [
    [{ name: 'haar.scale_factor', type: ParameterType.DOUBLE, value: 5.0 }, /haar.scale_factor: must be between 1.01 and 3/],
    [{ name: 'haar.scale_factor', type: ParameterType.INTEGER, value: 2n }, /haar.scale_factor must be a double, got an integer \(write 2.0\)/],
    [{ name: 'haar.min_neighbors', type: ParameterType.INTEGER, value: -1n }, /must be between 0 and 100/],
    [{ name: 'haar.min_neighbors', type: ParameterType.STRING, value: 'many' }, /must be an integer, got a string/],
    [{ name: 'explain.method', type: ParameterType.STRING, value: 'lime' }, /must be one of gbp, gradcam, guided-gradcam/],
    [{ name: 'emotion.offsets', type: ParameterType.DOUBLE_ARRAY, value: [1, 2, 3] }, /must be a list of 2 numbers/],
    [{ name: 'emotion.offsets', type: ParameterType.INTEGER_ARRAY, value: [1n, 2n] }, /decimal point/],
    [{ name: 'gbp_image.max_rate', type: ParameterType.DOUBLE, value: 0.0 }, /must be between 0.01 and 30/],
    [{ name: 'emotion.model', type: ParameterType.STRING, value: 'tiny_XCEPTION_KDEF' }, /emotion.model is read-only at run time/],
    [{ name: 'image_transport', type: ParameterType.STRING, value: 'compressed' }, /read-only/],
  ];
  for (const [parameter, reason] of cases) {
    const result = validateParameterChanges([{ name: 'haar.equalize', type: ParameterType.BOOL, value: true }, parameter]);
    assert.equal(result.successful, false, parameter.name);
    assert.match(result.reason, reason);
    assert.deepEqual(result.changes, {});
  }
});

test('at start-up read-only settings are accepted; warn latency may not exceed the error latency', () => {
  assert.equal(validateParameterChanges([{ name: 'emotion.model', type: ParameterType.STRING, value: 'tiny_XCEPTION_KDEF' }], { startup: true }).successful, true);
  const current = { 'diagnostics.latency_error_ms': 1000 };
  const bad = validateParameterChanges([{ name: 'diagnostics.latency_warn_ms', type: ParameterType.DOUBLE, value: 2000.0 }], { current });
  assert.equal(bad.successful, false);
  assert.match(bad.reason, /must not exceed/);
});

test('fromParameterValue / toParameterValue round trip', () => {
  assert.equal(toParameterValue('haar.min_neighbors', 5), 5n);
  assert.equal(fromParameterValue('haar.min_neighbors', ParameterType.INTEGER, 5n), 5);
  assert.deepEqual(toParameterValue('emotion.offsets', [20, 40]), [20, 40]);
  assert.equal(toParameterValue('backend', 'auto'), 'auto');
});
