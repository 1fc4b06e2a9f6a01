/**
 * Settings of the ROS node only (topics, QoS, debug and standard outputs, diagnostics thresholds). Pure data, in
 * the same Setting shape as the core SCHEMA, so the node declares them as ROS parameters the same
 * way and the shared YAML file can hold both; the CLI ignores exactly these keys.
 */
import { defaultsOf, type Setting, type ValuesOf } from './schema.js';

export const ROS_SCHEMA = {
  'image_transport': { type: 'string', default: 'raw', choices: ['raw', 'compressed'], description: 'raw: subscribe to `image` (sensor_msgs/Image); compressed: subscribe to `image/compressed` (sensor_msgs/CompressedImage, JPEG or PNG)' },
  'qos.reliability': { type: 'string', default: 'best_effort', choices: ['best_effort', 'reliable'], description: 'reliability of the image subscription (default: the sensor data profile, best effort)' },
  'qos.depth': { type: 'integer', default: 5, min: 1, max: 1000, description: 'history depth of the image subscription (sensor data profile: 5); only the newest frame is processed anyway' },

  'debug_image.enabled': { type: 'bool', default: true, runtime: true, description: 'publish ~/debug_image (annotated frames) while someone subscribes to it' },
  'debug_image.force': { type: 'bool', default: false, runtime: true, description: 'publish ~/debug_image even when nobody subscribes (e.g. for rosbag)' },
  'gbp_image.enabled': { type: 'bool', default: false, runtime: true, description: 'publish ~/gbp_image: guided-backpropagation maps of the faces (costly)' },
  'gbp_image.max_rate': { type: 'double', default: 1.0, min: 0.01, max: 30.0, runtime: true, description: 'most ~/gbp_image messages per second' },

  'outputs.vision_msgs': { type: 'bool', default: true, description: 'publish ~/detections (vision_msgs/Detection2DArray: confirmed faces, emotion hypotheses) and ~/detections/gender; off with a note at start-up where vision_msgs is not installed' },
  'outputs.hri': { type: 'bool', default: false, description: 'publish the REP-155 (ROS4HRI) faces: /humans/faces/tracked and /humans/faces/<id>/roi, cropped, expression, softbiometrics (needs hri_msgs)' },

  'diagnostics.latency_warn_ms': { type: 'double', default: 250.0, min: 0.0, max: 60000.0, runtime: true, description: 'mean processing latency over the last second above which /diagnostics reports WARN' },
  'diagnostics.latency_error_ms': { type: 'double', default: 1000.0, min: 0.0, max: 60000.0, runtime: true, description: 'mean processing latency over the last second above which /diagnostics reports ERROR' },
  'diagnostics.drop_ratio_warn': { type: 'double', default: 0.5, min: 0.0, max: 1.0, runtime: true, description: 'fraction of input frames dropped (newer frame arrived while busy) above which /diagnostics reports WARN' },
  'diagnostics.input_timeout_s': { type: 'double', default: 5.0, min: 0.0, max: 3600.0, runtime: true, description: 'seconds without any input frame after which /diagnostics reports WARN (0: never)' },
} as const satisfies Record<string, Setting>;

export type RosKey = keyof typeof ROS_SCHEMA;

/** The node-only settings, flat and typed like Config. */
export type RosConfig = ValuesOf<typeof ROS_SCHEMA>;

export const ROS_KEYS = Object.keys(ROS_SCHEMA) as RosKey[];

export function defaultRosConfig(): RosConfig {
  return defaultsOf(ROS_SCHEMA);
}

/**
 * Parameters every ROS node may be given (rcl's own) that a shared parameter file may hold; prefixes,
 * like `qos_overrides./image.subscription.depth`.
 */
export const ROS_STANDARD_PREFIXES = ['use_sim_time', 'qos_overrides'] as const;

/** Keys (and key prefixes) that a settings file may hold for the ROS node and the core ignores. */
export const ROS_ONLY_KEYS: readonly string[] = [...ROS_KEYS, ...ROS_STANDARD_PREFIXES];
