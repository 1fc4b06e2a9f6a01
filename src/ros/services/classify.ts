/**
 * The ~/classify service (face_classification/srv/Classify): one answer on request. It runs the
 * photo path (FacePipeline.process: a full-frame scan with the photo detector, no tracking) on the
 * image in the request, or, for the empty request, on the newest camera frame the node has received.
 * Its steps on this thread (the state, the image's conversion) run on the node's frame worker
 * (FrameIntake.request), behind at most the frame in work; the full scan then runs on the thread
 * pool beside the camera's frames (FacePipeline.processAsync, FrameIntake.alongside), so the camera
 * path waits for no more than the conversion. Every failure (bad image, unsupported
 * encoding, no frame yet, node not active, too many requests waiting, a pipeline error) is answered
 * with success false and a reason; nothing here throws into rclnodejs's executor.
 */
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { FacePipeline } from '../../pipeline/pipeline.js';
import { copyHeader, resultToMessage, type HeaderMsg } from '../../messages/face_classification.js';
import { compressedMessageToMat, imageMessageToMat, type CompressedImageMessageLike, type ConvertedFrame, type ImageMessageLike } from '../intake/image_conversion.js';
import { FrameError } from '../intake/frame_errors.js';
import type { FrameIntake } from '../intake/frame_intake.js';
import type { InputLimits } from '../intake/input_guard.js';
import type { RclNode, RclService } from '../runtime/rclnodejs_api.js';
import { CLASSIFY_SERVICE_TYPE, classifyTarget, refusal, type ClassifyRequest, type ClassifyResponse, type ClassifyTarget } from './classify_request.js';

/**
 * Requests in progress at once (waiting for the worker, or scanning); more are refused at once
 * ("busy"), so callers cannot pile work (and frames in memory) in front of the camera.
 */
export const MAX_REQUESTS_IN_PROGRESS = 4;

export interface ClassifyServiceOptions {
  intake: FrameIntake;
  /** The pipeline when the node is active, else why there is no answer. */
  pipeline: () => FacePipeline | string;
  limits: () => InputLimits;
  /** The camera topic (named in the reason when no frame came yet). */
  inputTopic: string;
  log: Logger;
  now?: () => number;
}

/** A request ready for the photo path: its image converted, the pipeline it runs on. */
interface Ready {
  pipeline: FacePipeline;
  frame: ConvertedFrame;
  header: HeaderMsg;
}

type ImageJob = { message: (ImageMessageLike | CompressedImageMessageLike) & { header?: HeaderMsg }; compressed: boolean; source: string };

export class ClassifyService {
  private readonly now: () => number;
  private inProgress = 0;

  constructor(private readonly options: ClassifyServiceOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Offer `~/classify` on `node`. */
  advertise(node: RclNode): RclService {
    return node.createService(CLASSIFY_SERVICE_TYPE, '~/classify', { enableTypedArray: true }, (request) => this.answer(request as ClassifyRequest));
  }

  /** The response to one request; never rejects. */
  async answer(request: ClassifyRequest): Promise<ClassifyResponse> {
    const arrival = this.now();
    let response: ClassifyResponse;
    try {
      response = await this.work(request, arrival);
    } catch (error) {
      response = refusal(`pipeline_error: ${errorMessage(error)}`);
    }
    const fields = { service: 'classify', success: response.success, faces: response.result.faces.length, ms: Math.round((this.now() - arrival) * 10) / 10 };
    if (response.success) this.options.log.info(fields, 'classify answered');
    else this.options.log.warn({ ...fields, reason: response.reason }, 'classify refused');
    return response;
  }

  private async work(request: ClassifyRequest, arrival: number): Promise<ClassifyResponse> {
    const target = classifyTarget(request);
    if (target.kind === 'refused') return refusal(target.reason);
    const { intake } = this.options;
    if (this.inProgress >= MAX_REQUESTS_IN_PROGRESS) return refusal(`busy: ${this.inProgress} classify requests are in progress already (at most ${MAX_REQUESTS_IN_PROGRESS}); call again`);
    this.inProgress++;
    try {
      return await this.run(intake, target, arrival);
    } finally {
      this.inProgress--;
    }
  }

  private async run(intake: FrameIntake, target: Exclude<ClassifyTarget, { kind: 'refused' }>, arrival: number): Promise<ClassifyResponse> {
    const given: ImageJob | undefined = target.kind === 'image' ? { message: target.message, compressed: target.compressed, source: target.compressed ? 'request compressed_image' : 'request image' } : undefined;
    // The state and the newest frame are read when the worker gets to the request, not before.
    const ready = await intake.request((): Ready | ClassifyResponse => {
      const pipeline = this.options.pipeline();
      if (typeof pipeline === 'string') return refusal(`inactive: ${pipeline}`);
      const newest = intake.newest;
      // A camera message has its header (copyHeader fills in what a malformed one lacks).
      const job: ImageJob | undefined = given ?? (newest && { message: newest.message as ImageJob['message'], compressed: newest.compressed, source: `newest frame of ${this.options.inputTopic}` });
      if (!job) return refusal(`no_frame: no camera frame received yet on ${this.options.inputTopic}; send an image in the request, or call again once the camera publishes`);
      try {
        const limits = this.options.limits();
        const frame = job.compressed ? compressedMessageToMat(job.message as CompressedImageMessageLike, job.source, limits) : imageMessageToMat(job.message as ImageMessageLike, job.source, limits);
        return { pipeline, frame, header: copyHeader(job.message.header) };
      } catch (error) {
        return refusal(`${error instanceof FrameError ? error.code : 'bad_image'}: ${errorMessage(error)}`);
      }
    });
    if ('success' in ready) return ready;
    return intake.alongside(this.classify(ready, arrival));
  }

  /** The photo path on a converted frame, the response; frees the frame's pixels whatever happens. */
  private async classify({ pipeline, frame, header }: Ready, arrival: number): Promise<ClassifyResponse> {
    try {
      const result = await pipeline.processAsync(frame.mat, frame.colorOrder);
      try {
        const message = resultToMessage(result, {
          header,
          latencyMs: this.now() - arrival,
          emotionClasses: pipeline.heads.emotion?.labels ?? [],
          genderClasses: pipeline.heads.gender?.labels ?? [],
        });
        return { success: true, reason: '', result: message };
      } finally {
        result.prepared.release();
      }
    } finally {
      frame.mat.release();
    }
  }
}
