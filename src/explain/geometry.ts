import type { Padding } from '../models/keras/layers.js';

export interface AxisGeometry {
  /** Output length. */
  out: number;
  /** Padding before and after the input along this axis. */
  before: number;
  after: number;
}

/** One spatial axis of a convolution or pooling window, as TensorFlow pads it ('same' puts the odd cell after). */
export function axisGeometry(size: number, window: number, stride: number, padding: Padding): AxisGeometry {
  if (padding === 'valid') return { out: Math.max(0, Math.floor((size - window) / stride) + 1), before: 0, after: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + window - size, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}
