/**
 * The node's intake under overload and failure, without ROS: a camera faster than the worker gets
 * the newest frame processed, at most one frame waits (memory bounded), every replaced frame is
 * counted as dropped; a worker that throws does not stop the intake.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { FrameStats } from '../../../src/ros/runtime/diagnostics.js';
import { FrameIntake } from '../../../src/ros/intake/frame_intake.js';
import type { FrameJob } from '../../../src/ros/intake/frame_handler.js';

const silent = pino({ level: 'silent' });
const message = (n: number): FrameJob['message'] => ({ format: String(n), data: new Uint8Array() });
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

test('overload: newest frame wins, one waits at most, drops are counted, input and output add up', async () => {
  const stats = new FrameStats(0);
  const processed: string[] = [];
  const intake = new FrameIntake({
    work: (job) => {
      processed.push((job.message as { format: string }).format);
    },
    stats,
    log: silent,
    settleRounds: () => 0,
  });
  // A burst of 100 frames delivered in one event-loop turn (a camera far faster than the worker).
  for (let i = 0; i < 100; i++) intake.receive(message(i), true);
  await intake.idle();
  await tick();
  assert.deepEqual(processed, ['99'], 'only the newest of a burst is processed');
  assert.deepEqual(intake.counts, { received: 100, dropped: 99 });
  assert.equal(stats.totals.inputs, 100);
  assert.equal(stats.totals.drops, 99);
  // Frames arriving one at a time, each after the last one finished: none dropped.
  for (let i = 100; i < 110; i++) {
    intake.receive(message(i), true);
    await tick();
  }
  assert.equal(processed.length, 11);
  assert.equal(intake.counts.dropped, 99);
});

test('a worker that throws is logged and the next frame is processed', async () => {
  const lines: { msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const done: string[] = [];
  const intake = new FrameIntake({
    work: (job) => {
      const name = (job.message as { format: string }).format;
      if (name === 'bad') throw new Error('boom');
      done.push(name);
    },
    stats: new FrameStats(0),
    log,
    settleRounds: () => 2,
  });
  intake.receive({ format: 'bad', data: new Uint8Array() }, true);
  await tick();
  await intake.idle();
  intake.receive({ format: 'good', data: new Uint8Array() }, true);
  await tick();
  await intake.idle();
  assert.deepEqual(done, ['good']);
  assert.ok(lines.some((line) => line.msg === 'frame worker failed'));
});
