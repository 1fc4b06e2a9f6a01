/**
 * Checks on an input frame that come before any pixel is touched: the pixel-count limit, and for a
 * CompressedImage its format string, signature, header size and completeness. A frame that fails
 * throws FrameError with the reason's code. Pure; the limits come from the node's parameters.
 */
import { readImageHeader } from '../vision/image_header.js';
import { DEFAULT_MAX_PIXELS } from '../vision/image.js';
import { FrameError } from './frame_errors.js';

export type TruncatedPolicy = 'skip' | 'process';

export interface InputLimits {
  /** Most pixels (width * height) a frame may have. */
  maxPixels: number;
  /** A JPEG or PNG cut short: skip it, or decode what is there (libjpeg fills the rest gray). */
  truncated: TruncatedPolicy;
}

/** 8K UHD (7680 x 4320, setting input.max_pixels): larger frames are refused. */
export const DEFAULT_INPUT_LIMITS: InputLimits = { maxPixels: DEFAULT_MAX_PIXELS, truncated: 'skip' };

export function checkPixelCount(width: number, height: number, source: string, limits: InputLimits): void {
  if (width * height > limits.maxPixels) throw new FrameError('too_large', source, `has ${width}x${height} = ${width * height} pixels, more than input.max_pixels = ${limits.maxPixels}`);
}

/**
 * Compression names of format strings that are not still images. image_transport plugins write the
 * format as "<encoding>; <compression> compressed <encoding>" or just the compression ("jpeg").
 */
const NOT_STILL_IMAGES = ['compresseddepth', 'h264', 'h265', 'hevc', 'theora', 'ffmpeg', 'av1', 'vp8', 'vp9', 'zstd'];
const STILL_IMAGES = ['jpeg', 'jpg', 'png', 'bmp', 'webp', 'tiff', 'tif', 'pbm', 'pgm', 'ppm', 'pnm'];

/** Throws FrameError unless `bytes` look like a complete still image of acceptable size. */
export function checkCompressed(format: string, bytes: Uint8Array, source: string, limits: InputLimits): void {
  const lower = format.toLowerCase();
  const words = lower.split(/[^a-z0-9]+/).filter(Boolean);
  const foreign = NOT_STILL_IMAGES.find((name) => lower.includes(name));
  if (foreign === 'compresseddepth') throw new FrameError('unsupported_format', source, `format "${format}" is a compressed depth image, not a camera image`);
  if (foreign) throw new FrameError('unsupported_format', source, `format "${format}" is a video or packed stream (${foreign}), not a still image: use the raw or the jpeg/png transport`);
  // An empty format is common (hand-made messages); the bytes decide then.
  if (words.length && !words.some((word) => STILL_IMAGES.includes(word))) {
    throw new FrameError('unsupported_format', source, `format "${format}" names no image compression this node decodes (${STILL_IMAGES.slice(0, 5).join(', ')}, ...)`);
  }
  if (bytes.length === 0) throw new FrameError('empty', source, 'has no data');
  const header = readImageHeader(bytes);
  if (!header) throw new FrameError('undecodable', source, `${bytes.length} bytes that start with no known image signature (format "${format}")`);
  if (header.width !== undefined && header.height !== undefined) {
    if (header.width === 0 || header.height === 0) throw new FrameError('bad_dimensions', source, `${header.container} header says ${header.width}x${header.height}`);
    checkPixelCount(header.width, header.height, source, limits);
  }
  if (header.complete === false && limits.truncated === 'skip') {
    throw new FrameError('truncated', source, `${header.container} data ends early (${bytes.length} bytes, no end marker): truncated in transport or by the camera driver (input.truncated=process decodes what is there)`);
  }
}
