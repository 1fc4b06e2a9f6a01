import { cv, type Mat } from '../vision/opencv.js';
import { readGray } from '../vision/image.js';
import { faceInput, type Scaling } from '../vision/preprocess.js';
import type { Sample } from './datasets.js';

/** Pad a crop on each side by `fraction` of its size, repeating the edge pixels (wider framing, as the paper's crops). */
export function padReplicate(gray: Mat, fraction: number): Mat {
  if (fraction <= 0) return gray;
  const dx = Math.round(gray.cols * fraction);
  const dy = Math.round(gray.rows * fraction);
  return gray.copyMakeBorder(dy, dy, dx, dx, cv.BORDER_REPLICATE);
}

/** A sample as 8-bit gray: decoded from its file with OpenCV, or its CSV pixels. */
export function sampleGray(sample: Sample): Mat {
  if (!sample.pixels) return readGray(sample.file);
  const { data, width, height } = sample.pixels;
  return new cv.Mat(Buffer.from(data.buffer, data.byteOffset, data.byteLength), height, width, cv.CV_8UC1);
}

export interface InputGeometry {
  height: number;
  width: number;
  scaling?: Scaling;
  /** Widen each crop by this fraction on every side first (edge-replicated); default 0. */
  pad?: number;
}

/** The model input for a sample, preprocessed exactly as at inference (gray, bilinear resize, scaling). */
export function sampleInput(sample: Sample, geometry: InputGeometry): Float32Array {
  return faceInput(padReplicate(sampleGray(sample), geometry.pad ?? 0), geometry.height, geometry.width, geometry.scaling ?? 'minus-one-to-one');
}
