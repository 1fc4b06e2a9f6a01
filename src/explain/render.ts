import { cv, copyInto, type Mat } from '../vision/opencv.js';
import type { Box } from '../vision/crop.js';
import type { Scaling } from '../vision/preprocess.js';
import { applyJet } from './colormap.js';
import type { ExplainMethod } from './types.js';
import { drawLabels, labelScale, type Bgr, type LabelRequest } from '../vision/labels.js';

/** A map at the model's input size (row-major), as in an Explanation. */
export interface MapImage {
  map: Float32Array;
  width: number;
  height: number;
  /** Chooses the normalisation; default gbp. */
  method?: ExplainMethod;
}

/**
 * Map -> 8-bit gray for display. Signed maps (gbp, guided-gradcam) get the normalisation of the
 * authors' and keras-vis's `deprocess_image`, which made the paper's Figure 2: (x - mean) / std * 0.1
 * + 0.5, clipped to [0, 1]; so strong positive gradient is light, strong negative dark and the rest a
 * flat gray, and maps of different faces look alike regardless of their scale. Grad-CAM maps are
 * non-negative: x / max.
 */
export function normalizeMap(image: MapImage): Uint8Array {
  const { map } = image;
  const out = new Uint8Array(map.length);
  if (image.method === 'gradcam') {
    let max = 0;
    for (const v of map) max = Math.max(max, v);
    for (let i = 0; i < map.length; i++) out[i] = max > 0 ? Math.round((255 * map[i]!) / max) : 0;
    return out;
  }
  let mean = 0;
  for (const v of map) mean += v;
  mean /= map.length;
  let variance = 0;
  for (const v of map) variance += (v - mean) ** 2;
  const std = Math.sqrt(variance / map.length);
  for (let i = 0; i < map.length; i++) {
    const x = ((map[i]! - mean) / (std + 1e-5)) * 0.1 + 0.5;
    out[i] = Math.round(255 * Math.min(1, Math.max(0, x)));
  }
  return out;
}

/**
 * Where the evidence is, whatever its sign, in [0, 1]: |map| smoothed by a Gaussian (sigma one input
 * pixel; gradient maps are speckled at pixel scale) and divided by its 99th percentile, so a few
 * extreme pixels do not wash out the rest (Grad-CAM maps are smooth and peak at their maximum anyway).
 */
export function magnitudeMap(image: MapImage): Float32Array {
  const abs = Float32Array.from(image.map, Math.abs);
  const blurred = new cv.Mat(Buffer.from(abs.buffer), image.height, image.width, cv.CV_32FC1).gaussianBlur(new cv.Size(0, 0), 1);
  const data = blurred.getData();
  const smooth = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const sorted = Float32Array.from(smooth).sort();
  const top = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!;
  return smooth.map((v) => (top > 0 ? Math.min(1, v / top) : 0));
}

function grayMat(values: Uint8Array, width: number, height: number): Mat {
  return new cv.Mat(Buffer.from(values.buffer, values.byteOffset, values.byteLength), height, width, cv.CV_8UC1);
}

/** The normalised map as an 8-bit gray image at the model's input size. */
export function saliencyImage(image: MapImage): Mat {
  return grayMat(normalizeMap(image), image.width, image.height);
}

/** The map's magnitude (magnitudeMap) in jet colours (BGR). */
export function heatmapImage(image: MapImage): Mat {
  return applyJet(grayMat(Uint8Array.from(magnitudeMap(image), (t) => Math.round(255 * t)), image.width, image.height));
}

/**
 * Jet colours over a BGR image (any size: the map is resized to it), each pixel weighted by alpha *
 * the map's magnitude there: the image shows through where the map is near zero, instead of under a
 * uniform blue tint.
 */
/** The heat-map tile over a copy of the face's region; the copy is freed (Mat memory is not collected soon). */
function heatTile(region: Mat, face: MapImage, alpha: number): Mat {
  const base = region.copy();
  const tile = blendHeat(base, face, alpha);
  base.release();
  return tile;
}

/** The saliency tile at the face's size in BGR, its intermediate images freed. */
function saliencyTile(face: MapImage, width: number, height: number): Mat {
  const gray = saliencyImage(face);
  const bgr = gray.cvtColor(cv.COLOR_GRAY2BGR);
  const tile = bgr.resize(height, width, 0, 0, cv.INTER_LINEAR);
  gray.release();
  bgr.release();
  return tile;
}

function blendHeat(base: Mat, image: MapImage, alpha: number): Mat {
  const magnitude = magnitudeMap(image);
  const size = (m: Mat): Mat => (m.rows === base.rows && m.cols === base.cols ? m : m.resize(base.rows, base.cols, 0, 0, cv.INTER_LINEAR));
  const weights = size(new cv.Mat(Buffer.from(magnitude.buffer), image.height, image.width, cv.CV_32FC1)).getData();
  const weight = new Float32Array(weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength));
  const heat = size(applyJet(grayMat(Uint8Array.from(magnitude, (t) => Math.round(255 * t)), image.width, image.height))).getData();
  const pixels = base.getData();
  const out = Buffer.alloc(pixels.length);
  for (let p = 0; p < weight.length; p++) {
    const a = alpha * weight[p]!;
    for (let ch = 0; ch < 3; ch++) out[p * 3 + ch] = Math.round((1 - a) * pixels[p * 3 + ch]! + a * heat[p * 3 + ch]!);
  }
  return new cv.Mat(out, base.rows, base.cols, cv.CV_8UC3);
}

/** A preprocessed face (faceInput's floats) back to 8-bit gray. */
export function faceImage(face: Float32Array, width: number, height: number, scaling: Scaling = 'minus-one-to-one'): Mat {
  const pixels = Uint8Array.from(face, (v) => Math.round(255 * Math.min(1, Math.max(0, scaling === 'minus-one-to-one' ? (v + 1) / 2 : v))));
  return grayMat(pixels, width, height);
}

/** The face the map explains (gray) with the heat map blended in where the map is strong (BGR). */
export function overlayImage(image: MapImage, face: Float32Array, scaling: Scaling = 'minus-one-to-one', alpha = 0.7): Mat {
  return blendHeat(faceImage(face, image.width, image.height, scaling).cvtColor(cv.COLOR_GRAY2BGR), image, alpha);
}

/** Enlarge a small map image for viewing (nearest neighbour keeps the pixels honest). */
export function enlarge(image: Mat, factor: number): Mat {
  return factor === 1 ? image : image.resize(image.rows * factor, image.cols * factor, 0, 0, cv.INTER_NEAREST);
}

export interface FrameMap extends MapImage {
  /** The frame region the head's input was cropped from (the detection box grown by the crop offsets). */
  box: Box;
  /** Text drawn above the box, e.g. the target class and score. */
  label?: string;
}

export interface FrameRenderOptions {
  /**
   * saliency: paste the normalised map; heatmap: blend jet colours over the region, where the map is
   * strong. Default: heatmap for Grad-CAM maps (coarse, and the face stays visible under them),
   * saliency for the gradient maps (gbp, guided Grad-CAM: the paper's Figure 2 look).
   */
  style?: 'saliency' | 'heatmap';
  /** Weight of the heat map where the map is strongest (heatmap style; default 0.7). */
  alpha?: number;
  /** Draw each box's outline and label (default true). */
  annotate?: boolean;
}

const LABEL_COLOR: Bgr = [0, 255, 0];

/**
 * The frame (8-bit BGR) with each face's map resized into its box: the image of the ROS node's
 * ~/gbp_image topic and of `explain --out`. Labels are sized by their face and never cover each
 * other (vision/labels.ts). Draws on a copy.
 */
export function renderExplanationFrame(frameBgr: Mat, faces: readonly FrameMap[], options: FrameRenderOptions = {}): Mat {
  const out = frameBgr.copy();
  const labels: LabelRequest[] = [];
  for (const face of faces) {
    const x = Math.max(0, Math.round(face.box.x));
    const y = Math.max(0, Math.round(face.box.y));
    const width = Math.min(frameBgr.cols - x, Math.round(face.box.width));
    const height = Math.min(frameBgr.rows - y, Math.round(face.box.height));
    if (width <= 0 || height <= 0) continue;
    const style = options.style ?? (face.method === 'gradcam' ? 'heatmap' : 'saliency');
    const region = out.getRegion(new cv.Rect(x, y, width, height));
    const tile = style === 'heatmap' ? heatTile(region, face, options.alpha ?? 0.7) : saliencyTile(face, width, height);
    copyInto(tile, region);
    tile.release();
    region.release();
    if (options.annotate === false) continue;
    const box = { x, y, width, height };
    out.drawRectangle(new cv.Point2(x, y), new cv.Point2(x + width - 1, y + height - 1), new cv.Vec3(...LABEL_COLOR), Math.max(1, Math.round(labelScale(width) * 2)), cv.LINE_8);
    if (face.label) labels.push({ text: face.label, color: LABEL_COLOR, anchor: box, side: 'above', scale: labelScale(width) });
  }
  drawLabels(out, labels);
  return out;
}
