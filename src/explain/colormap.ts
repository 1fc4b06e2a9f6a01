import { cv, type Mat } from '../vision/opencv.js';

/** MATLAB/OpenCV "jet" for t in [0, 1], as [b, g, r] bytes: blue, cyan, yellow, red. */
export function jet(t: number): [number, number, number] {
  const ramp = (x: number): number => Math.round(255 * Math.min(1, Math.max(0, x)));
  const r = ramp(1.5 - Math.abs(4 * t - 3));
  const g = ramp(1.5 - Math.abs(4 * t - 2));
  const b = ramp(1.5 - Math.abs(4 * t - 1));
  return [b, g, r];
}

/** 8-bit gray -> 8-bit BGR jet colours; OpenCV's applyColorMap where the binding has it. */
export function applyJet(gray: Mat): Mat {
  if (typeof cv.applyColorMap === 'function') return cv.applyColorMap(gray, cv.COLORMAP_JET);
  const lut = Array.from({ length: 256 }, (_, v) => jet(v / 255));
  const src = gray.getData();
  const out = Buffer.alloc(src.length * 3);
  for (let i = 0; i < src.length; i++) out.set(lut[src[i]!]!, i * 3);
  return new cv.Mat(out, gray.rows, gray.cols, cv.CV_8UC3);
}
