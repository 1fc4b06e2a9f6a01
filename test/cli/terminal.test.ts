/** stderr's status line and event lines, stdout's closed reader, the plain log format (no process). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResultOutput, StderrLines } from '../../src/cli/terminal.js';
import { ProgressBar } from '../../src/cli/progress.js';
import { plainLine } from '../../src/cli/cli_log.js';
import { terminalScreen } from '../helpers/run_cli.js';

const screen = terminalScreen;

test('a log line during a progress bar gets its own line and the bar is drawn again below it', () => {
  let written = '';
  const lines = new StderrLines(true, (text) => (written += text));
  const bar = new ProgressBar(100, lines);
  bar.update(10, true);
  lines.line('face-classification video: warning: stopping after the current item (signal=SIGINT)');
  bar.finish(11);
  const shown = screen(written);
  assert.equal(shown.length, 3, JSON.stringify(written));
  assert.equal(shown[0], 'face-classification video: warning: stopping after the current item (signal=SIGINT)');
  assert.equal(shown[2], '');
  assert.match(screen(written)[1]!, /^\[#+\.+\]\s+11% 11\/100 frames/);
});

test('no progress bar where stderr is not a terminal; a closed stdout is noticed once', () => {
  let written = '';
  const lines = new StderrLines(false, (text) => (written += text));
  new ProgressBar(10, lines).finish(5);
  assert.equal(written, '');
  let closed = 0;
  const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
  const out = new ResultOutput(() => closed++, () => {
    throw epipe;
  });
  out.line('{}');
  out.line('{}');
  assert.equal(closed, 1);
  assert.equal(out.closed, true);
  const broken = new ResultOutput(() => undefined, () => {
    throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
  });
  assert.throws(() => broken.line('{}'), /disk full/);
});

test('plain log lines: level, message, then the fields', () => {
  assert.equal(plainLine('face-classification detect', { level: 40, time: 1, name: 'x', command: 'detect', msg: 'no face found', file: 'a b.png', faces: 0 }), 'face-classification detect: warning: no face found (file="a b.png", faces=0)');
});
