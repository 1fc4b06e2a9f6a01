/** Frame statistics -> /diagnostics status levels, with synthetic times. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiagnosticLevel, FrameStats, diagnosticStatus, type FrameTimes } from '../../../src/ros/runtime/diagnostics.js';

const thresholds = { latencyWarnMs: 250, latencyErrorMs: 1000, dropRatioWarn: 0.5, inputTimeoutS: 5 };
const context = { name: 'face_classification: /face_classification_node', hardwareId: 'face_classification', active: true, backend: 'tensorflow', models: { emotion: 'fer2013_mini_XCEPTION.102-0.66' }, inputTopic: '/image' };
const times = (latencyMs: number): FrameTimes => ({ convertMs: 1, detectMs: 10, cropMs: 1, emotionMs: 3, genderMs: 2, headsMs: 0, totalMs: 16, latencyMs });
const value = (status: ReturnType<typeof diagnosticStatus>, key: string): string | undefined => status.values.find((v) => v.key === key)?.value;

function window(fill: (stats: FrameStats, t0: number) => void, end = 1000): ReturnType<typeof diagnosticStatus> {
  const stats = new FrameStats(0);
  fill(stats, 0);
  return diagnosticStatus(stats.snapshot(end), thresholds, context);
}

test('steady input at 10 Hz with fast frames is OK, with rates and stage times', () => {
  const status = window((s) => {
    for (let i = 0; i < 10; i++) {
      s.input(i * 100);
      s.output(times(20));
    }
  });
  assert.equal(status.level, DiagnosticLevel.OK);
  assert.equal(status.message, 'ok');
  assert.equal(value(status, 'input_rate_hz'), '10.00');
  assert.equal(value(status, 'output_rate_hz'), '10.00');
  assert.equal(value(status, 'latency_mean_ms'), '20.00');
  assert.equal(value(status, 'detect_ms'), '10.00');
  assert.equal(value(status, 'backend'), 'tensorflow');
  assert.equal(value(status, 'model.emotion'), 'fer2013_mini_XCEPTION.102-0.66');
});

test('slow frames WARN then ERROR; many drops WARN; skipped frames WARN, all failing ERROR', () => {
  assert.equal(window((s) => { s.input(900); s.output(times(300)); }).level, DiagnosticLevel.WARN);
  const slow = window((s) => { s.input(900); s.output(times(1500)); });
  assert.equal(slow.level, DiagnosticLevel.ERROR);
  assert.match(slow.message, /latency 1500.0 ms > 1000 ms/);
  const drops = window((s) => {
    for (let i = 0; i < 10; i++) s.input(i * 100);
    s.drop(8);
    s.output(times(20));
  });
  assert.equal(drops.level, DiagnosticLevel.WARN);
  assert.match(drops.message, /8 of 10 frames dropped/);
  const skipped = window((s) => { s.input(100); s.input(200); s.skip('unsupported_encoding', 'image /image: unsupported encoding "32FC1"'); s.output(times(20)); });
  assert.equal(skipped.level, DiagnosticLevel.WARN);
  assert.match(skipped.message, /1 frames skipped: image \/image: unsupported encoding/);
  assert.equal(window((s) => { s.input(100); s.skip('data_size', 'bad'); }).level, DiagnosticLevel.ERROR);
});

test('no input for longer than the timeout WARNs while active; an inactive node is OK', () => {
  const stats = new FrameStats(0);
  stats.input(0);
  const quiet = diagnosticStatus(stats.snapshot(6000), thresholds, context);
  assert.equal(quiet.level, DiagnosticLevel.WARN);
  assert.match(quiet.message, /no input on \/image for 6.0 s/);
  const inactive = diagnosticStatus(stats.snapshot(12000), thresholds, { ...context, active: false });
  assert.equal(inactive.level, DiagnosticLevel.OK);
  assert.equal(inactive.message, 'not active');
  assert.equal(diagnosticStatus(stats.snapshot(20000), { ...thresholds, inputTimeoutS: 0 }, context).level, DiagnosticLevel.OK);
});

test('snapshots start a new window but keep totals', () => {
  const stats = new FrameStats(0);
  stats.input(10);
  stats.output(times(5));
  stats.drop();
  stats.snapshot(1000);
  const second = stats.snapshot(2000);
  assert.equal(second.inputs, 0);
  assert.equal(second.outputs, 0);
  assert.deepEqual(second.totals, { inputs: 1, outputs: 1, drops: 1, errors: 0 });
});

test('the camera stops and comes back: OK, WARN "no input for N s" while silent, OK again', () => {
  const stats = new FrameStats(0);
  const levels: number[] = [];
  let t = 0;
  for (; t < 3000; t += 100) stats.input(t), stats.output(times(20));
  levels.push(diagnosticStatus(stats.snapshot(t), thresholds, context).level);
  t = 12000;
  const silent = diagnosticStatus(stats.snapshot(t), thresholds, context);
  levels.push(silent.level);
  assert.match(silent.message, /no input on \/image for 9.1 s/);
  for (const end = t + 1000; t < end; t += 100) stats.input(t), stats.output(times(20));
  levels.push(diagnosticStatus(stats.snapshot(t), thresholds, context).level);
  assert.deepEqual(levels, [DiagnosticLevel.OK, DiagnosticLevel.WARN, DiagnosticLevel.OK]);
});

test('a lifecycle node activated after a long wait starts its no-input clock at activation', () => {
  const stats = new FrameStats(0);
  stats.expectInput(60_000);
  assert.equal(diagnosticStatus(stats.snapshot(61_000), thresholds, context).level, DiagnosticLevel.OK);
});

test('skipped frames are counted per reason in the values, every reason listed', () => {
  const stats = new FrameStats(0);
  stats.skip('data_size', 'a');
  stats.skip('data_size', 'b');
  stats.skip('truncated', 'c');
  stats.output(times(20));
  const status = diagnosticStatus(stats.snapshot(1000), thresholds, context);
  assert.equal(value(status, 'skipped.data_size'), '2');
  assert.equal(value(status, 'skipped.truncated'), '1');
  assert.equal(value(status, 'skipped.unsupported_encoding'), '0');
  assert.equal(value(status, 'total_skipped'), '3');
  // Totals survive the window.
  assert.equal(value(diagnosticStatus(stats.snapshot(2000), thresholds, context), 'skipped.data_size'), '2');
});

test('a failed configure is ERROR with the reason, a finalized node STALE, not "OK not active"', () => {
  const stats = new FrameStats(0);
  const failed = diagnosticStatus(stats.snapshot(1000), thresholds, { ...context, active: false, failure: 'configure failed: model file /x.hdf5: no such file' });
  assert.equal(failed.level, DiagnosticLevel.ERROR);
  assert.match(failed.message, /configure failed: model file \/x.hdf5/);
  const finalized = diagnosticStatus(stats.snapshot(2000), thresholds, { ...context, active: false, finalized: true });
  assert.equal(finalized.level, DiagnosticLevel.STALE);
  assert.match(finalized.message, /finalized/);
});
