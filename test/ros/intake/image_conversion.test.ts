/**
 * sensor_msgs/Image and CompressedImage conversion, without ROS: every supported encoding, packed
 * and with row padding, must give the right pixels; malformed messages must throw ImageError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cv, type Mat } from '../../../src/vision/opencv.js';
import { ImageError } from '../../../src/errors.js';
import { FrameError } from '../../../src/ros/intake/frame_errors.js';
import { compressedMessageToMat, frameToBgr, imageMessageToMat, SUPPORTED_ENCODINGS, type ImageMessageLike } from '../../../src/ros/intake/image_conversion.js';

const W = 6;
const H = 4;

/** A small BGR test card: every pixel distinct. */
function bgrCard(): number[][][] {
  const rows: number[][][] = [];
  for (let y = 0; y < H; y++) {
    const row: number[][] = [];
    for (let x = 0; x < W; x++) row.push([(x * 40 + 10) % 256, (y * 60 + 5) % 256, (x * 13 + y * 29 + 100) % 256]);
    rows.push(row);
  }
  return rows;
}

/** Pack rows of pixel byte lists into a message buffer with `pad` extra bytes per row. */
function pack(rows: number[][], pad: number): { data: Uint8Array; step: number } {
  const rowBytes = rows[0]!.length;
  const step = rowBytes + pad;
  const data = new Uint8Array(step * rows.length).fill(0xee);
  rows.forEach((row, y) => data.set(row, y * step));
  return { data, step };
}

function message(encoding: string, rows: number[][], pad: number, extra: Partial<ImageMessageLike> = {}): ImageMessageLike {
  const { data, step } = pack(rows, pad);
  return { height: rows.length, width: W, encoding, is_bigendian: 0, step, data, ...extra };
}

function pixels(mat: Mat): number[][][] {
  const bgr = mat.channels === 1 ? mat.cvtColor(cv.COLOR_GRAY2BGR) : mat;
  return bgr.getDataAsArray() as unknown as number[][][];
}

const card = bgrCard();
const grayOf = (p: number[]): number => Math.round((p[0]! * 29 + p[1]! * 150 + p[2]! * 77) / 256);

for (const pad of [0, 3]) {
  const padded = pad ? ' with row padding' : '';

  test(`bgr8 / rgb8 / bgra8 / rgba8${padded}: pixels arrive in BGR order`, () => {
    const cases: [string, (p: number[]) => number[]][] = [
      ['bgr8', (p) => p],
      ['rgb8', (p) => [p[2]!, p[1]!, p[0]!]],
      ['bgra8', (p) => [...p, 255]],
      ['rgba8', (p) => [p[2]!, p[1]!, p[0]!, 255]],
    ];
    for (const [encoding, layout] of cases) {
      const frame = imageMessageToMat(message(encoding, card.map((row) => row.flatMap(layout)), pad));
      assert.equal(frame.mat.rows, H, encoding);
      assert.equal(frame.mat.cols, W, encoding);
      assert.deepEqual(pixels(frameToBgr(frame)), card, encoding);
      assert.equal(frame.colorOrder, encoding.startsWith('rgb') ? 'rgb' : 'bgr', encoding);
    }
  });

  test(`mono8${padded}: one channel, unchanged values`, () => {
    const gray = card.map((row) => row.map(grayOf));
    const frame = imageMessageToMat(message('mono8', gray, pad));
    assert.equal(frame.mat.channels, 1);
    assert.deepEqual(frame.mat.getDataAsArray(), gray);
  });

  test(`mono16${padded}: high byte kept, little- and big-endian`, () => {
    const values = card.map((row) => row.map((p) => p[0]! * 256 + p[1]!));
    for (const bigEndian of [0, 1]) {
      const bytes = values.map((row) => row.flatMap((v) => (bigEndian ? [v >> 8, v & 0xff] : [v & 0xff, v >> 8])));
      const frame = imageMessageToMat(message('mono16', bytes, pad, { is_bigendian: bigEndian }));
      assert.equal(frame.mat.channels, 1);
      assert.equal(frame.mat.depth, cv.CV_8U);
      const expected = values.map((row) => row.map((v) => Math.min(255, Math.round(v / 256))));
      const actual = frame.mat.getDataAsArray() as unknown as number[][];
      actual.forEach((row, y) => row.forEach((v, x) => assert.ok(Math.abs(v - expected[y]![x]!) <= 1, `big-endian ${bigEndian} (${x},${y}): ${v} vs ${expected[y]![x]}`)));
    }
  });

  test(`yuv422 (UYVY), uyvy, yuv422_yuy2, yuyv${padded}: BT.601 colours`, () => {
    // Per pixel pair: (Y0, Y1) share (U, V).
    const yuvRows = card.map((row) => {
      const pairs: { y0: number; y1: number; u: number; v: number }[] = [];
      for (let x = 0; x < W; x += 2) pairs.push({ y0: 16 + (row[x]![0]! % 200), y1: 16 + (row[x + 1]![1]! % 200), u: 64 + (row[x]![2]! % 128), v: 200 - (row[x + 1]![2]! % 128) });
      return pairs;
    });
    const clamp = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));
    const ref = (y: number, u: number, v: number): number[] => {
      const c = 1.164 * (y - 16);
      return [clamp(c + 2.018 * (u - 128)), clamp(c - 0.813 * (v - 128) - 0.391 * (u - 128)), clamp(c + 1.596 * (v - 128))];
    };
    const expected = yuvRows.map((pairs) => pairs.flatMap((p) => [ref(p.y0, p.u, p.v), ref(p.y1, p.u, p.v)]));
    const uyvy = yuvRows.map((pairs) => pairs.flatMap((p) => [p.u, p.y0, p.v, p.y1]));
    const yuyv = yuvRows.map((pairs) => pairs.flatMap((p) => [p.y0, p.u, p.y1, p.v]));
    for (const [encoding, rows] of [['yuv422', uyvy], ['uyvy', uyvy], ['yuv422_yuy2', yuyv], ['yuyv', yuyv]] as const) {
      const frame = imageMessageToMat(message(encoding, rows, pad));
      assert.equal(frame.mat.channels, 3, encoding);
      const actual = pixels(frame.mat);
      actual.forEach((row, y) => row.forEach((p, x) => p.forEach((c, i) => assert.ok(Math.abs(c - expected[y]![x]![i]!) <= 2, `${encoding} (${x},${y})[${i}]: ${c} vs ${expected[y]![x]![i]}`))));
    }
  });
}

test('every supported encoding is covered above', () => {
  assert.deepEqual([...SUPPORTED_ENCODINGS].sort(), ['bgr8', 'bgra8', 'mono16', 'mono8', 'rgb8', 'rgba8', 'uyvy', 'yuv422', 'yuv422_yuy2', 'yuyv']);
});

test('the Mat owns a copy of the pixels (the message buffer may be reused)', () => {
  const msg = message('bgr8', card.map((row) => row.flat()), 0);
  const frame = imageMessageToMat(msg);
  (msg.data as Uint8Array).fill(0);
  assert.deepEqual(pixels(frame.mat), card);
});

test('plain number arrays (rclnodejs without typed arrays) work too', () => {
  const msg = message('bgr8', card.map((row) => row.flat()), 2);
  const frame = imageMessageToMat({ ...msg, data: Array.from(msg.data) });
  assert.deepEqual(pixels(frame.mat), card);
});

test('malformed images throw ImageError naming the reason', () => {
  const good = message('bgr8', card.map((row) => row.flat()), 0);
  const cases: [Partial<ImageMessageLike>, RegExp][] = [
    [{ data: (good.data as Uint8Array).subarray(0, good.step * H - 1) }, /data has \d+ bytes, step \* height = \d+ expected/],
    [{ data: new Uint8Array(good.step * H + 10) }, /data has 82 bytes, step \* height = 72 expected/],
    [{ encoding: '32FC1' }, /unsupported encoding "32FC1"/],
    [{ encoding: '' }, /unsupported encoding/],
    [{ step: W * 3 - 1 }, /step 17 is smaller than width \* 3 bytes = 18/],
    [{ width: 0 }, /width and height must be positive/],
    [{ height: -1 }, /width and height must be positive/],
  ];
  for (const [change, reason] of cases) {
    assert.throws(() => imageMessageToMat({ ...good, ...change }, '/camera/image'), (error: unknown) => error instanceof FrameError && reason.test(error.message) && error.message.includes('/camera/image'), JSON.stringify(Object.keys(change)));
  }
  const odd = { height: 1, width: 3, encoding: 'yuyv', is_bigendian: 0, step: 6, data: new Uint8Array(6) };
  assert.throws(() => imageMessageToMat(odd), /needs an even width/);
});

test('CompressedImage: PNG decodes exactly, JPEG closely, garbage throws', () => {
  const bgr = new cv.Mat(card as unknown as number[][][], cv.CV_8UC3);
  const png = compressedMessageToMat({ format: 'png', data: new Uint8Array(cv.imencode('.png', bgr)) });
  assert.equal(png.colorOrder, 'bgr');
  assert.deepEqual(pixels(png.mat), card);
  const big = bgr.resize(64, 96, 0, 0, cv.INTER_NEAREST);
  const jpeg = compressedMessageToMat({ format: 'rgb8; jpeg compressed bgr8', data: new Uint8Array(cv.imencode('.jpg', big, [cv.IMWRITE_JPEG_QUALITY, 95])) });
  assert.equal(jpeg.mat.rows, 64);
  assert.equal(jpeg.mat.cols, 96);
  const diff = jpeg.mat.absdiff(big).cvtColor(cv.COLOR_BGR2GRAY);
  assert.ok(diff.mean().x < 10, 'JPEG close to the original');
  assert.throws(() => compressedMessageToMat({ format: 'jpeg', data: new Uint8Array([1, 2, 3, 4]) }), ImageError);
  assert.throws(() => compressedMessageToMat({ format: 'jpeg', data: new Uint8Array() }), ImageError);
  assert.throws(() => compressedMessageToMat({ format: '16UC1; compressedDepth', data: new Uint8Array([1]) }), /depth/);
});
