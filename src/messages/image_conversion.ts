/**
 * sensor_msgs/Image and sensor_msgs/CompressedImage -> OpenCV frames for the pipeline. Pure: plain
 * message-shaped objects in, a Mat out, no ROS needed, so every encoding is unit-tested without ROS.
 * Malformed input throws FrameError (an ImageError) with the reason's code and text; the node counts
 * it, logs it (throttled) and skips the frame. Compressed bytes are checked before decoding
 * (input_guard.ts): size from the header, completeness, signature.
 */
import { cv, type Mat } from '../vision/opencv.js';
import { decodeColor, toBgr } from '../vision/image.js';
import type { ColorOrder } from '../pipeline/pipeline.js';
import { ImageError, errorMessage } from '../errors.js';
import { FrameError } from './frame_errors.js';
import { DEFAULT_INPUT_LIMITS, checkCompressed, checkPixelCount, type InputLimits } from './input_guard.js';

/** The fields of sensor_msgs/Image the conversion reads (rclnodejs hands `data` as a Uint8Array). */
export interface ImageMessageLike {
  height: number;
  width: number;
  encoding: string;
  is_bigendian: number | boolean;
  step: number;
  data: Uint8Array | readonly number[];
}

/** The fields of sensor_msgs/CompressedImage the conversion reads. */
export interface CompressedImageMessageLike {
  format: string;
  data: Uint8Array | readonly number[];
}

/** A frame ready for FacePipeline.process(mat, colorOrder): 8-bit gray, 3 or 4 channels. */
export interface ConvertedFrame {
  mat: Mat;
  colorOrder: ColorOrder;
}

interface EncodingInfo {
  /** Bytes per pixel in the message. */
  bytes: number;
  /** Bytes of one channel value (2 for 16-bit). */
  channelBytes: number;
  /** OpenCV type of the message's pixels. */
  type: number;
  /** Turns the message-shaped Mat into something the pipeline takes. */
  convert: (mat: Mat, bigEndian: boolean) => ConvertedFrame;
}

const same = (colorOrder: ColorOrder) => (mat: Mat): ConvertedFrame => ({ mat, colorOrder });
const yuv = (code: number) => (mat: Mat): ConvertedFrame => ({ mat: mat.cvtColor(code), colorOrder: 'bgr' });

/**
 * Supported encodings (sensor_msgs/image_encodings.hpp names). ROS's `yuv422` is UYVY byte order;
 * `yuv422_yuy2` and `yuyv` are YUYV.
 */
const ENCODINGS: Record<string, EncodingInfo> = {
  rgb8: { bytes: 3, channelBytes: 1, type: cv.CV_8UC3, convert: same('rgb') },
  bgr8: { bytes: 3, channelBytes: 1, type: cv.CV_8UC3, convert: same('bgr') },
  rgba8: { bytes: 4, channelBytes: 1, type: cv.CV_8UC4, convert: same('rgb') },
  bgra8: { bytes: 4, channelBytes: 1, type: cv.CV_8UC4, convert: same('bgr') },
  mono8: { bytes: 1, channelBytes: 1, type: cv.CV_8UC1, convert: same('bgr') },
  mono16: { bytes: 2, channelBytes: 2, type: cv.CV_16UC1, convert: mono16 },
  yuv422: { bytes: 2, channelBytes: 1, type: cv.CV_8UC2, convert: yuv(cv.COLOR_YUV2BGR_UYVY) },
  uyvy: { bytes: 2, channelBytes: 1, type: cv.CV_8UC2, convert: yuv(cv.COLOR_YUV2BGR_UYVY) },
  yuv422_yuy2: { bytes: 2, channelBytes: 1, type: cv.CV_8UC2, convert: yuv(cv.COLOR_YUV2BGR_YUY2) },
  yuyv: { bytes: 2, channelBytes: 1, type: cv.CV_8UC2, convert: yuv(cv.COLOR_YUV2BGR_YUY2) },
};

export const SUPPORTED_ENCODINGS: readonly string[] = Object.keys(ENCODINGS);

const HOST_BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

/**
 * 16-bit gray to 8-bit by keeping the high byte (full-range scaling, 65535 -> 255). Cameras that fill
 * only 10 or 12 bits look dark this way, but detection works on relative contrast.
 */
function mono16(mat: Mat, bigEndian: boolean): ConvertedFrame {
  let source = mat;
  if (bigEndian !== HOST_BIG_ENDIAN) {
    const bytes = mat.getData();
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      const hi = bytes[i]!;
      bytes[i] = bytes[i + 1]!;
      bytes[i + 1] = hi;
    }
    source = new cv.Mat(mat.rows, mat.cols, cv.CV_16UC1, bytes).copy();
  }
  return { mat: source.convertTo(cv.CV_8U, 1 / 256), colorOrder: 'bgr' };
}

/** A Buffer over the message bytes without copying when rclnodejs gave a typed array. */
function asBuffer(data: Uint8Array | readonly number[]): Buffer {
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data as number[]);
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n > 0;
}

/**
 * sensor_msgs/Image -> Mat. `step` (bytes per row, rows may be padded) is honoured; data must be
 * exactly step * height bytes (the message definition's size: anything else means the publisher
 * got width, height or step wrong). mono16 honours is_bigendian; 8-bit encodings have no byte order.
 */
export function imageMessageToMat(msg: ImageMessageLike, source = 'sensor_msgs/Image', limits: InputLimits = DEFAULT_INPUT_LIMITS): ConvertedFrame {
  const encoding = String(msg.encoding ?? '').trim().toLowerCase();
  const info = ENCODINGS[encoding];
  if (!info) throw new FrameError('unsupported_encoding', source, `unsupported encoding "${msg.encoding}" (supported: ${SUPPORTED_ENCODINGS.join(', ')})`);
  const { width, height, step } = msg;
  if (!isCount(width) || !isCount(height)) throw new FrameError('bad_dimensions', source, `has size ${width}x${height}; width and height must be positive integers`);
  checkPixelCount(width, height, source, limits);
  if (info.type === cv.CV_8UC2 && width % 2 !== 0) throw new FrameError('bad_dimensions', source, `${encoding} needs an even width (pixel pairs share U and V), got ${width}`);
  const rowBytes = width * info.bytes;
  if (!Number.isInteger(step) || step < rowBytes) throw new FrameError('bad_step', source, `step ${step} is smaller than width * ${info.bytes} bytes = ${rowBytes}`);
  const length = msg.data?.length ?? 0;
  if (length !== step * height) throw new FrameError('data_size', source, `data has ${length} bytes, step * height = ${step * height} expected`);
  // The Mat is built over the message's bytes with its row stride, then copied: the copy owns its
  // memory (the message buffer may be reused by rclnodejs) and drops the row padding. OpenCV aborts
  // the process (not a catchable error) on a stride that is not a multiple of the channel size, as an
  // odd mono16 step would be, so such rows are packed here first.
  let bytes = asBuffer(msg.data);
  let stride = step;
  if (step % info.channelBytes !== 0) {
    const packed = Buffer.alloc(rowBytes * height);
    for (let y = 0; y < height; y++) bytes.copy(packed, y * rowBytes, y * step, y * step + rowBytes);
    bytes = packed;
    stride = rowBytes;
  }
  const view = new cv.Mat(height, width, info.type, bytes, stride);
  return info.convert(view.copy(), !!msg.is_bigendian);
}

/**
 * sensor_msgs/CompressedImage (JPEG, PNG, or another still image OpenCV decodes) -> 8-bit BGR. The
 * bytes are checked first (format, signature, size, completeness); only then decoded.
 */
export function compressedMessageToMat(msg: CompressedImageMessageLike, source = 'sensor_msgs/CompressedImage', limits: InputLimits = DEFAULT_INPUT_LIMITS): ConvertedFrame {
  const bytes = asBuffer(msg.data ?? []);
  checkCompressed(String(msg.format ?? ''), bytes, source, limits);
  let mat: Mat;
  try {
    mat = decodeColor(bytes, `${source} (${msg.format || 'unknown format'})`);
  } catch (error) {
    throw new FrameError('undecodable', source, `${msg.format || 'unknown format'} bytes do not decode (${error instanceof ImageError ? error.reason : errorMessage(error)})`);
  }
  // Containers whose header is not read before decoding are held to the same limit after it.
  checkPixelCount(mat.cols, mat.rows, source, limits);
  return { mat, colorOrder: 'bgr' };
}

/** 8-bit BGR version of a converted frame, for drawing the debug image. */
export function frameToBgr(frame: ConvertedFrame): Mat {
  return toBgr(frame.mat, frame.colorOrder);
}
