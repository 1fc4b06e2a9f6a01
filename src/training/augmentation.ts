import { cv } from '../vision/opencv.js';
import type { Random } from './random.js';

/**
 * The paper's augmentation: Keras 2.0's ImageDataGenerator(rotation_range=10, width_shift_range=0.1,
 * height_shift_range=0.1, zoom_range=0.1, horizontal_flip=True), applied to the preprocessed input.
 */
export interface AugmentOptions {
  /** Largest rotation, degrees (uniform in +-). */
  rotation: number;
  /** Largest shift, as a fraction of the width / height. */
  widthShift: number;
  heightShift: number;
  /** Zoom factors are uniform in [1 - zoom, 1 + zoom], drawn separately for each axis (as Keras does). */
  zoom: number;
  horizontalFlip: boolean;
}

export const PAPER_AUGMENTATION: AugmentOptions = { rotation: 10, widthShift: 0.1, heightShift: 0.1, zoom: 0.1, horizontalFlip: true };

/**
 * One random transform of a one-channel float image (height*width, row-major), as Keras's
 * random_transform: rotation, then shift, then zoom, about the point (h/2 + 0.5, w/2 + 0.5); the
 * matrix maps output to input pixels, sampled by the nearest pixel (Keras 2.0's apply_transform
 * uses order=0) with edge pixels repeated outside (fill_mode 'nearest'); then a flip with p = 0.5.
 * The size and the label never change.
 */
export function randomTransform(image: Float32Array, height: number, width: number, rng: Random, options: AugmentOptions = PAPER_AUGMENTATION): Float32Array {
  const theta = (Math.PI / 180) * rng.uniform(-options.rotation, options.rotation);
  const shiftRows = rng.uniform(-options.heightShift, options.heightShift) * height;
  const shiftCols = rng.uniform(-options.widthShift, options.widthShift) * width;
  const zoomRows = options.zoom ? rng.uniform(1 - options.zoom, 1 + options.zoom) : 1;
  const zoomCols = options.zoom ? rng.uniform(1 - options.zoom, 1 + options.zoom) : 1;
  const flip = options.horizontalFlip && rng.next() < 0.5;
  // Keras's matrix in (row, col) coordinates: R(theta) * T(shift) * Z(zoom).
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const a = [cos * zoomRows, -sin * zoomCols, cos * shiftRows - sin * shiftCols];
  const b = [sin * zoomRows, cos * zoomCols, sin * shiftRows + cos * shiftCols];
  // Centred: offset * M * reset, with Keras's centre h/2 + 0.5, w/2 + 0.5.
  const cr = height / 2 + 0.5;
  const cc = width / 2 + 0.5;
  const rowOffset = a[2]! + cr - a[0]! * cr - a[1]! * cc;
  const colOffset = b[2]! + cc - b[0]! * cr - b[1]! * cc;
  // OpenCV's (x = col, y = row): input x = b1*x + b0*y + colOffset, input y = a1*x + a0*y + rowOffset.
  const matrix = new cv.Mat([[b[1]!, b[0]!, colOffset], [a[1]!, a[0]!, rowOffset]], cv.CV_64F);
  const source = new cv.Mat(Buffer.from(image.buffer, image.byteOffset, image.byteLength), height, width, cv.CV_32FC1);
  const warped = source.warpAffine(matrix, new cv.Size(width, height), cv.INTER_NEAREST | cv.WARP_INVERSE_MAP, cv.BORDER_REPLICATE);
  const data = warped.getData();
  const out = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  if (flip) {
    for (let r = 0; r < height; r++) out.subarray(r * width, (r + 1) * width).reverse();
  }
  return out;
}
