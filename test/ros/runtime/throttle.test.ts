/** Throttled log lines: one per key and interval, the suppressed count carried by the next line or by due(). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Throttle } from '../../../src/ros/runtime/throttle.js';

test('one line per key per interval; the next line and due() carry the suppressed count', () => {
  const throttle = new Throttle<string>(5000);
  assert.equal(throttle.pass('a', 0), 0);
  assert.equal(throttle.pass('a', 100), undefined);
  assert.equal(throttle.pass('a', 4999), undefined);
  assert.equal(throttle.pass('b', 200), 0, 'keys are throttled separately');
  assert.equal(throttle.pass('a', 5000), 2, 'the next line says 2 were suppressed');
  assert.equal(throttle.pass('a', 6000), undefined);
  assert.deepEqual(throttle.due(9000), [], 'interval not over yet');
  assert.deepEqual(throttle.due(10_000), [{ key: 'a', suppressed: 1 }]);
  assert.deepEqual(throttle.due(20_000), [], 'reported once');
  assert.equal(throttle.pass('a', 20_001), 0);
});
