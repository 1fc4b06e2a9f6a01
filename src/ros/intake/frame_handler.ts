/**
 * One input message -> one outcome, and never an exception (the promise never rejects): convert
 * (Image or CompressedImage), run the pipeline, hand the answer to the node's publisher. A frame that cannot be used is counted by
 * reason in FrameStats (-> /diagnostics) and logged, throttled per reason with the count of lines
 * held back. ROS-free: the node calls it from its worker, the fuzz test and the soak run call it directly.
 */
import type { FacePipeline, FrameResult } from '../../pipeline/pipeline.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { compressedMessageToMat, imageMessageToMat, type CompressedImageMessageLike, type ConvertedFrame, type ImageMessageLike } from './image_conversion.js';
import type { HeaderMsg } from '../../messages/face_classification.js';
import type { FrameStats } from '../runtime/diagnostics.js';
import { FrameError, type SkipReason } from './frame_errors.js';
import type { InputLimits } from './input_guard.js';
import { Throttle } from '../runtime/throttle.js';

export interface FrameJob {
  message: ImageMessageLike | CompressedImageMessageLike;
  compressed: boolean;
  /** performance.now() when the message reached the node. */
  arrival: number;
}

/** A processed frame, ready to publish. */
export interface Answer {
  header: HeaderMsg | undefined;
  frame: ConvertedFrame;
  result: FrameResult;
  pipeline: FacePipeline;
  convertMs: number;
  /** Arrival -> result, milliseconds. */
  latencyMs: number;
}

export type Outcome =
  | { kind: 'answered'; answer: Answer }
  | { kind: 'skipped'; reason: SkipReason; detail: string }
  /** No pipeline (not configured, or being cleaned up), or no longer wanted: ignored, not counted. */
  | { kind: 'idle' };

export interface FrameHandlerOptions {
  /** Names the input in log lines and reasons (the topic). */
  source: string;
  pipeline: () => FacePipeline | undefined;
  limits: () => InputLimits;
  stats: FrameStats;
  log: Logger;
  /** Publishes an answer; what it throws is counted as output_error. */
  publish: (answer: Answer) => void;
  /** Runs the pipeline on a converted frame: pipeline.process by default (the node uses its detect-and-track stream). */
  process?: (pipeline: FacePipeline, frame: ConvertedFrame) => FrameResult | Promise<FrameResult>;
  /** Asked once the result is there: false drops it unpublished and uncounted (deactivated meanwhile). */
  stillWanted?: () => boolean;
  /** Milliseconds; performance.now by default. */
  now?: () => number;
  /** At most one warning per reason per this many milliseconds (default 5 s). */
  throttleMs?: number;
}

/** Frames that fail for a reason the node does not expect are errors; malformed input is a warning. */
const ERROR_REASONS: readonly SkipReason[] = ['pipeline_error', 'output_error'];

export class FrameHandler {
  private readonly throttle: Throttle<SkipReason>;
  private readonly now: () => number;

  constructor(private readonly options: FrameHandlerOptions) {
    this.throttle = new Throttle(options.throttleMs ?? 5000);
    this.now = options.now ?? (() => performance.now());
  }

  async handle(job: FrameJob): Promise<Outcome> {
    const { source, stats } = this.options;
    const pipeline = this.options.pipeline();
    if (!pipeline) return { kind: 'idle' };
    const header = headerOf(job.message);
    const t0 = this.now();
    let frame: ConvertedFrame;
    let result: FrameResult;
    try {
      const limits = this.options.limits();
      frame = job.compressed ? compressedMessageToMat(job.message as CompressedImageMessageLike, source, limits) : imageMessageToMat(job.message as ImageMessageLike, source, limits);
    } catch (error) {
      return this.skip(error instanceof FrameError ? error.code : 'pipeline_error', error);
    }
    const convertMs = this.now() - t0;
    try {
      result = await (this.options.process ? this.options.process(pipeline, frame) : pipeline.process(frame.mat, frame.colorOrder));
    } catch (error) {
      return this.skip('pipeline_error', error);
    }
    if (this.options.stillWanted && !this.options.stillWanted()) return { kind: 'idle' };
    const answer: Answer = { header, frame, result, pipeline, convertMs, latencyMs: this.now() - job.arrival };
    try {
      this.options.publish(answer);
    } catch (error) {
      return this.skip('output_error', error);
    }
    // The pipeline's own convertMs is the colour conversion; the message's decoding comes before it.
    stats.output({ ...result.timings, convertMs: convertMs + result.timings.convertMs, latencyMs: answer.latencyMs });
    return { kind: 'answered', answer };
  }

  /** Log the lines held back by the throttle for reasons that went quiet (call about once a second). */
  reportSuppressed(): void {
    for (const { key, suppressed } of this.throttle.due(this.now())) {
      this.options.log.warn({ topic: this.options.source, reason: key, suppressed }, 'more frames skipped');
    }
  }

  private skip(reason: SkipReason, error: unknown): Outcome {
    const detail = errorMessage(error);
    this.options.stats.skip(reason, detail);
    const suppressed = this.throttle.pass(reason, this.now());
    if (suppressed !== undefined) {
      const fields = { topic: this.options.source, reason, detail, ...(suppressed ? { suppressed } : {}) };
      if (ERROR_REASONS.includes(reason)) this.options.log.error(fields, 'frame failed');
      else this.options.log.warn(fields, 'frame skipped');
    }
    return { kind: 'skipped', reason, detail };
  }
}

/** The message's header if it has a usable one (a malformed message may lack it). */
function headerOf(message: unknown): HeaderMsg | undefined {
  const header = (message as { header?: unknown } | null | undefined)?.header;
  return header && typeof header === 'object' ? (header as HeaderMsg) : undefined;
}
