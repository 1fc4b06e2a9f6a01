/** The face tracker on its own (pure geometry) and score smoothing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaceTracker } from '../../src/tracking/tracker.js';
import { ScoreSmoother } from '../../src/tracking/smoothing.js';
import { seededRandom } from '../../src/bench/scene.js';

const box = (x: number, y: number, size = 80): { x: number; y: number; width: number; height: number } => ({ x, y, width: size, height: size });

test('a face moved and scaled over 60 frames keeps one id; ids are never reused', () => {
  const tracker = new FaceTracker({ confirmFrames: 3, maxMissed: 5 });
  const ids = new Set<number>();
  for (let i = 0; i < 60; i++) ids.add(tracker.update([box(50 + i * 6, 40 + i * 2, 80 + i)]).assigned[0]!.id);
  assert.equal(ids.size, 1);
  const first = [...ids][0]!;
  const other = new FaceTracker().update([box(10, 10)]).assigned[0]!.id;
  assert.ok(other > first, 'a second tracker continues the process-wide sequence');
});

test('a track is confirmed after N frames and dropped after M missed frames; coming back gives a new id', () => {
  const tracker = new FaceTracker({ confirmFrames: 3, maxMissed: 4 });
  const seen = [1, 2, 3].map(() => {
    const update = tracker.update([box(100, 100)]);
    return { id: update.assigned[0]!.id, confirmed: update.assigned[0]!.confirmed, newlyConfirmed: update.confirmed.length };
  });
  assert.deepEqual(seen.map((u) => u.confirmed), [false, false, true]);
  assert.deepEqual(seen.map((u) => u.newlyConfirmed), [0, 0, 1], 'reported once, when it becomes confirmed');
  const id = seen[0]!.id;
  for (let i = 0; i < 4; i++) assert.deepEqual(tracker.update([]).dropped, []);
  assert.deepEqual(tracker.update([]).dropped.map((t) => t.id), [id], 'dropped on the 5th missed frame');
  const back = tracker.update([box(100, 100)]).assigned[0]!;
  assert.ok(back.id > id && !back.confirmed);
});

test('a face seen for fewer than N frames is never confirmed', () => {
  const tracker = new FaceTracker({ confirmFrames: 4, maxMissed: 2 });
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 3; i++) assert.equal(tracker.update([box(200, 50)]).assigned[0]!.confirmed, false);
    for (let i = 0; i < 3; i++) tracker.update([]);
  }
});

test('two faces that cross keep their ids (constant-velocity prediction)', () => {
  const tracker = new FaceTracker({ confirmFrames: 1, maxMissed: 3 });
  let left = 0;
  let right = 0;
  for (let i = 0; i <= 40; i++) {
    // A moves right, B moves left, at slightly different heights: they overlap in the middle frames.
    const a = box(40 + i * 10, 100);
    const b = box(440 - i * 10, 120);
    const u = tracker.update([b, a]);
    if (i === 0) [right, left] = [u.assigned[0]!.id, u.assigned[1]!.id];
    assert.equal(u.assigned[1]!.id, left, `A keeps its id at frame ${i}`);
    assert.equal(u.assigned[0]!.id, right, `B keeps its id at frame ${i}`);
  }
});

test('smoothing: EMA and per-track mode reduce label flips on noisy scores; none returns the raw answer', () => {
  const labels = ['angry', 'happy'];
  const random = seededRandom(5);
  // A happy face whose raw answer flips to angry on ~30% of frames.
  const frames = Array.from({ length: 200 }, () => {
    const happy = random() < 0.7 ? 0.6 + 0.3 * random() : 0.1 + 0.3 * random();
    return { label: happy > 0.5 ? 'happy' : 'angry', confidence: Math.max(happy, 1 - happy), scores: [1 - happy, happy] };
  });
  const flips = (seq: string[]): number => seq.reduce((n, l, i) => n + (i > 0 && l !== seq[i - 1] ? 1 : 0), 0);
  const run = (method: 'none' | 'ema' | 'mode'): string[] => {
    const smoother = new ScoreSmoother(labels);
    return frames.map((f) => smoother.add(f, { method, alpha: 0.2, window: 10 }).label);
  };
  const raw = flips(run('none'));
  const ema = flips(run('ema'));
  const mode = flips(run('mode'));
  assert.deepEqual(run('none'), frames.map((f) => f.label));
  assert.ok(raw > 40, `raw flips ${raw}`);
  assert.ok(ema < raw / 2, `ema flips ${ema} vs raw ${raw}`);
  assert.ok(mode < raw / 2, `mode flips ${mode} vs raw ${raw}`);
});

test('a track seen a frame ago keeps its face against a stale one whose extrapolated box lands there (real clip, frame 40)', () => {
  // The real clip's case (docs/video.md): the man in glasses (stale) walked right and was last seen
  // eleven frames before; the boy in the hoodie, seen in the frame before, stands at (1005, 719).
  const tracker = new FaceTracker({ confirmFrames: 1, maxMissed: 15, minIou: 0.3 });
  let man = 0;
  for (let f = 20; f <= 29; f++) {
    const faces = [box(920 - 8 * (29 - f), 719, 78)];
    man = tracker.update(faces).assigned[0]!.id;
  }
  let boy = 0;
  for (let f = 30; f <= 39; f++) {
    const update = tracker.update([box(1005, 719, 78)]);
    boy = update.assigned[0]!.id;
  }
  assert.notEqual(boy, man, 'the boy got a track of his own');
  // Undamped, the man's track predicts 920 + 8 * 11 = 1008: exactly where the boy is now.
  const at40 = tracker.update([box(1008, 719, 78)]).assigned[0]!.id;
  assert.equal(at40, boy, 'the boy keeps his id');
});
