/**
 * Fuzz test of the node's per-message handling, without ROS: 1,000 seeded random messages, most of
 * them malformed Image or CompressedImage messages of every kind, the rest good frames, through the
 * real conversion, guards and pipeline (FrameHandler, as the node's worker calls it). Nothing may
 * throw past the handler; every message must end as answered or skipped for its reason, the
 * counters must account for each one, every good frame must be answered, and the throttled warnings
 * plus their suppressed counts must add up to the skipped frames. The seed is printed; rerun a
 * failure with FUZZ_SEED=<seed>.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pino } from 'pino';
import { cv, type Mat } from '../../../src/vision/opencv.js';
import { readColor } from '../../../src/vision/image.js';
import { makeConfig } from '../../../src/config/validate.js';
import { FacePipeline } from '../../../src/pipeline/pipeline.js';
import { FrameStats } from '../../../src/ros/runtime/diagnostics.js';
import { FrameHandler, type Answer, type FrameJob, type Outcome } from '../../../src/ros/intake/frame_handler.js';
import { SKIP_REASONS, type SkipReason } from '../../../src/ros/intake/frame_errors.js';
import { DEFAULT_INPUT_LIMITS } from '../../../src/ros/intake/input_guard.js';
import { photos } from '../../helpers/common.js';
import { seededRandom } from '../../../src/bench/scene.js';

const MESSAGES = 1000;
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
process.stdout.write(`# fuzz seed ${seed} (rerun with FUZZ_SEED=${seed})\n`);

const random = seededRandom(seed);
const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;

type Expect = 'answered' | SkipReason;
interface Case {
  kind: string;
  job: Omit<FrameJob, 'arrival'>;
  /** What must happen; several when the decoder decides (corrupted entropy data). */
  expect: readonly Expect[];
}

let stamp = 0;
const header = () => ({ stamp: { sec: 1_700_000_000, nanosec: ++stamp }, frame_id: 'fuzz' });

function rawFrames(bgr: Mat) {
  const packed = (mat: Mat, encoding: string, bytesPerPixel: number) => ({ height: mat.rows, width: mat.cols, encoding, is_bigendian: 0, step: mat.cols * bytesPerPixel, data: new Uint8Array(mat.getData()) });
  const gray = bgr.cvtColor(cv.COLOR_BGR2GRAY);
  const mono16 = new Uint8Array(gray.rows * gray.cols * 2);
  gray.getData().forEach((v, i) => ((mono16[2 * i] = v), (mono16[2 * i + 1] = v)));
  const yuv = new Uint8Array(bgr.rows * bgr.cols * 2).map(() => int(16, 235));
  return [
    packed(bgr, 'bgr8', 3),
    packed(bgr.cvtColor(cv.COLOR_BGR2RGB), 'rgb8', 3),
    packed(bgr.cvtColor(cv.COLOR_BGR2BGRA), 'bgra8', 4),
    packed(bgr.cvtColor(cv.COLOR_BGR2RGBA), 'rgba8', 4),
    packed(gray, 'mono8', 1),
    { height: gray.rows, width: gray.cols, encoding: 'mono16', is_bigendian: 0, step: gray.cols * 2, data: mono16 },
    { height: bgr.rows, width: bgr.cols, encoding: pick(['yuv422', 'uyvy', 'yuyv', 'yuv422_yuy2']), is_bigendian: 0, step: bgr.cols * 2, data: yuv },
  ];
}

function generate(bgr: Mat, jpeg: Uint8Array, png: Uint8Array): Case {
  const raws = rawFrames(bgr);
  const base = { ...pick(raws), header: header() };
  const raw = (kind: string, change: Record<string, unknown>, expect: Expect | readonly Expect[]): Case => ({ kind, job: { message: { ...base, ...change } as FrameJob['message'], compressed: false }, expect: typeof expect === 'string' ? [expect] : expect });
  const compressed = (kind: string, format: string, data: Uint8Array | number[], expect: Expect | readonly Expect[]): Case => ({ kind, job: { message: { header: header(), format, data } as FrameJob['message'], compressed: true }, expect: typeof expect === 'string' ? [expect] : expect });
  const bytes = (n: number) => new Uint8Array(n).map(() => int(0, 255));
  const rowBytes = base.width * (base.step / base.width);
  const sof = jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xc0);
  const sos = jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xda);
  const cases: (() => Case)[] = [
    // good frames, in every form
    () => raw('good raw', {}, 'answered'),
    () => raw('good raw', {}, 'answered'),
    () => compressed('good jpeg', pick(['jpeg', 'bgr8; jpeg compressed bgr8', '']), jpeg, 'answered'),
    () => compressed('good png', pick(['png', 'rgb8; png compressed bgr8']), png, 'answered'),
    () => raw('big-endian flag', { is_bigendian: pick([1, true, 255]) }, 'answered'),
    () => compressed('format names the other codec', 'png', jpeg, 'answered'),
    () => compressed('plain number array', 'jpeg', Array.from(jpeg), 'answered'),
    // malformed Image
    () => raw('data shorter', { data: base.data.subarray(0, int(0, base.data.length - 1)) }, 'data_size'),
    () => raw('data longer', { data: new Uint8Array(base.data.length + int(1, 5000)) }, 'data_size'),
    () => raw('data missing', { data: pick([undefined, null, []]) }, 'data_size'),
    () => raw('step smaller than a row', { step: rowBytes - int(1, rowBytes + 10) }, 'bad_step'),
    () => raw('step not an integer', { step: base.step + 0.5 }, 'bad_step'),
    () => raw('unknown encoding', { encoding: pick(['32FC1', '16UC1', '16UC3', 'rgb16', 'bgra16', 'bayer_rggb8', '8UC3', '', 'jpeg', `x${int(0, 1e6)}`, 42]) }, 'unsupported_encoding'),
    () => raw('bad width or height', pick([{ width: 0 }, { height: 0 }, { width: -base.width }, { height: Number.NaN }, { width: 1.5 }, { height: String(base.height) }, { width: undefined }]), 'bad_dimensions'),
    () => raw('over the pixel limit', pick([{ width: 100_000, height: 100_000, step: 300_000 }, { width: 8000, height: 5000, step: 24_000 }]), 'too_large'),
    () => raw('odd width for YUV', { height: 8, width: 7, encoding: 'yuyv', step: 14, data: new Uint8Array(112) }, 'bad_dimensions'),
    // malformed CompressedImage
    () => compressed('garbage bytes', 'jpeg', Uint8Array.from([int(0x00, 0x3f), ...bytes(int(0, 3000))]), 'undecodable'),
    () => compressed('unknown format', pick(['h264', 'theora', 'foo', '16UC1; compressedDepth png', 'zstd']), jpeg, 'unsupported_format'),
    () => compressed('empty payload', pick(['jpeg', 'png', '']), new Uint8Array(), 'empty'),
    () => compressed('truncated jpeg', 'jpeg', jpeg.subarray(0, int(3, jpeg.length - 1)), 'truncated'),
    () => compressed('truncated png', 'png', png.subarray(0, int(8, png.length - 1)), 'truncated'),
    () => {
      const huge = png.slice();
      new DataView(huge.buffer).setUint32(16, int(20_000, 2 ** 31 - 1));
      new DataView(huge.buffer).setUint32(20, int(20_000, 2 ** 31 - 1));
      return compressed('png header claims a huge image', 'png', huge, 'too_large');
    },
    () => {
      const huge = jpeg.slice();
      new DataView(huge.buffer).setUint16(sof + 5, int(10_000, 65535));
      new DataView(huge.buffer).setUint16(sof + 7, int(10_000, 65535));
      return compressed('jpeg header claims a huge image', 'jpeg', huge, 'too_large');
    },
    () => {
      // Damage inside the entropy-coded data, end marker kept: the decoder decides.
      const damaged = jpeg.slice();
      for (let i = 0; i < int(1, 20); i++) damaged[int(sos + 20, damaged.length - 3)] = int(0, 255);
      return compressed('damaged jpeg data', 'jpeg', damaged, ['answered', 'undecodable', 'truncated']);
    },
  ];
  return pick(cases)();
}

let pipeline: FacePipeline;
before(async () => {
  pipeline = await FacePipeline.create(makeConfig({ 'models.download': false }));
});
after(() => pipeline?.dispose());

test(`${MESSAGES} seeded random malformed and good messages: nothing throws, each accounted for by reason`, async () => {
  const bgr = readColor(path.join(photos, 'skimage_astronaut.png')).resize(96, 96);
  const jpeg = new Uint8Array(cv.imencode('.jpg', bgr, [cv.IMWRITE_JPEG_QUALITY, 85]));
  const png = new Uint8Array(cv.imencode('.png', bgr));
  const lines: { msg: string; reason?: SkipReason; suppressed?: number }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  // A synthetic clock, 10 ms per message: 1,000 messages span 10 s of throttling.
  let clock = 0;
  const stats = new FrameStats(0);
  const answered: Answer[] = [];
  const handler = new FrameHandler({ source: '/fuzz/image', pipeline: () => pipeline, limits: () => DEFAULT_INPUT_LIMITS, stats, log, publish: (answer) => void answered.push(answer), now: () => clock });

  const outcomes: { kase: Case; outcome: Outcome | 'threw'; error?: unknown }[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const kase = generate(bgr, jpeg, png);
    clock += 10;
    try {
      outcomes.push({ kase, outcome: await handler.handle({ ...kase.job, arrival: clock }) });
    } catch (error) {
      outcomes.push({ kase, outcome: 'threw', error });
    }
  }

  const threw = outcomes.filter((o) => o.outcome === 'threw');
  assert.equal(threw.length, 0, `threw past the handler (seed ${seed}): ${threw.slice(0, 3).map((o) => `${o.kase.kind}: ${String(o.error)}`).join('; ')}`);
  const result = (o: (typeof outcomes)[number]): Expect | 'idle' => (o.outcome === 'threw' ? 'answered' : o.outcome.kind === 'skipped' ? o.outcome.reason : o.outcome.kind === 'answered' ? 'answered' : 'idle');
  const wrong = outcomes.filter((o) => !o.kase.expect.includes(result(o) as Expect));
  assert.equal(wrong.length, 0, `unexpected outcomes (seed ${seed}): ${wrong.slice(0, 5).map((o) => `${o.kase.kind} -> ${result(o)} (${o.outcome !== 'threw' && o.outcome.kind === 'skipped' ? o.outcome.detail : ''})`).join('; ')}`);

  // Every skipped message is in its reason's counter, and only those.
  const skippedBy = Object.fromEntries(SKIP_REASONS.map((reason) => [reason, outcomes.filter((o) => result(o) === reason).length]));
  assert.deepEqual(stats.skippedByReason, skippedBy);
  const answers = outcomes.filter((o) => result(o) === 'answered');
  assert.equal(stats.totals.outputs, answers.length);
  assert.equal(stats.totals.errors + stats.totals.outputs, MESSAGES, 'each message answered or skipped');
  // Every good frame was answered with its own header.
  const stamps = new Set(answered.map((a) => a.header?.stamp.nanosec));
  const good = outcomes.filter((o) => o.kase.expect.length === 1 && o.kase.expect[0] === 'answered');
  assert.ok(good.length > 100, `enough good frames mixed in (${good.length})`);
  for (const o of good) assert.ok(stamps.has((o.kase.job.message as unknown as { header: { stamp: { nanosec: number } } }).header.stamp.nanosec), `${o.kase.kind} answered`);
  // Malformed kinds all occurred: the mix covers the list.
  const reasonsSeen = SKIP_REASONS.filter((reason) => skippedBy[reason]! > 0);
  assert.deepEqual(reasonsSeen, SKIP_REASONS.filter((reason) => reason !== 'pipeline_error' && reason !== 'output_error'));

  // Throttled: a few lines per reason, and lines + suppressed counts add up to the skipped frames.
  clock += 60_000;
  handler.reportSuppressed();
  for (const reason of reasonsSeen) {
    const mine = lines.filter((line) => line.reason === reason);
    const reported = mine.filter((line) => line.msg === 'frame skipped').length + mine.reduce((sum, line) => sum + (line.suppressed ?? 0), 0);
    assert.equal(reported, skippedBy[reason], `${reason}: warnings + suppressed counts`);
    assert.ok(mine.filter((line) => line.msg === 'frame skipped').length <= 3, `${reason}: throttled to one line per 5 s over 10 s`);
  }
  process.stdout.write(`# fuzz: ${answers.length} answered, skipped ${JSON.stringify(Object.fromEntries(reasonsSeen.map((r) => [r, skippedBy[r]])))}, ${lines.length} log lines\n`);
});
