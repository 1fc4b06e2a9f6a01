/**
 * The face_classification node's work, shared by the plain and the lifecycle variant: parameters,
 * the image subscription with the newest-frame mailbox, the result / debug / GBP publishers and the
 * 1 Hz /diagnostics. The pipeline itself knows nothing of ROS; this class only adapts.
 */
import { FacePipeline, type FrameResult } from '../pipeline/pipeline.js';
import type { FaceStream } from '../pipeline/stream.js';
import { annotate } from '../vision/draw.js';
import { errorMessage, ImageError } from '../errors.js';
import type { Logger } from '../log.js';
import type { HeadTask } from '../models/classifier.js';
import type { ExplainMethod } from '../explain/types.js';
import { compressedMessageToMat, frameToBgr, imageMessageToMat, type CompressedImageMessageLike, type ConvertedFrame, type ImageMessageLike } from './image_conversion.js';
import { FACE_CLASSIFICATION_ARRAY_TYPE, matToImageMessage, resultToMessage, type HeaderMsg } from './messages.js';
import { LatestFrame } from './latest_frame.js';
import { FrameStats, diagnosticStatus, thresholdsFrom, DiagnosticLevel } from './diagnostics.js';
import { declareParameters, watchParameters, type Settings } from './parameter_server.js';
import { RateGate, explanationFrame } from './gbp_publisher.js';
import { createStandardOutputs } from './outputs/create.js';
import type { FrameOutput } from './outputs/frame_output.js';
import type { RclLifecycleNode, RclLifecyclePublisher, RclNode, RclPublisher, RclSubscription, RclTimer, Rclnodejs } from './rclnodejs_api.js';

interface Job {
  message: ImageMessageLike | CompressedImageMessageLike;
  compressed: boolean;
  arrival: number;
}

interface Outputs {
  faces: RclPublisher;
  debug: RclPublisher;
  gbp: RclPublisher;
}

const IMAGE = 'sensor_msgs/msg/Image';
const COMPRESSED = 'sensor_msgs/msg/CompressedImage';

export class FaceClassificationCore {
  settings: Settings;
  pipeline: FacePipeline | undefined;
  private outputs: Outputs | undefined;
  /** vision_msgs and REP-155 outputs, as the parameters and installed packages allow. */
  private standard: FrameOutput | undefined;
  /** Detect-and-track over the input's frames; made at the first frame, ended at deactivate. */
  private stream: FaceStream | undefined;
  /** The outputs of a lifecycle node, switched on and off with its state. */
  private managed: RclLifecyclePublisher[] = [];
  private subscription: RclSubscription | undefined;
  private readonly diagnosticsPublisher: RclPublisher;
  private readonly diagnosticsTimer: RclTimer;
  private readonly mailbox = new LatestFrame<Job>();
  private readonly stats = new FrameStats(performance.now());
  private readonly gbpGate = new RateGate();
  private lastLevel: number = DiagnosticLevel.OK;
  private active = false;
  readonly inputTopic: string;

  constructor(
    private readonly rcl: Rclnodejs,
    readonly node: RclNode,
    private readonly log: Logger,
  ) {
    this.settings = declareParameters(rcl, node);
    watchParameters(node, () => this.settings, (next) => this.applySettings(next), log, (next) => {
      const refusal = this.pipeline?.configRefusal(next.config);
      return refusal && `${refusal.key} ${refusal.reason}`;
    });
    // `image` is remappable; the compressed topic hangs under the remapped name, as image_transport does.
    const base = node.resolveTopicName('image');
    this.inputTopic = this.settings.ros['image_transport'] === 'compressed' ? `${base}/compressed` : base;
    this.diagnosticsPublisher = node.createPublisher('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics');
    this.diagnosticsTimer = node.createTimer(1_000_000_000n, () => this.publishDiagnostics());
  }

  private applySettings(next: Settings): void {
    this.settings = next;
    // The pipeline reads its runtime settings at every frame.
    if (this.pipeline) this.pipeline.config = next.config;
  }

  /** Load the models (a bad model file rejects with a ModelFileError naming it). */
  async load(): Promise<FacePipeline> {
    return FacePipeline.create(this.settings.config, { log: this.log });
  }

  setPipeline(pipeline: FacePipeline): void {
    this.pipeline = pipeline;
    const heads = Object.fromEntries(Object.entries(pipeline.heads).map(([task, head]) => [task, head.manifest.id]));
    this.log.info({ backend: pipeline.backend, detector: this.settings.config['detector.type'], heads }, 'pipeline ready');
  }

  /** Create the output publishers; lifecycle publishers for a managed node (they send only while active). */
  createOutputs(lifecycle: RclLifecycleNode | undefined): void {
    this.managed = [];
    const create = (type: string, topic: string): RclPublisher => {
      if (!lifecycle) return this.node.createPublisher(type, topic);
      const publisher = lifecycle.createLifecyclePublisher(type, topic);
      this.managed.push(publisher);
      return publisher;
    };
    this.outputs = { faces: create(FACE_CLASSIFICATION_ARRAY_TYPE, '~/faces'), debug: create(IMAGE, '~/debug_image'), gbp: create(IMAGE, '~/gbp_image') };
    const labels = (): Partial<Record<HeadTask, readonly string[]>> => ({ emotion: this.pipeline?.heads.emotion?.labels, gender: this.pipeline?.heads.gender?.labels });
    this.standard = createStandardOutputs({ rcl: this.rcl, node: this.node, ros: this.settings.ros, managed: { create, destroy: (p) => this.node.destroyPublisher(p) }, labels, scoreIsProbability: this.settings.config['detector.type'] === 'yunet', log: this.log });
  }

  /** Subscribe to the input and start working. */
  activate(): void {
    const { ros } = this.settings;
    const { QoS } = this.rcl;
    const reliability = ros['qos.reliability'] === 'reliable' ? QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE : QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT;
    // Sensor-data profile by default: keep last `depth`, best effort, volatile.
    const qos = new QoS(QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST, ros['qos.depth'], reliability, QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE);
    const compressed = ros['image_transport'] === 'compressed';
    this.subscription = this.node.createSubscription(compressed ? COMPRESSED : IMAGE, this.inputTopic, { qos, enableTypedArray: true }, (message) => this.receive(message as Job['message'], compressed));
    // rclnodejs does not switch lifecycle publishers with the node's state; the node does.
    for (const publisher of this.managed) publisher.activate();
    this.active = true;
    this.log.info({ input: this.inputTopic, type: compressed ? COMPRESSED : IMAGE, reliability: ros['qos.reliability'], depth: ros['qos.depth'], output: `${this.node.getFullyQualifiedName()}/faces` }, 'listening');
  }

  /** Stop taking frames; a frame in work finishes but is not published by a deactivated lifecycle publisher. */
  deactivate(): void {
    this.active = false;
    // The tracks end here: a later activation starts new ones.
    this.stream?.dispose();
    this.stream = undefined;
    this.standard?.reset();
    for (const publisher of this.managed) publisher.deactivate();
    if (this.subscription) this.node.destroySubscription(this.subscription);
    this.subscription = undefined;
    this.mailbox.clear();
  }

  /** Free the models and the publishers (lifecycle cleanup / shutdown). */
  cleanup(): void {
    this.deactivate();
    if (this.outputs) for (const publisher of Object.values(this.outputs)) this.node.destroyPublisher(publisher);
    this.standard?.destroy();
    this.standard = undefined;
    this.outputs = undefined;
    this.managed = [];
    const pipeline = this.pipeline;
    this.pipeline = undefined;
    // A frame may still be in work: free the models once it is done.
    if (pipeline) void this.mailbox.idle().then(() => pipeline.dispose());
  }

  destroy(): void {
    this.cleanup();
    this.node.destroyTimer(this.diagnosticsTimer);
  }

  private receive(message: Job['message'], compressed: boolean): void {
    const arrival = performance.now();
    this.stats.input(arrival);
    if (this.mailbox.put({ message, compressed, arrival })) this.stats.drop();
    this.mailbox.drain((job) => this.work(job), () => this.settle()).catch((error: unknown) => this.log.error({ err: errorMessage(error) }, 'frame worker failed'));
  }

  /**
   * rclnodejs hands over one message per wakeup of its executor; while a frame was processed more may
   * have queued in the middleware. Give it a few event-loop turns to deliver them so the newest one
   * replaces the waiting frame instead of being processed after it.
   */
  private async settle(): Promise<void> {
    for (let round = 0; round <= this.settings.ros['qos.depth']; round++) {
      const before = this.mailbox.received;
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (this.mailbox.received === before) return;
    }
  }

  private async work(job: Job): Promise<void> {
    const pipeline = this.pipeline;
    const outputs = this.outputs;
    if (!this.active || !pipeline || !outputs) return;
    const header = (job.message as { header?: HeaderMsg }).header;
    const t0 = performance.now();
    let frame: ConvertedFrame;
    let result: FrameResult;
    try {
      frame = job.compressed ? compressedMessageToMat(job.message as CompressedImageMessageLike, this.inputTopic) : imageMessageToMat(job.message as ImageMessageLike, this.inputTopic);
      const convertMs = performance.now() - t0;
      result = await (this.stream ??= pipeline.stream()).process(frame.mat, frame.colorOrder);
      // Deactivated while the frame was in work: its tracks are gone, publish nothing.
      if (!this.active) return;
      const latencyMs = performance.now() - job.arrival;
      outputs.faces.publish(resultToMessage(result, { header, latencyMs, emotionClasses: pipeline.heads.emotion?.labels ?? [], genderClasses: pipeline.heads.gender?.labels ?? [] }));
      this.standard?.publish(result, header);
      this.stats.output({ ...result.timings, convertMs: convertMs + result.timings.convertMs, latencyMs });
      this.log.debug({ stamp: header?.stamp, faces: result.faces.map((f) => `${f.emotion?.label ?? '-'}/${f.gender?.label ?? '-'}`), latencyMs: Math.round(latencyMs * 100) / 100, messageConvertMs: Math.round(convertMs * 100) / 100, ...result.timings }, 'frame');
    } catch (error) {
      const reason = errorMessage(error);
      this.stats.error(reason);
      if (error instanceof ImageError) this.log.warn({ topic: this.inputTopic, reason }, 'frame skipped');
      else this.log.error({ topic: this.inputTopic, reason }, 'frame failed');
      return;
    }
    this.publishExtras(pipeline, outputs, frame, result, header);
  }

  /** Debug and explanation images: after the result, so they never delay it. */
  private publishExtras(pipeline: FacePipeline, outputs: Outputs, frame: ConvertedFrame, result: FrameResult, header: HeaderMsg | undefined): void {
    const { ros, config } = this.settings;
    let bgr: ConvertedFrame['mat'] | undefined;
    // Converted at most once per frame, and only when an image is published.
    const frameBgr = (): ConvertedFrame['mat'] => (bgr ??= frameToBgr(frame));
    try {
      if (ros['debug_image.force'] || (ros['debug_image.enabled'] && outputs.debug.subscriptionCount > 0)) {
        outputs.debug.publish(matToImageMessage(annotate(frameBgr(), result.faces), header));
      }
      if (ros['gbp_image.enabled'] && this.gbpGate.due(performance.now(), ros['gbp_image.max_rate'])) {
        const image = explanationFrame(pipeline, frameBgr(), result, { method: config['explain.method'] as ExplainMethod, head: config['explain.head'] as HeadTask });
        if (image) outputs.gbp.publish(matToImageMessage(image, header));
      }
    } catch (error) {
      this.log.error({ reason: errorMessage(error) }, 'debug image failed');
    }
  }

  private publishDiagnostics(): void {
    const pipeline = this.pipeline;
    const status = diagnosticStatus(this.stats.snapshot(performance.now()), thresholdsFrom(this.settings.ros), {
      name: `face_classification: ${this.node.getFullyQualifiedName()}`,
      hardwareId: 'face_classification',
      active: this.active,
      backend: pipeline?.backend ?? 'not loaded',
      models: pipeline ? Object.fromEntries(Object.entries(pipeline.heads).map(([task, head]) => [task, head.manifest.id])) : {},
      inputTopic: this.inputTopic,
    });
    if (status.level !== this.lastLevel) {
      // One line per change of level, not one per second.
      if (status.level === DiagnosticLevel.ERROR) this.log.error({ diagnostics: status.message }, 'diagnostics ERROR');
      else if (status.level === DiagnosticLevel.WARN) this.log.warn({ diagnostics: status.message }, 'diagnostics WARN');
      else this.log.info({ diagnostics: status.message }, 'diagnostics OK');
      this.lastLevel = status.level;
    }
    const { seconds, nanoseconds } = this.node.now().secondsAndNanoseconds;
    try {
      this.diagnosticsPublisher.publish({ header: { stamp: { sec: Number(seconds), nanosec: Number(nanoseconds) }, frame_id: '' }, status: [status] });
    } catch (error) {
      this.log.error({ reason: errorMessage(error) }, 'diagnostics not published');
    }
  }
}
