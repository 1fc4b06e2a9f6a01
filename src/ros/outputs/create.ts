/**
 * The optional standard outputs, as the parameters ask for them (outputs.vision_msgs,
 * outputs.hri) and as far as their message packages are there: a missing package is said once (per
 * process), with what to install, and the node runs without that output.
 */
import type { HeadTask } from '../../models/classifier.js';
import type { FaceResult } from '../../pipeline/pipeline.js';
import type { Logger } from '../../log.js';
import { errorMessage } from '../../errors.js';
import type { RosConfig } from '../../config/ros_schema.js';
import type { HeaderMsg } from '../../messages/face_classification.js';
import type { RclNode, Rclnodejs } from '../runtime/rclnodejs_api.js';
import { FrameOutputs, type FrameOutput, type PublisherFactory } from './frame_output.js';
import { DETECTION_ARRAY_TYPE } from '../../messages/vision_msgs.js';
import { VisionMsgsOutput } from './vision_msgs.js';
import { EXPRESSION_TYPE, IDS_LIST_TYPE, IMAGE_TYPE, ROI_TYPE, SOFT_BIOMETRICS_TYPE } from '../../messages/hri.js';
import { HriOutput } from './hri.js';

export interface StandardOutputsOptions {
  rcl: Rclnodejs;
  node: RclNode;
  ros: RosConfig;
  /** Publishers that follow the node's lifecycle state (~/detections, like ~/faces). */
  managed: PublisherFactory;
  labels: () => Partial<Record<HeadTask, readonly string[]>>;
  /** The detector gives a score in [0, 1] (YuNet); Haar's neighbour count is no probability. */
  scoreIsProbability: boolean;
  log: Logger;
}

interface OutputSpec {
  parameter: 'outputs.vision_msgs' | 'outputs.hri';
  /** The ROS package and its Ubuntu package name. */
  rosPackage: string;
  apt: string;
  interfaces: readonly string[];
}

export const VISION_MSGS_OUTPUT: OutputSpec = { parameter: 'outputs.vision_msgs', rosPackage: 'vision_msgs', apt: 'ros-$ROS_DISTRO-vision-msgs', interfaces: [DETECTION_ARRAY_TYPE] };
export const HRI_OUTPUT: OutputSpec = { parameter: 'outputs.hri', rosPackage: 'hri_msgs', apt: 'ros-$ROS_DISTRO-hri-msgs', interfaces: [IDS_LIST_TYPE, ROI_TYPE, EXPRESSION_TYPE, SOFT_BIOMETRICS_TYPE, IMAGE_TYPE] };

/** Each missing package is said once per process (a lifecycle node may configure many times). */
const announced = new Set<string>();

/** The interfaces rclnodejs has no message code for (package not installed, or code not generated). */
export function missingInterfaces(rcl: Pick<Rclnodejs, 'require'>, interfaces: readonly string[]): string[] {
  return interfaces.filter((name) => {
    try {
      rcl.require(name);
      return false;
    } catch {
      return true;
    }
  });
}

/** Plain node publishers (for topics whose life the output itself manages). */
export function nodePublishers(node: RclNode): PublisherFactory {
  return { create: (type, topic, qos) => node.createPublisher(type, topic, qos ? { qos } : undefined), destroy: (publisher) => node.destroyPublisher(publisher) };
}

function stampNow(node: RclNode): HeaderMsg {
  const { seconds, nanoseconds } = node.now().secondsAndNanoseconds;
  return { stamp: { sec: Number(seconds), nanosec: Number(nanoseconds) }, frame_id: '' };
}

/** Build one output, or say once why not and return undefined. */
function tryOutput(spec: OutputSpec, options: StandardOutputsOptions, make: () => FrameOutput): FrameOutput | undefined {
  const { rcl, log } = options;
  const missing = missingInterfaces(rcl, spec.interfaces);
  let reason: string | undefined;
  if (missing.length) {
    reason = `no message code for ${missing.join(', ')}: install ${spec.rosPackage} (${spec.apt}, or build it from source), source it, then run \`ros2 run face_classification generate_messages\``;
  } else {
    try {
      return make();
    } catch (error) {
      reason = `its publishers cannot be created: ${errorMessage(error)}`;
    }
  }
  if (!announced.has(spec.parameter)) {
    announced.add(spec.parameter);
    log.warn({ output: spec.parameter, package: spec.rosPackage, reason }, 'output off: message package missing');
  }
  return undefined;
}

export function createStandardOutputs(options: StandardOutputsOptions): FrameOutputs {
  const { rcl, node, ros, labels, log } = options;
  const outputs: FrameOutput[] = [];
  if (ros['outputs.vision_msgs']) {
    const output = tryOutput(VISION_MSGS_OUTPUT, options, () => new VisionMsgsOutput(options.managed, labels));
    if (output) outputs.push(output);
  }
  if (ros['outputs.hri']) {
    const { QoS } = rcl;
    const latched = new QoS(QoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST, 1, QoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE, QoS.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL);
    const detectionConfidence = options.scoreIsProbability ? (face: FaceResult) => face.score : () => 1;
    const output = tryOutput(HRI_OUTPUT, options, () => new HriOutput({ factory: nodePublishers(node), qos: latched, labels, detectionConfidence, now: () => stampNow(node), log }));
    if (output) outputs.push(output);
  }
  return new FrameOutputs(outputs);
}
