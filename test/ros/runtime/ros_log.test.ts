/**
 * The node's logger without ROS: lines go to the node's ROS logger as "message key=value" at their
 * level (once: nothing else printed), the level follows ROS's (--log-level) unless
 * FACE_CLASSIFICATION_LOG_LEVEL says otherwise, and a ROS logger that throws (context shut down)
 * does not make logging throw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRosLog, rosText } from '../../../src/ros/runtime/ros_log.js';
import type { RclLogger } from '../../../src/ros/runtime/rclnodejs_api.js';

function fakeLogger(level: number, fail = false): RclLogger & { lines: string[] } {
  const lines: string[] = [];
  const record = (severity: string) => (text: string): boolean => {
    if (fail) throw new Error('context is shut down');
    lines.push(`${severity} ${text}`);
    return true;
  };
  return { lines, loggerEffectiveLevel: level, debug: record('DEBUG'), info: record('INFO'), warn: record('WARN'), error: record('ERROR'), fatal: record('FATAL') };
}

test('lines reach the ROS logger once, as "message key=value", at their level', () => {
  const { log, attach } = createRosLog({ env: {} });
  const ros = fakeLogger(20);
  attach(ros);
  log.info({ input: '/camera/image', depth: 5 }, 'listening');
  log.warn({ reason: 'data_size', suppressed: 3 }, 'frame skipped');
  log.error(new Error('boom'), 'frame failed');
  log.debug('not shown at INFO');
  assert.deepEqual(ros.lines, ['INFO listening input=/camera/image depth=5', 'WARN frame skipped reason=data_size suppressed=3', 'ERROR frame failed err=boom']);
});

test("the level is ROS's (--log-level debug), unless FACE_CLASSIFICATION_LOG_LEVEL sets it", () => {
  const debug = createRosLog({ env: {} });
  const ros = fakeLogger(10);
  debug.attach(ros);
  debug.log.debug({ latencyMs: 12.5 }, 'frame');
  assert.deepEqual(ros.lines, ['DEBUG frame latencyMs=12.5']);
  const fixed = createRosLog({ env: { FACE_CLASSIFICATION_LOG_LEVEL: 'warn' } });
  const quiet = fakeLogger(10);
  fixed.attach(quiet);
  fixed.log.info('hidden');
  fixed.log.warn('shown');
  assert.deepEqual(quiet.lines, ['WARN shown']);
});

test('a ROS logger that throws (shut down) never makes logging throw', () => {
  const { log, attach } = createRosLog({ env: {} });
  attach(fakeLogger(20, true));
  assert.doesNotThrow(() => log.info({ signal: 'SIGTERM' }, 'shut down'));
});

test('rosText keeps strings raw and other values as JSON', () => {
  assert.equal(rosText({ level: 30, time: 1, msg: 'pipeline ready', heads: { emotion: 'fer' }, backend: 'wasm', name: 'x' }), 'pipeline ready heads={"emotion":"fer"} backend=wasm');
});
