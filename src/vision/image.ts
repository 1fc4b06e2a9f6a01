import fs from 'node:fs';
import path from 'node:path';
import { cv, type Mat } from './opencv.js';
import { ImageError, errorMessage } from '../errors.js';
import { readImageHeader } from './image_header.js';
import { checkPngChunks } from './png_chunks.js';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.bmp', '.pgm', '.ppm', '.tif', '.tiff', '.webp'];

/** Largest image decoded by default: 8K UHD (7680 x 4320), as setting input.max_pixels. */
export const DEFAULT_MAX_PIXELS = 7680 * 4320;

export interface ReadImageOptions {
  /** Refuse images whose header claims more pixels than this, before decoding (default DEFAULT_MAX_PIXELS). */
  maxPixels?: number;
}

function readBytes(file: string): Buffer {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ImageError(file, 'no such file');
  }
  if (stat.isDirectory()) throw new ImageError(file, 'is a directory');
  if (stat.size === 0) throw new ImageError(file, 'file is empty');
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new ImageError(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

/**
 * What libjpeg/libpng would otherwise find out on their own, half-way through decoding and with a
 * line on stderr that names no file (or after allocating the whole image): the format by its
 * signature, a cut-off file, damaged PNG chunks, and a size over the limit. Returns the bytes to
 * decode (a PNG without the chunks libpng only warns about).
 */
export function checkImageBytes(bytes: Buffer, source: string, options: ReadImageOptions = {}): Buffer {
  const header = readImageHeader(bytes);
  if (!header) throw new ImageError(source, 'is not an image file (no JPEG, PNG, BMP, WebP, TIFF or PNM signature)');
  if (header.complete === false) {
    throw new ImageError(source, header.container === 'jpeg' ? 'is truncated: the JPEG data ends before its end-of-image marker' : 'is truncated: the PNG data ends before its IEND chunk');
  }
  if (header.width !== undefined && header.height !== undefined) {
    const limit = options.maxPixels ?? DEFAULT_MAX_PIXELS;
    if (header.width === 0 || header.height === 0) throw new ImageError(source, `is damaged: its header says ${header.width}x${header.height} pixels`);
    if (header.width * header.height > limit) {
      throw new ImageError(source, `is ${header.width}x${header.height} pixels, over the limit of ${limit} pixels (setting input.max_pixels); not decoded`);
    }
  }
  if (header.container !== 'png') return bytes;
  const png = checkPngChunks(bytes);
  if (!png.ok) throw new ImageError(source, png.reason);
  return Buffer.isBuffer(png.bytes) ? png.bytes : Buffer.from(png.bytes);
}

function checkDecoded(file: string, mat: Mat | undefined): Mat {
  if (!mat || mat.empty || mat.rows === 0 || mat.cols === 0) throw new ImageError(file, 'does not decode as an image (unsupported or damaged)');
  return mat;
}

function readWith(file: string, flag: number, options: ReadImageOptions): Mat {
  const bytes = checkImageBytes(readBytes(file), file, options);
  let mat: Mat | undefined;
  try {
    mat = cv.imdecode(bytes, flag);
  } catch {
    mat = undefined;
  }
  return checkDecoded(file, mat);
}

/** Decode an image file as OpenCV does for the reference outputs: 8-bit gray (IMREAD_GRAYSCALE). */
export function readGray(file: string, options: ReadImageOptions = {}): Mat {
  return readWith(file, cv.IMREAD_GRAYSCALE, options);
}

/** Decode an image file as 8-bit BGR (IMREAD_COLOR); gray files come back as three equal channels. */
export function readColor(file: string, options: ReadImageOptions = {}): Mat {
  return readWith(file, cv.IMREAD_COLOR, options);
}

/** Decode compressed bytes (JPEG, PNG, ...) to 8-bit BGR. */
export function decodeColor(bytes: Buffer, source: string): Mat {
  if (bytes.length === 0) throw new ImageError(source, 'no data');
  let mat: Mat | undefined;
  try {
    mat = cv.imdecode(bytes, cv.IMREAD_COLOR);
  } catch {
    mat = undefined;
  }
  return checkDecoded(source, mat);
}

/** 8-bit gray view of a frame (BGR, BGRA or already gray). */
export function toGray(frame: Mat): Mat {
  if (frame.channels === 1) return frame;
  return frame.cvtColor(frame.channels === 4 ? cv.COLOR_BGRA2GRAY : cv.COLOR_BGR2GRAY);
}

/** Channel order of a 3- or 4-channel frame. */
export type ColorOrder = 'bgr' | 'rgb';

/** 8-bit BGR version of a gray, BGR/RGB or BGRA/RGBA frame (the frame itself when it is BGR already). */
export function toBgr(frame: Mat, order: ColorOrder = 'bgr'): Mat {
  switch (frame.channels) {
    case 1:
      return frame.cvtColor(cv.COLOR_GRAY2BGR);
    case 3:
      return order === 'rgb' ? frame.cvtColor(cv.COLOR_RGB2BGR) : frame;
    case 4:
      return frame.cvtColor(order === 'rgb' ? cv.COLOR_RGBA2BGR : cv.COLOR_BGRA2BGR);
    default:
      throw new ImageError('frame', `has ${frame.channels} channels; 1, 3 or 4 expected`);
  }
}

/**
 * Encode by the file's extension (.png, .jpg, ...) and write. Throws ImageError naming the file: an
 * extension OpenCV cannot encode, or a folder that is missing or not writable (cv.imwrite itself
 * throws a plain string for the first and silently writes nothing for the second).
 */
export function writeImage(file: string, image: Mat): void {
  const extension = path.extname(file).toLowerCase();
  if (!extension) throw new ImageError(file, 'cannot be written: the name needs an extension such as .png or .jpg');
  let encoded: Buffer;
  try {
    encoded = cv.imencode(extension, image);
  } catch {
    throw new ImageError(file, `cannot be written: OpenCV has no encoder for ${extension} (use .png or .jpg)`);
  }
  try {
    fs.writeFileSync(file, encoded);
  } catch (error) {
    throw new ImageError(file, `cannot be written (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`);
  }
}
