/** `bench --bag`: the recorded camera is read back whole and its frames answered (the figures themselves are the benchmark's, not a test's). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/run_cli.js';

test('bench --bag: every recorded frame goes through the bag runner, the face is found, the report has its fields', () => {
  const run = runCli(['bench', '--bag', '--frames', '6', '--json']);
  assert.equal(run.status, 0, run.stderr);
  const report = run.lines[0] as { setup: { frames: number; size: string }; bag: { fps: number; cpu_ms_per_frame: number; faces_per_frame: number; input_mb: number; output_mb: number } };
  assert.equal(report.setup.frames, 6);
  assert.equal(report.setup.size, '640x480');
  assert.ok(report.bag.fps > 0 && report.bag.cpu_ms_per_frame > 0);
  assert.ok(report.bag.faces_per_frame >= 0.5, `faces per frame ${report.bag.faces_per_frame}`);
  // The output holds the input and, per frame, a debug image of the same size: more than twice the input's.
  assert.ok(report.bag.output_mb > 2 * report.bag.input_mb * 0.9);
});
