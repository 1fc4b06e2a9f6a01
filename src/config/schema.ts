/**
 * The one configuration schema, shared by the library, the command line and the ROS node. Keys are
 * flat dotted names, exactly the ROS parameter names (`haar.scale_factor`); YAML files may nest them.
 * Each entry has its type, default, description and allowed range, so validation and the ROS
 * parameter descriptors come from the same table.
 */

interface Base<T> {
  default: T;
  description: string;
  /** May change while the node runs (set-parameters); the others need a restart. */
  runtime?: boolean;
}
export interface DoubleSetting extends Base<number> { type: 'double'; min: number; max: number }
export interface IntegerSetting extends Base<number> { type: 'integer'; min: number; max: number; /** Values must be min + a multiple of this. */ step?: number }
export interface BoolSetting extends Base<boolean> { type: 'bool' }
export interface StringSetting extends Base<string> { type: 'string'; choices?: readonly string[] }
export interface DoubleArraySetting extends Base<number[]> { type: 'double_array'; length: number; min: number; max: number }
export type Setting = DoubleSetting | IntegerSetting | BoolSetting | StringSetting | DoubleArraySetting;

const double = (s: Omit<DoubleSetting, 'type'>): DoubleSetting => ({ type: 'double', ...s });
const integer = (s: Omit<IntegerSetting, 'type'>): IntegerSetting => ({ type: 'integer', ...s });
const bool = (s: Omit<BoolSetting, 'type'>): BoolSetting => ({ type: 'bool', ...s });
const string = (s: Omit<StringSetting, 'type'>): StringSetting => ({ type: 'string', ...s });
const doubles = (s: Omit<DoubleArraySetting, 'type'>): DoubleArraySetting => ({ type: 'double_array', ...s });

export const SCHEMA = {
  'backend': string({ default: 'auto', choices: ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'], description: 'TensorFlow.js backend; auto tries tensorflow-gpu, tensorflow, wasm, cpu in that order' }),
  'models.directory': string({ default: '', description: 'folder searched first for model files (then FACE_CLASSIFICATION_MODELS, ../shared/models, the user cache)' }),
  'models.download': bool({ default: true, description: 'download missing models from the authors\' repository into the user cache' }),
  'models.batch_size': integer({ default: 32, min: 1, max: 1024, description: 'largest batch sent to a classifier head at once' }),

  'input.max_pixels': integer({ default: 33177600, min: 1, max: 1073741824, runtime: true, description: 'largest input image or frame in pixels (width * height; default 8K UHD, 7680 x 4320); larger ones are refused before decoding' }),
  'inference.engine': string({ default: 'auto', choices: ['auto', 'onnxruntime', 'tfjs'], description: 'what runs the classifier heads: onnxruntime (onnxruntime-node, both heads in one call) or tfjs (TensorFlow.js, the reference); auto takes onnxruntime when installed, else tfjs. Explanations always use TensorFlow.js' }),
  'inference.threads': integer({ default: 1, min: 0, max: 256, description: 'onnxruntime intra-op threads (0: one per physical core)' }),
  'inference.spinning': bool({ default: false, description: 'let idle onnxruntime threads spin-wait for work (a little lower latency; takes CPU from the detector and other nodes)' }),
  'inference.provider': string({ default: 'cpu', choices: ['cpu', 'cuda'], description: 'onnxruntime execution provider; cuda needs onnxruntime-node installed with its CUDA binaries (ONNXRUNTIME_NODE_INSTALL=cuda12) and falls back to cpu per node' }),

  'emotion.enabled': bool({ default: true, runtime: true, description: 'run the emotion head' }),
  'emotion.model': string({ default: 'fer2013_mini_XCEPTION.102-0.66', description: 'emotion model id (models/*.json) or path to a Keras HDF5 file' }),
  'emotion.offsets': doubles({ default: [20, 40], length: 2, min: 0, max: 10000, runtime: true, description: 'margin (x, y) added on each side of the face box before the emotion crop; pixels, or fractions of the box with crop.offset_unit=fraction (paper video demo: 20, 40)' }),
  'gender.enabled': bool({ default: true, runtime: true, description: 'run the gender head' }),
  'gender.model': string({ default: 'gender_mini_XCEPTION.21-0.95', description: 'gender model id (models/*.json) or path to a Keras HDF5 file' }),
  'gender.offsets': doubles({ default: [30, 60], length: 2, min: 0, max: 10000, runtime: true, description: 'margin (x, y) added on each side of the face box before the gender crop (paper video demo: 30, 60); unused when both heads name one dual model, which reads the emotion crop' }),
  'crop.offset_unit': string({ default: 'pixels', choices: ['pixels', 'fraction'], runtime: true, description: 'unit of emotion.offsets and gender.offsets' }),

  // On real footage the Haar cascade misses turned, tilted and small faces that YuNet finds (docs/video.md):
  // video defaults to YuNet; photos keep the paper's cascade, which finds every face of the test photos.
  'detector.type': string({ default: 'auto', choices: ['auto', 'haar', 'yunet'], description: 'face detector: auto (YuNet for video: streams, the video command, the ROS node; the Haar cascade for photos), haar (OpenCV Haar cascade, the paper\'s) or yunet (ONNX) for both' }),
  'detector.scale': double({ default: 1.0, min: 0.05, max: 1.0, runtime: true, description: 'run the detector on the frame scaled by this factor; boxes are mapped back to full resolution' }),
  'detector.max_side': integer({ default: 4096, min: 64, max: 16384, runtime: true, description: 'frames whose longer side exceeds this are scaled down further for detection (faces the paper\'s full-resolution scan finds are kept up to this size)' }),
  'detector.min_face_size': integer({ default: 0, min: 0, max: 16384, runtime: true, description: 'smallest face side in frame pixels (0: no limit)' }),
  'detector.max_face_size': integer({ default: 0, min: 0, max: 16384, runtime: true, description: 'largest face side in frame pixels (0: no limit)' }),
  'haar.cascade': string({ default: 'haarcascade_frontalface_default.xml', description: 'cascade file name (looked up in OpenCV\'s haarcascades folder) or path' }),
  'haar.scale_factor': double({ default: 1.3, min: 1.01, max: 3.0, runtime: true, description: 'detectMultiScale scaleFactor (paper: 1.3)' }),
  'haar.min_neighbors': integer({ default: 5, min: 0, max: 100, runtime: true, description: 'detectMultiScale minNeighbors (paper: 5)' }),
  'haar.equalize': bool({ default: false, runtime: true, description: 'equalise the gray frame\'s histogram before detection' }),
  'yunet.model': string({ default: 'face_detection_yunet_2023mar', description: 'YuNet model id or path to the ONNX file' }),
  'yunet.score_threshold': double({ default: 0.7, min: 0.0, max: 1.0, runtime: true, description: 'minimum face score' }),
  'yunet.window_score_threshold': double({ default: 0.5, min: 0.0, max: 1.0, runtime: true, description: 'video: minimum face score when re-detecting a tracked face near its predicted box (a turned head scores lower; new faces still need yunet.score_threshold)' }),
  'yunet.nms_threshold': double({ default: 0.3, min: 0.0, max: 1.0, runtime: true, description: 'IoU above which overlapping detections are suppressed' }),
  'yunet.top_k': integer({ default: 5000, min: 1, max: 100000, runtime: true, description: 'candidates kept before non-maximum suppression' }),
  'yunet.input_size': integer({ default: 640, min: 32, max: 4096, step: 32, description: 'longer side of the network input (multiple of 32)' }),

  'tracking.scan_interval': integer({ default: 10, min: 1, max: 1000, runtime: true, description: 'video: frames between full-frame detector scans, which run in the background; between them each tracked face is re-detected near its predicted box (1: a full scan on every frame, as the paper)' }),
  'tracking.max_scan_lag': integer({ default: 3, min: 0, max: 100, runtime: true, description: 'video: frames a background full scan may take before the pipeline waits for it; a face that appears is found within scan_interval + max_scan_lag frames' }),
  // A background scan's cost is mostly its smallest scales over the whole frame. Where the picture did
  // not change since a scan last looked, a new one finds the same (detection/change_map.ts): a static
  // camera's scans search for small faces only where something moved.
  'tracking.change_threshold': double({ default: 3, min: 0, max: 255, runtime: true, description: 'video: least change of a 16 x 16 block\'s mean gray level for a background scan to search it for small faces again (large faces are searched for everywhere); 0: every background scan covers the whole frame' }),
  'tracking.whole_scan_every': integer({ default: 6, min: 1, max: 1000, runtime: true, description: 'video: every this many background scans, one covers the whole frame whatever changed (1: all do); a face that was there unfound in a still picture, or beside a tracked face, is found within scan_interval * whole_scan_every + max_scan_lag frames' }),
  // Re-detection costs grow with the window's area and the sizes tried (the windows near a face go
  // deep into the cascade): 0.25 / 1.45 cost half of 0.5 / 1.6 and keep every box of the sequence
  // test at IoU >= 0.8 (1.35 does not: the grouped box loses a neighbouring scale).
  'tracking.search_margin': double({ default: 0.25, min: 0.1, max: 3.0, runtime: true, description: 'video: re-detection window around a tracked face, as a fraction of its size on each side' }),
  'tracking.search_scale_range': double({ default: 1.45, min: 1.05, max: 4.0, runtime: true, description: 'video: re-detection looks for faces between size / range and size * range' }),
  // Detectors miss a face for a few frames when it turns, tilts or talks; without holding, its track
  // ended and came back with a new id, and the frames between reported nothing (tracking/carry.ts).
  'tracking.hold_frames': integer({ default: 12, min: 0, max: 1000, runtime: true, description: 'video: frames a tracked face the detector misses is carried by following its picture (template matching near its predicted box) and reported with carried: true; a whole background scan that does not find it ends it (0: no holding)' }),
  'tracking.hold_similarity': double({ default: 0.7, min: 0.0, max: 1.0, runtime: true, description: 'video: least normalised correlation between a face\'s last detected picture and the frame for it to be carried there' }),
  'tracking.cut_threshold': double({ default: 0.4, min: 0.0, max: 1.0, runtime: true, description: 'video: share of the picture that must change at once (a camera cut, a fast turn, a hand over the lens) for the stream to end every track and scan the whole frame at once (0: never)' }),
  'tracking.confirm_frames': integer({ default: 3, min: 1, max: 1000, runtime: true, description: 'frames a face must be seen in before its track is confirmed (and published per face)' }),
  'tracking.max_missed': integer({ default: 15, min: 0, max: 10000, runtime: true, description: 'consecutive frames a track may go unseen before it is dropped; a face that comes back later gets a new id' }),
  'tracking.min_iou': double({ default: 0.3, min: 0.01, max: 1.0, runtime: true, description: 'least overlap between a detection and a track\'s predicted box to associate them' }),
  'smoothing.method': string({ default: 'ema', choices: ['none', 'ema', 'mode'], runtime: true, description: 'per tracked face: exponential moving average of the scores, the most frequent label over a window, or none (raw scores are always published too)' }),
  'smoothing.alpha': double({ default: 0.5, min: 0.01, max: 1.0, runtime: true, description: 'ema smoothing: weight of the newest frame' }),
  'smoothing.window': integer({ default: 10, min: 1, max: 1000, runtime: true, description: 'mode smoothing: frames in the window (the paper\'s demo: 10)' }),

  'explain.method': string({ default: 'gbp', choices: ['gbp', 'gradcam', 'guided-gradcam'], runtime: true, description: 'explanation method of debug images and the explain command' }),
  'explain.head': string({ default: 'emotion', choices: ['emotion', 'gender'], runtime: true, description: 'which head to explain' }),
} as const satisfies Record<string, Setting>;

/** The value type a setting holds. */
export type SettingValue<S> = S extends { default: infer T } ? (T extends readonly number[] ? number[] : T extends string ? string : T extends number ? number : T extends boolean ? boolean : never) : never;
/** Flat, typed values of a whole schema. */
export type ValuesOf<T extends Record<string, Setting>> = { -readonly [K in keyof T]: SettingValue<T[K]> };

/** Every setting of `schema` at its default (arrays copied, so callers may change them). */
export function defaultsOf<T extends Record<string, Setting>>(schema: T): ValuesOf<T> {
  const values: Record<string, Setting['default']> = {};
  for (const [key, setting] of Object.entries(schema)) values[key] = Array.isArray(setting.default) ? [...setting.default] : setting.default;
  return values as ValuesOf<T>;
}

export type ConfigKey = keyof typeof SCHEMA;
/** The whole configuration, flat and typed: `config['haar.scale_factor']` is a number. */
export type Config = ValuesOf<typeof SCHEMA>;
export type ConfigValue = Config[ConfigKey];

export const CONFIG_KEYS = Object.keys(SCHEMA) as ConfigKey[];

export function defaultConfig(): Config {
  return defaultsOf(SCHEMA);
}
