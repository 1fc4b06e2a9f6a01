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

test('one-off requests share the worker: after the frame in work, before the next; frames and requests alternate', async () => {
  const order: string[] = [];
  let inWork = 0;
  let intake: FrameIntake | undefined;
  const requests: Promise<string>[] = [];
  const work = async (job: FrameJob): Promise<void> => {
    inWork++;
    assert.equal(inWork, 1, 'never two jobs at once');
    const name = (job.message as { format: string }).format;
    order.push(name);
    if (name === 'f1') {
      // While f1 is in work: two requests, then a frame.
      requests.push(intake!.request(() => (order.push('r1'), 'one')), intake!.request(async () => (order.push('r2'), 'two')));
      assert.equal(intake!.waitingRequests, 2);
      intake!.receive({ format: 'f2', data: new Uint8Array() }, true);
    }
    await tick();
    inWork--;
  };
  intake = new FrameIntake({ work, stats: new FrameStats(0), log: silent, settleRounds: () => 0 });
  intake.receive({ format: 'f1', data: new Uint8Array() }, true);
  await tick();
  assert.deepEqual(await Promise.all(requests), ['one', 'two']);
  await intake.idle();
  assert.deepEqual(order, ['f1', 'r1', 'f2', 'r2'], 'r1 waits behind f1 only; f2 behind r1 only');
  assert.equal(intake.newest && (intake.newest.message as { format: string }).format, 'f2', 'the newest message is kept');
  // With no frame at all a request runs at once, and one that throws rejects its own promise only.
  await assert.rejects(intake.request(() => {
    throw new Error('bad request');
  }), /bad request/);
  assert.equal(await intake.request(() => 3), 3);
  intake.clear();
  assert.equal(intake.newest, undefined, 'clear forgets the newest frame');
});

test('work alongside the worker: frames go on meanwhile, and idle() waits for it', async () => {
  const done: string[] = [];
  const intake = new FrameIntake({ work: (job) => void done.push((job.message as { format: string }).format), stats: new FrameStats(0), log: silent, settleRounds: () => 0 });
  let finish: () => void = () => undefined;
  const slow = intake.alongside(new Promise<string>((resolve) => (finish = () => resolve('scanned'))));
  intake.receive({ format: 'during', data: new Uint8Array() }, true);
  await tick();
  assert.deepEqual(done, ['during'], 'a frame is worked while the work alongside runs');
  let idle = false;
  const waiting = intake.idle().then(() => (idle = true));
  await tick();
  assert.equal(idle, false, 'idle waits for the work alongside');
  finish();
  assert.equal(await slow, 'scanned');
  await waiting;
  assert.equal(idle, true);
});
