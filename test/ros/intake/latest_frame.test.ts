/** The one-slot mailbox: newest frame wins, drops are counted, work never overlaps. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatestFrame } from '../../../src/ros/intake/latest_frame.js';

test('a frame arriving while one waits replaces it and counts a drop', () => {
  const box = new LatestFrame<number>();
  assert.equal(box.put(1), undefined);
  assert.equal(box.put(2), 1);
  assert.equal(box.put(3), 2);
  assert.equal(box.dropped, 2);
  assert.equal(box.received, 3);
  assert.equal(box.take(), 3);
  assert.equal(box.take(), undefined);
  box.put(4);
  box.clear();
  assert.equal(box.pending, false);
  assert.equal(box.dropped, 2, 'clear is not a drop');
});

test('drain processes one frame at a time and only the newest of those that came meanwhile', async () => {
  const box = new LatestFrame<number>();
  const seen: number[] = [];
  let inWork = 0;
  const work = async (frame: number): Promise<void> => {
    inWork++;
    assert.equal(inWork, 1, 'never two frames in work');
    seen.push(frame);
    if (frame === 1) {
      // Frames 2..5 arrive while frame 1 is processed; a second drain call returns at once.
      for (const f of [2, 3, 4, 5]) {
        box.put(f);
        void box.drain(work);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    inWork--;
  };
  box.put(1);
  const running = box.drain(work);
  assert.equal(box.working, true);
  await running;
  await box.idle();
  assert.deepEqual(seen, [1, 5]);
  assert.equal(box.dropped, 3);
  assert.equal(box.working, false);
});

test('idle resolves once the running frame is done; a failing frame does not wedge the mailbox', async () => {
  const box = new LatestFrame<string>();
  box.put('bad');
  await assert.rejects(box.drain(() => {
    throw new Error('boom');
  }));
  await box.idle();
  box.put('good');
  const seen: string[] = [];
  await box.drain((f) => {
    seen.push(f);
  });
  assert.deepEqual(seen, ['good']);
});

test('settle runs before each frame is taken, so frames it lets in replace the waiting one', async () => {
  const box = new LatestFrame<number>();
  const seen: number[] = [];
  let arrivals = [2, 3];
  box.put(1);
  await box.drain(
    (f) => {
      seen.push(f);
    },
    async () => {
      for (const f of arrivals) box.put(f);
      arrivals = [];
    },
  );
  assert.deepEqual(seen, [3]);
  assert.equal(box.dropped, 2);
});
