/**
 * Why an input frame was not answered. Each reason has a stable code: it is the key of its counter in
 * /diagnostics (`skipped.<code>`), the field of the throttled warning, and what the fuzz test counts.
 */
import { ImageError } from '../errors.js';

export const SKIP_REASONS = [
  /** sensor_msgs/Image encoding the node does not convert (e.g. 32FC1, bayer). */
  'unsupported_encoding',
  /** Width or height zero, negative or not an integer; odd width for a YUV 4:2:2 encoding. */
  'bad_dimensions',
  /** More pixels than input.max_pixels (also read from a compressed image's header, before decoding). */
  'too_large',
  /** `step` smaller than width * bytes per pixel, or not an integer. */
  'bad_step',
  /** `data` shorter or longer than step * height. */
  'data_size',
  /** CompressedImage format that is not a still image OpenCV decodes (h264, compressedDepth, ...). */
  'unsupported_format',
  /** CompressedImage with no bytes. */
  'empty',
  /** Bytes that are not an image (no known signature, or the decoder refuses them). */
  'undecodable',
  /** A JPEG or PNG cut short (no end marker); skipped unless input.truncated is `process`. */
  'truncated',
  /** The pipeline threw on a converted frame (a bug or a native failure: logged as an error). */
  'pipeline_error',
  /** The result was computed but publishing it failed (logged as an error). */
  'output_error',
] as const;

export type SkipReason = (typeof SKIP_REASONS)[number];

/** A frame that cannot be used, with the reason's code; still an ImageError for callers that only know those. */
export class FrameError extends ImageError {
  constructor(readonly code: SkipReason, source: string, reason: string) {
    super(source, reason);
  }
}

/** Counts per reason, every reason present (zero included) so that /diagnostics always lists them all. */
export function emptyReasonCounts(): Record<SkipReason, number> {
  return Object.fromEntries(SKIP_REASONS.map((reason) => [reason, 0])) as Record<SkipReason, number>;
}
