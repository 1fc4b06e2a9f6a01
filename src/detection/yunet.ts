/**
 * YuNet face detector (libfacedetection, 2023mar ONNX model) run with OpenCV's dnn module. The
 * installed binding has no FaceDetectorYN, so the pre- and post-processing that OpenCV's
 * objdetect/src/face_detect.cpp does for this model are done here: raw BGR 0..255 NCHW blob padded
 * to a multiple of 32; per stride (8, 16, 32) score = sqrt(cls * obj), box centre = (cell + offset)
 * * stride, size = exp(log-size) * stride; then threshold, top-k and NMS.
 */
import { cv, type Mat } from '../vision/opencv.js';
import { iou, type Box } from '../vision/crop.js';
import { ModelFileError, errorMessage } from '../errors.js';
import { resolveModel, type ResolveOptions } from '../models/resolve.js';
import type { Config } from '../config/schema.js';
import type { Detection, DetectionLimits, FaceDetector, ScanExtent } from './detector.js';

type Net = ReturnType<typeof cv.readNetFromONNX>;

const STRIDES = [8, 16, 32] as const;
/** The network downsamples by 32 at most, so its input sides must be multiples of 32. */
const DIVISOR = 32;
/** Output blobs in the order decode() reads them: the four heads, each at strides 8, 16, 32. */
const OUTPUTS = ['cls', 'obj', 'bbox', 'kps'].flatMap((head) => STRIDES.map((s) => `${head}_${s}`));

/** The given image's size, its size scaled for the network, and the padded network input's. */
interface NetworkGeometry {
  cols: number;
  rows: number;
  w: number;
  h: number;
  padW: number;
  padH: number;
}

/** A candidate in network-input pixels, before NMS. */
interface Candidate {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
  landmarks: [number, number][];
}

/**
 * Re-detection windows go to the network at this size (padded square). A window is a face grown by
 * tracking.search_margin on each side, so the face fills about two thirds of it: some 64 px,
 * whatever its size in the frame (small faces are enlarged, large ones reduced). One fixed size
 * lets every tracked face go in one batched forward pass (detectWindowsAsync); the window network
 * reshapes only when the number of tracks changes. About 1.5 ms a window here (the
 * whole 640 x 640 input costs 25); 64 cost 1 ms but lost tilted heads (a real clip of two people
 * tilting their heads: recall 0.79 at 64, 1.0 at 96).
 */
export const WINDOW_INPUT = 96;

/**
 * On the test photos the Haar cascade's box of a face is a square centred where YuNet's box is, with
 * a side of 0.86 to 1.02 (mean 0.9) of YuNet's height: the heads get that square.
 */
const HEAD_BOX_SIDE = 0.9;

/** A float32 blob of shape [b, n, c] as a flat array of b * n * c values, batch item after batch item. */
function blobValues(blob: Mat): Float32Array {
  const sizes = blob.sizes;
  const n = (sizes[0] ?? 1) * (sizes[1] ?? 0);
  const c = sizes[2] ?? 1;
  // getData() refuses Mats with more than 2 dims; flattenFloat views the same data as n x c.
  const bytes = blob.flattenFloat(n, c).getData();
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/**
 * Greedy NMS over the `topK` best candidates, as cv::dnn::NMSBoxes does. Written here because the
 * binding's NMSBoxes ignores its top_k argument.
 */
function nms(candidates: Candidate[], threshold: number, topK: number): Candidate[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score).slice(0, topK);
  const kept: Candidate[] = [];
  for (const c of sorted) {
    if (kept.every((k) => iou(k, c) <= threshold)) kept.push(c);
  }
  return kept;
}

export class YuNetDetector implements FaceDetector {
  readonly name = 'yunet' as const;
  readonly needsColour = true;
  /** The pool's whole-frame scans share one network (see `nets`). */
  readonly overlappingScans = false;
  /** Re-detection in a small window costs a few percent of a whole-frame scan (WINDOW_INPUT). */
  readonly searchesRegions = true;
  /** A scan's cost is set by the network's input size, not by the area searched: scans cover the whole frame. */
  readonly searchesChangedRegions = false;

  /**
   * One network per use, so that none reshapes its buffers between a frame's and a window's input
   * size from call to call (the window net's batch follows the number of tracks) and the pool's scan
   * never shares one with the main thread. Made when first used: each holds some 18 MB of buffers at
   * 640 x 384, and the video path uses only the pool's and the windows' (its whole scans, the first
   * frame's and a cut's included, run on the pool).
   */
  private readonly nets: Partial<Record<'frame' | 'window' | 'pool', Net>> = {};

  private constructor(
    readonly modelPath: string,
    first: Net,
    /** Longer side of the network input for whole frames; frames are scaled to it. */
    readonly inputSize: number,
  ) {
    this.nets.pool = first;
  }

  /** Open the model as a network, checking that it is YuNet's. */
  private static open(file: string): Net {
    let net: Net;
    try {
      net = cv.readNetFromONNX(file);
    } catch (error) {
      // The binding throws plain strings; keep the first line, which says what OpenCV disliked.
      throw new ModelFileError(file, `not a loadable ONNX model (${errorMessage(error).split('\n')[0]})`);
    }
    // A loadable ONNX file of another network lacks YuNet's output heads; say so now, not per frame.
    const layers = net.getLayerNames();
    const outputs = new Set(net.getUnconnectedOutLayers().map((id) => layers[id - 1]));
    const missing = OUTPUTS.filter((name) => !outputs.has(name));
    if (missing.length > 0) throw new ModelFileError(file, `not a YuNet 2023mar model (missing outputs ${missing.join(', ')})`);
    return net;
  }

  private net(use: 'frame' | 'window' | 'pool'): Net {
    return (this.nets[use] ??= YuNetDetector.open(this.modelPath));
  }

  /** Haar's square around the face (HEAD_BOX_SIDE), which the heads were trained on, clipped at 0. */
  headBox(box: Box): Box {
    const side = Math.round(box.height * HEAD_BOX_SIDE);
    const x = Math.max(0, Math.round(box.x + box.width / 2 - side / 2));
    const y = Math.max(0, Math.round(box.y + box.height / 2 - side / 2));
    return { x, y, width: side, height: side };
  }

  /** `model` is a model id (models/*.json) or a path to the ONNX file. */
  static async load(model: string, inputSize: number, resolve: ResolveOptions): Promise<YuNetDetector> {
    const { path: file } = await resolveModel(model, resolve);
    return new YuNetDetector(file, YuNetDetector.open(file), inputSize);
  }

  detect(gray: Mat, bgr: Mat | undefined, config: Config, limits: DetectionLimits, extent: ScanExtent = 'frame'): Detection[] {
    const input = this.networkInput(gray, bgr, extent);
    if (!input) return [];
    const net = this.net(extent);
    net.setInput(input.blob);
    const outputs = net.forward(OUTPUTS);
    input.blob.release();
    return this.decode(outputs, input, config, limits, extent);
  }

  /** Whole-frame scans run on the thread pool (their own network); windows are cheap and run here. */
  async detectAsync(gray: Mat, bgr: Mat | undefined, config: Config, limits: DetectionLimits, extent: ScanExtent = 'frame'): Promise<Detection[]> {
    if (extent === 'window') return this.detect(gray, bgr, config, limits, extent);
    const input = this.networkInput(gray, bgr, extent);
    if (!input) return [];
    const net = this.net('pool');
    net.setInput(input.blob);
    const outputs = await net.forwardAsync(OUTPUTS);
    input.blob.release();
    return this.decode(outputs, input, config, limits, extent);
  }

  /**
   * Several windows in one call: one batch through the windows' network on the thread pool (OpenCV's
   * dnn spreads it over the cores), so that re-detecting eight faces costs one call, not eight in a row.
   */
  async detectWindowsAsync(windows: readonly { gray: Mat; bgr: Mat | undefined; limits: DetectionLimits }[], config: Config): Promise<Detection[][]> {
    const images = windows.map((w) => this.networkImage(w.gray, w.bgr, 'window'));
    const padded = images.flatMap((i) => (i ? [i.padded] : []));
    if (padded.length === 0) return windows.map(() => []);
    const blob = cv.blobFromImages(padded, 1, new cv.Size(WINDOW_INPUT, WINDOW_INPUT), new cv.Vec3(0, 0, 0), false, false);
    for (const m of padded) m.release();
    const net = this.net('window');
    net.setInput(blob);
    const outputs = await net.forwardAsync(OUTPUTS);
    blob.release();
    const values = outputs.map(blobValues);
    for (const output of outputs) output.release();
    let item = 0;
    return windows.map((w, i) => {
      const image = images[i];
      if (!image) return [];
      const index = item++;
      // Each output holds the batch's items one after the other, of equal length.
      const slices = values.map((v) => v.subarray((v.length / padded.length) * index, (v.length / padded.length) * (index + 1)));
      return this.decodeValues(slices, image, config, w.limits, 'window');
    });
  }

  /**
   * The image as the network takes it: the longer side scaled to the input size (the frame's, or
   * WINDOW_INPUT for a window), padded right and bottom with black to multiples of 32 (as
   * FaceDetectorYN pads, so padding never shifts coordinates), as a raw BGR 0..255 blob. Every
   * intermediate Mat is freed here: the binding does not tell V8 their size, so waiting for the
   * garbage collector let a 1080p stream's peak RSS reach 640 MB.
   */
  private networkInput(gray: Mat, bgr: Mat | undefined, extent: ScanExtent): (NetworkGeometry & { blob: Mat }) | undefined {
    const image = this.networkImage(gray, bgr, extent);
    if (!image) return undefined;
    // The model was trained on raw BGR 0..255: no scaling, no mean, and no R/B swap (the binding's
    // blobFromImage swaps by default).
    const blob = cv.blobFromImage(image.padded, 1, new cv.Size(image.padW, image.padH), new cv.Vec3(0, 0, 0), false, false);
    image.padded.release();
    return { ...image, blob };
  }

  /** The padded BGR image the network takes (see networkInput), and where it came from. */
  private networkImage(gray: Mat, bgr: Mat | undefined, extent: ScanExtent): (NetworkGeometry & { padded: Mat }) | undefined {
    const { cols, rows } = gray;
    if (cols === 0 || rows === 0) return undefined;
    const image = bgr ?? gray.cvtColor(cv.COLOR_GRAY2BGR);
    const side = extent === 'window' ? WINDOW_INPUT : this.inputSize;
    const scale = side / Math.max(cols, rows);
    const w = Math.max(1, Math.round(cols * scale));
    const h = Math.max(1, Math.round(rows * scale));
    const resized = w === cols && h === rows ? image : image.resize(h, w, 0, 0, scale < 1 ? cv.INTER_AREA : cv.INTER_LINEAR);
    // Windows always go in at WINDOW_INPUT square, frames at their own padded size.
    const padW = extent === 'window' ? WINDOW_INPUT : Math.ceil(w / DIVISOR) * DIVISOR;
    const padH = extent === 'window' ? WINDOW_INPUT : Math.ceil(h / DIVISOR) * DIVISOR;
    const padded = resized.copyMakeBorder(0, padH - h, 0, padW - w, cv.BORDER_CONSTANT, new cv.Vec3(0, 0, 0));
    if (resized !== image) resized.release();
    if (image !== bgr) image.release();
    return { padded, cols, rows, w, h, padW, padH };
  }

  private decode(outputs: Mat[], input: NetworkGeometry, config: Config, limits: DetectionLimits, extent: ScanExtent): Detection[] {
    const values = outputs.map(blobValues);
    for (const output of outputs) output.release();
    return this.decodeValues(values, input, config, limits, extent);
  }

  private decodeValues(values: Float32Array[], input: NetworkGeometry, config: Config, limits: DetectionLimits, extent: ScanExtent): Detection[] {
    const { cols, rows, w, h, padW, padH } = input;
    // Near a face tracked a frame ago, a less sure detection is still that face (a head turned away).
    const threshold = extent === 'window' ? Math.min(config['yunet.score_threshold'], config['yunet.window_score_threshold']) : config['yunet.score_threshold'];
    // Candidates are in network-input pixels; fx, fy take them back to the given image's pixels.
    const fx = cols / w;
    const fy = rows / h;
    const candidates: Candidate[] = [];
    STRIDES.forEach((stride, i) => {
      const [cls, obj, bbox, kps] = [values[i]!, values[i + 3]!, values[i + 6]!, values[i + 9]!];
      const gridW = padW / stride;
      const gridH = padH / stride;
      if (cls.length !== gridW * gridH) throw new ModelFileError(this.modelPath, `output cls_${stride} has ${cls.length} cells, expected ${gridW}x${gridH}`);
      for (let row = 0; row < gridH; row++) {
        for (let col = 0; col < gridW; col++) {
          const k = row * gridW + col;
          const score = Math.sqrt(clamp01(cls[k]!) * clamp01(obj[k]!));
          if (score < threshold) continue;
          const width = Math.exp(bbox[4 * k + 2]!) * stride;
          const height = Math.exp(bbox[4 * k + 3]!) * stride;
          const cx = (col + bbox[4 * k]!) * stride;
          const cy = (row + bbox[4 * k + 1]!) * stride;
          const landmarks: [number, number][] = [];
          for (let p = 0; p < 5; p++) {
            landmarks.push([(col + kps[10 * k + 2 * p]!) * stride * fx, (row + kps[10 * k + 2 * p + 1]!) * stride * fy]);
          }
          candidates.push({ x: (cx - width / 2) * fx, y: (cy - height / 2) * fy, width: width * fx, height: height * fy, score, landmarks });
        }
      }
    });

    // Size limits apply before NMS, so an out-of-range box cannot suppress an in-range one. In a
    // window, where less sure detections are taken, a box wider than tall is part of a face (a mouth
    // and chin, a cheek and ear: seen on the real clips), not a face: YuNet's faces are taller (1.2-1.45).
    const inRange = candidates.filter(
      (c) =>
        (limits.minSize === 0 || Math.max(c.width, c.height) >= limits.minSize) &&
        (limits.maxSize === 0 || Math.min(c.width, c.height) <= limits.maxSize) &&
        (extent !== 'window' || c.height >= c.width),
    );
    return nms(inRange, config['yunet.nms_threshold'], config['yunet.top_k']).flatMap((c) => {
      // Faces at the border get boxes reaching outside the image; clip to whole pixels inside it.
      const x0 = Math.round(Math.max(0, c.x));
      const y0 = Math.round(Math.max(0, c.y));
      const x1 = Math.round(Math.min(cols, c.x + c.width));
      const y1 = Math.round(Math.min(rows, c.y + c.height));
      if (x1 <= x0 || y1 <= y0) return [];
      return [{ x: x0, y: y0, width: x1 - x0, height: y1 - y0, score: c.score, landmarks: c.landmarks }];
    });
  }
}
