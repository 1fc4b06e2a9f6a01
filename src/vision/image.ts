import fs from 'node:fs';
import { cv, type Mat } from './opencv.js';
import { ImageError } from '../errors.js';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.bmp', '.pgm', '.ppm', '.tif', '.tiff', '.webp'];

function checkFile(file: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ImageError(file, 'no such file');
  }
  if (stat.isDirectory()) throw new ImageError(file, 'is a directory');
  if (stat.size === 0) throw new ImageError(file, 'file is empty');
}

function checkDecoded(file: string, mat: Mat | undefined): Mat {
  if (!mat || mat.empty || mat.rows === 0 || mat.cols === 0) throw new ImageError(file, 'does not decode as an image (unsupported or damaged)');
  return mat;
}

function readWith(file: string, flag: number): Mat {
  checkFile(file);
  let mat: Mat | undefined;
  try {
    mat = cv.imread(file, flag);
  } catch {
    mat = undefined;
  }
  return checkDecoded(file, mat);
}

/** Decode an image file as OpenCV does for the reference outputs: 8-bit gray (IMREAD_GRAYSCALE). */
export function readGray(file: string): Mat {
  return readWith(file, cv.IMREAD_GRAYSCALE);
}

/** Decode an image file as 8-bit BGR (IMREAD_COLOR); gray files come back as three equal channels. */
export function readColor(file: string): Mat {
  return readWith(file, cv.IMREAD_COLOR);
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

export function writeImage(file: string, image: Mat): void {
  cv.imwrite(file, image);
}
