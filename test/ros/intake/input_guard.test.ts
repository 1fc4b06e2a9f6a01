/**
 * Checks before decoding, on real JPEG/PNG bytes from OpenCV: the header's size, completeness at
 * every cut point, the pixel limit (a 40000x40000 header refused without decoding), formats that are
 * not still images, empty and garbage payloads; and the truncated-image policy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { cv } from '../../../src/vision/opencv.js';
import { readColor } from '../../../src/vision/image.js';
import { readImageHeader } from '../../../src/vision/image_header.js';
import { checkCompressed, DEFAULT_INPUT_LIMITS } from '../../../src/ros/intake/input_guard.js';
import { compressedMessageToMat, imageMessageToMat } from '../../../src/ros/intake/image_conversion.js';
import { FrameError, type SkipReason } from '../../../src/ros/intake/frame_errors.js';
import { photos } from '../../helpers/common.js';

const photo = readColor(path.join(photos, 'skimage_astronaut.png')).resize(96, 128);
const jpeg = new Uint8Array(cv.imencode('.jpg', photo, [cv.IMWRITE_JPEG_QUALITY, 80]));
const progressive = new Uint8Array(cv.imencode('.jpg', photo, [cv.IMWRITE_JPEG_PROGRESSIVE, 1]));
const png = new Uint8Array(cv.imencode('.png', photo));

function reasonOf(fn: () => unknown): SkipReason | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (error instanceof FrameError) return error.code;
    throw error;
  }
}

test('the header gives container, size and completeness of real JPEG (baseline, progressive) and PNG bytes', () => {
  for (const [name, bytes, container] of [['jpeg', jpeg, 'jpeg'], ['progressive', progressive, 'jpeg'], ['png', png, 'png']] as const) {
    assert.deepEqual(readImageHeader(bytes), { container, width: 128, height: 96, complete: true }, name);
  }
  const bmp = readImageHeader(new Uint8Array(cv.imencode('.bmp', photo)));
  assert.deepEqual(bmp, { container: 'bmp', width: 128, height: 96 });
  assert.equal(readImageHeader(new Uint8Array([1, 2, 3, 4, 5])), undefined);
});

test('every prefix of a JPEG or PNG is incomplete, so no cut goes through as a whole image', () => {
  for (const [name, bytes] of [['jpeg', jpeg], ['progressive', progressive], ['png', png]] as const) {
    const step = Math.max(1, Math.floor(bytes.length / 400));
    for (let cut = 3; cut < bytes.length; cut += step) {
      const header = readImageHeader(bytes.subarray(0, cut));
      if (header) assert.equal(header.complete, false, `${name} cut at ${cut} of ${bytes.length}`);
    }
    assert.equal(readImageHeader(bytes.subarray(0, bytes.length - 1))?.complete, false, `${name} without its last byte`);
  }
});

test('compressed frames are refused before decoding for their reason', () => {
  const check = (format: string, bytes: Uint8Array) => reasonOf(() => checkCompressed(format, bytes, '/cam/compressed', DEFAULT_INPUT_LIMITS));
  assert.equal(check('jpeg', jpeg), 'ok');
  assert.equal(check('bgr8; jpeg compressed bgr8', jpeg), 'ok');
  assert.equal(check('', png), 'ok', 'no format: the bytes decide');
  assert.equal(check('png', new Uint8Array()), 'empty');
  assert.equal(check('jpeg', new Uint8Array([1, 2, 3, 4, 5, 6])), 'undecodable');
  assert.equal(check('h264', jpeg), 'unsupported_format');
  assert.equal(check('16UC1; compressedDepth png', png), 'unsupported_format');
  assert.equal(check('foo', jpeg), 'unsupported_format');
  assert.equal(check('jpeg', jpeg.subarray(0, jpeg.length / 2)), 'truncated');
  assert.equal(check('png', png.subarray(0, png.length - 5)), 'truncated');
  // A PNG whose header claims 40000 x 40000: refused from the header (the CRC is wrong too, never read).
  const huge = png.slice();
  new DataView(huge.buffer).setUint32(16, 40000);
  new DataView(huge.buffer).setUint32(20, 40000);
  assert.equal(check('png', huge), 'too_large');
  const zero = png.slice();
  new DataView(zero.buffer).setUint32(16, 0);
  assert.equal(check('png', zero), 'bad_dimensions');
});

test('a huge PNG header is refused without allocating the image', () => {
  const huge = png.slice();
  new DataView(huge.buffer).setUint32(16, 40000);
  new DataView(huge.buffer).setUint32(20, 40000);
  const before = process.memoryUsage().rss;
  assert.throws(() => compressedMessageToMat({ format: 'png', data: huge }), /40000x40000 = 1600000000 pixels, more than input.max_pixels/);
  // 40000 x 40000 x 3 bytes would be 4.8 GB; the refusal allocates nothing of that order.
  assert.ok(process.memoryUsage().rss - before < 200e6);
});

test('input.truncated: skip refuses a truncated JPEG, process decodes what is there', () => {
  const cut = jpeg.subarray(0, Math.floor(jpeg.length * 0.7));
  assert.throws(() => compressedMessageToMat({ format: 'jpeg', data: cut }), (e: unknown) => e instanceof FrameError && e.code === 'truncated' && /ends early/.test(e.message));
  const partial = compressedMessageToMat({ format: 'jpeg', data: cut }, 'cam', { ...DEFAULT_INPUT_LIMITS, truncated: 'process' });
  assert.equal(partial.mat.rows, 96);
  assert.equal(partial.mat.cols, 128);
});

test('raw frames over input.max_pixels are refused before their data is read', () => {
  const msg = { height: 100_000, width: 100_000, encoding: 'bgr8', is_bigendian: 0, step: 300_000, data: new Uint8Array(10) };
  assert.throws(() => imageMessageToMat(msg, '/cam'), (e: unknown) => e instanceof FrameError && e.code === 'too_large');
  const small = { height: 10, width: 10, encoding: 'mono8', is_bigendian: 0, step: 10, data: new Uint8Array(100) };
  assert.equal(reasonOf(() => imageMessageToMat(small, '/cam', { ...DEFAULT_INPUT_LIMITS, maxPixels: 99 })), 'too_large');
  assert.equal(reasonOf(() => imageMessageToMat(small, '/cam', { ...DEFAULT_INPUT_LIMITS, maxPixels: 100 })), 'ok');
});
