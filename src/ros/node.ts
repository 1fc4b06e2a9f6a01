/**
 * The face_classification node's work, shared by the plain and the lifecycle variant: parameters,
 * the image subscription with the newest-frame mailbox, the result / debug / GBP publishers, the
 * ~/classify service and the 1 Hz /diagnostics. The pipeline itself knows nothing of ROS; this class only adapts.
 */
import { detectorTypeFor } from '../detection/create.js';
import { FacePipeline } from '../pipeline/pipeline.js';
import type { FaceStream } from '../pipeline/stream.js';
import { annotate } from '../vision/draw.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { HeadTask } from '../models/classifier.js';
import type { ExplainMethod } from '../explain/types.js';
import { checkModelsDirectory } from '../config/check_paths.js';
import { resolveParameters, rosArgSources } from '../config/ros_params.js';
import { startupValues } from './params/startup_parameters.js';
import type { Mat } from '../vision/opencv.js';
import { FACE_CLASSIFICATION_ARRAY_TYPE, matToImageMessage, resultToMessage } from '../messages/face_classification.js';
import { FrameStats, diagnosticStatus, thresholdsFrom, DiagnosticLevel } from './runtime/diagnostics.js';
import { declareParameters, watchParameters, type Settings } from './params/parameter_server.js';
import { RateGate, explanationFrame } from './outputs/gbp_publisher.js';
import { FrameHandler, type Answer, type FrameJob } from './intake/frame_handler.js';
import { FrameIntake } from './intake/frame_intake.js';
import { ClassifyService } from './services/classify.js';
import type { InputLimits, TruncatedPolicy } from './intake/input_guard.js';
import { createStandardOutputs } from './outputs/create.js';
import type { FrameOutput } from './outputs/frame_output.js';
import type { RclLifecycleNode, RclLifecyclePublisher, RclNode, RclPublisher, RclSubscription, RclTimer, Rclnodejs } from './runtime/rclnodejs_api.js';

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
  private readonly stats = new FrameStats(performance.now());
  private readonly handler: FrameHandler;
  private readonly intake: FrameIntake;
  private readonly gbpGate = new RateGate();
  private lastLevel: number = DiagnosticLevel.OK;
  private active = false;
  /** Set by a failed lifecycle configure: /diagnostics reports ERROR with it until a configure succeeds. */
  failure: string | undefined;
  /** A finalized lifecycle node: /diagnostics reports STALE. */
  finalized = false;
  readonly inputTopic: string;

  /** `argv`: the command line whose --params-file and -p rules give the start-up parameter values. */
  constructor(
    private readonly rcl: Rclnodejs,
    readonly node: RclNode,
    private readonly log: Logger,
    argv: readonly string[] = process.argv,
  ) {
    const startup = startupValues(resolveParameters(rosArgSources(argv), node.getFullyQualifiedName()));
    for (const warning of startup.warnings) log.warn({ warning }, 'parameter ignored');
    this.settings = declareParameters(rcl, node, startup.values);
    watchParameters(node, () => this.settings, (next) => this.applySettings(next), log, (next) => {
      const refusal = this.pipeline?.configRefusal(next.config);
      return refusal && `${refusal.key} ${refusal.reason}`;
    });
    // `image` is remappable; the compressed topic hangs under the remapped name, as image_transport does.
    const base = node.resolveTopicName('image');
    this.inputTopic = this.settings.ros['image_transport'] === 'compressed' ? `${base}/compressed` : base;
    this.handler = new FrameHandler({
      source: this.inputTopic,
      pipeline: () => (this.active && this.outputs ? this.pipeline : undefined),
      limits: () => this.inputLimits(),
      stats: this.stats,
      log,
      publish: (answer) => this.publish(answer),
      process: (pipeline, frame) => (this.stream ??= pipeline.stream()).process(frame.mat, frame.colorOrder),
      // Deactivated while the frame was in work: its tracks are gone, publish nothing.
      stillWanted: () => this.active,
    });
    this.intake = new FrameIntake({ work: (job) => this.handler.handle(job), stats: this.stats, log, settleRounds: () => this.settings.ros['qos.depth'] });
    // Offered in every lifecycle state: while not active it answers why there is no answer.
    new ClassifyService({ intake: this.intake, pipeline: () => this.servicePipeline(), limits: () => this.inputLimits(), inputTopic: this.inputTopic, log }).advertise(node);
    this.diagnosticsPublisher = node.createPublisher('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics');
    this.diagnosticsTimer = node.createTimer(1_000_000_000n, () => this.tick());
  }

  /** The pipeline for ~/classify while the node is active, else why not. */
  private servicePipeline(): FacePipeline | string {
    if (this.finalized) return 'the node is finalized';
    if (!this.pipeline) return 'the node is not configured: no models loaded (lifecycle: configure and activate it)';
    if (!this.active) return 'the node is inactive (lifecycle: activate it)';
    return this.pipeline;
  }

  private inputLimits(): InputLimits {
    return { maxPixels: this.settings.config['input.max_pixels'], truncated: this.settings.ros['input.truncated'] as TruncatedPolicy };
  }

  private applySettings(next: Settings): void {
    this.settings = next;
    // The pipeline reads its runtime settings at every frame.
    if (this.pipeline) this.pipeline.config = next.config;
  }

  /** Load the models (a bad model file rejects with a ModelFileError naming it). */
  async load(): Promise<FacePipeline> {
    checkModelsDirectory(this.settings.config);
    return FacePipeline.create(this.settings.config, { log: this.log });
  }

  setPipeline(pipeline: FacePipeline): void {
    this.pipeline = pipeline;
    this.failure = undefined;
    const heads = Object.fromEntries(Object.entries(pipeline.heads).map(([task, head]) => [task, head.manifest.id]));
    this.log.info({ backend: pipeline.backend, detector: pipeline.videoDetector.name, heads }, 'pipeline ready');
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
    this.standard = createStandardOutputs({ rcl: this.rcl, node: this.node, ros: this.settings.ros, managed: { create, destroy: (p) => this.node.destroyPublisher(p) }, labels, scoreIsProbability: detectorTypeFor(this.settings.config, 'video') === 'yunet', log: this.log });
  }

  /** Subscribe to the input and start working. */
  activate(): void {
    const { ros } = this.settings;
    const { QoS } = this.rcl;
    const reliability = ros['qos.reliability'] === 'reliable' ? QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE : QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT;
    // Sensor-data profile by default: keep last `depth`, best effort, volatile.
    const qos = new QoS(QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST, ros['qos.depth'], reliability, QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE);
    const compressed = ros['image_transport'] === 'compressed';
    this.subscription = this.node.createSubscription(compressed ? COMPRESSED : IMAGE, this.inputTopic, { qos, enableTypedArray: true }, (message) => this.intake.receive(message as FrameJob['message'], compressed));
    // rclnodejs does not switch lifecycle publishers with the node's state; the node does.
    for (const publisher of this.managed) publisher.activate();
    this.active = true;
    this.stats.expectInput(performance.now());
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
    this.intake.clear();
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
    if (pipeline) void this.intake.idle().then(() => pipeline.dispose());
  }

  destroy(): void {
    this.cleanup();
    this.node.destroyTimer(this.diagnosticsTimer);
  }

  /** The result, then the standard outputs, then the debug and explanation images (after it, so they never delay it). */
  private publish(answer: Answer): void {
    const outputs = this.outputs;
    if (!outputs) return;
    const { pipeline, result, header, latencyMs, convertMs } = answer;
    outputs.faces.publish(resultToMessage(result, { header, latencyMs, emotionClasses: pipeline.heads.emotion?.labels ?? [], genderClasses: pipeline.heads.gender?.labels ?? [] }));
    this.standard?.publish(result, header);
    // Built only when debug is on: the per-frame object and its strings cost CPU at 30 Hz.
    if (this.log.isLevelEnabled('debug')) this.log.debug({ stamp: header?.stamp, faces: result.faces.map((f) => `${f.emotion?.label ?? '-'}/${f.gender?.label ?? '-'}`), latencyMs: Math.round(latencyMs * 100) / 100, messageConvertMs: Math.round(convertMs * 100) / 100, ...result.timings }, 'frame');
    this.publishExtras(pipeline, outputs, result, header);
    // Every output is done with the frame: free its pixels now (see PreparedFrame.release).
    result.prepared.release();
    answer.frame.mat.release();
  }

  /** Debug and explanation images: after the result, so they never delay it. */
  private publishExtras(pipeline: FacePipeline, outputs: Outputs, result: Answer['result'], header: Answer['header']): void {
    const { ros, config } = this.settings;
    // The pipeline's own BGR form of the frame: made at most once per frame, only when an image is published.
    const frameBgr = (): Mat => result.prepared.bgr;
    try {
      if (ros['debug_image.force'] || (ros['debug_image.enabled'] && outputs.debug.subscriptionCount > 0)) {
        const annotated = annotate(frameBgr(), result.faces);
        outputs.debug.publish(matToImageMessage(annotated, header));
        annotated.release();
      }
      if (ros['gbp_image.enabled'] && this.gbpGate.due(performance.now(), ros['gbp_image.max_rate'])) {
        const image = explanationFrame(pipeline, frameBgr(), result, { method: config['explain.method'] as ExplainMethod, head: config['explain.head'] as HeadTask });
        if (image) outputs.gbp.publish(matToImageMessage(image, header));
        if (image && image !== result.prepared.bgr) image.release();
      }
    } catch (error) {
      this.log.error({ reason: errorMessage(error) }, 'debug image failed');
    }
  }

  private tick(): void {
    this.handler.reportSuppressed();
    this.publishDiagnostics();
  }

  private publishDiagnostics(): void {
    const pipeline = this.pipeline;
    const status = diagnosticStatus(this.stats.snapshot(performance.now()), thresholdsFrom(this.settings.ros), {
      name: `face_classification: ${this.node.getFullyQualifiedName()}`,
      hardwareId: 'face_classification',
      active: this.active,
      failure: this.failure,
      finalized: this.finalized,
      backend: pipeline?.backend ?? 'not loaded',
      inference: pipeline?.inferenceName,
      models: pipeline ? Object.fromEntries(Object.entries(pipeline.heads).map(([task, head]) => [task, head.manifest.id])) : {},
      inputTopic: this.inputTopic,
    });
    if (status.level !== this.lastLevel) {
      // One line per change of level, not one per second.
      if (status.level === DiagnosticLevel.ERROR) this.log.error({ diagnostics: status.message }, 'diagnostics ERROR');
      else if (status.level === DiagnosticLevel.WARN) this.log.warn({ diagnostics: status.message }, 'diagnostics WARN');
      else if (status.level === DiagnosticLevel.STALE) this.log.info({ diagnostics: status.message }, 'diagnostics STALE');
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
