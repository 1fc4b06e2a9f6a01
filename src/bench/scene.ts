import fs from 'node:fs';
import path from 'node:path';
import { cv, copyInto, type Mat } from '../vision/opencv.js';
import { readColor } from '../vision/image.js';
import type { Box } from '../vision/crop.js';
import { HaarDetector } from '../detection/haar.js';
import { defaultConfig } from '../config/schema.js';

/**
 * Synthetic camera sequences made from real photos, for the benchmark and the tracking tests: real
 * faces (cut from the test photos around the paper's own Haar detection, with margin) pasted into a
 * frame at places and sizes that change smoothly from frame to frame, as from a camera. Faces may be
 * set to appear late or leave early, so that detect-and-track is measured and tested honestly.
 * Every frame is a new Mat: nothing downstream can reuse an earlier frame's pixels.
 */

export interface FacePatch {
  /** The photo the face was cut from. */
  source: string;
  /** BGR image of the face with margin around it. */
  image: Mat;
}

export interface FacePath {
  patch: number;
  /** Centre (fractions of the frame) at the start and end, and the size (face patch width in pixels). */
  from: { x: number; y: number; size: number };
  to: { x: number; y: number; size: number };
  /** Frames [enter, leave) in which the face is in the picture. */
  enter: number;
  leave: number;
  /** Frames [from, to) inside that span in which it is out of the picture (it leaves and comes back). */
  away?: [number, number];
}

export interface SceneOptions {
  width: number;
  height: number;
  frames: number;
  faces: FacePath[];
  /** Camera sensor noise: standard deviation in gray levels, new in every frame (0 or absent: none). */
  noise?: number;
  /** The camera pans: the background slides this many pixels either way, so every part of the picture changes from frame to frame. */
  pan?: number;
}

/** The benchmark camera's sensor noise (gray levels): a real camera's picture is never still, even where nothing moves. */
export const CAMERA_NOISE = 2;
/** A panning benchmark camera slides this far either way over 3 s. */
export const CAMERA_PAN = 48;

/** Camera noise: one pattern, wider than the frame, seen at a different offset in each frame (a prime count, against any period in the paths). */
const NOISE_OFFSETS = 13;

/** Faces of the photos in `dir` that the paper's detector finds, each cut with 40% margin. */
export function loadFacePatches(dir: string): FacePatch[] {
  // The paper's settings (defaults): the patches hold faces that the paper's detector finds.
  const config = defaultConfig();
  const haar = HaarDetector.load(config['haar.cascade']);
  const patches: FacePatch[] = [];
  for (const name of fs.readdirSync(dir).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort()) {
    const file = path.join(dir, name);
    const photo = readColor(file);
    const gray = photo.cvtColor(cv.COLOR_BGR2GRAY);
    const faces = haar.detect(gray, photo, config, { minSize: 0, maxSize: 0 });
    for (const face of faces) {
      const margin = Math.round(face.width * 0.4);
      const x0 = Math.max(0, face.x - margin);
      const y0 = Math.max(0, face.y - margin);
      const x1 = Math.min(photo.cols, face.x + face.width + margin);
      const y1 = Math.min(photo.rows, face.y + face.height + margin);
      patches.push({ source: file, image: photo.getRegion(new cv.Rect(x0, y0, x1 - x0, y1 - y0)).copy() });
    }
  }
  return patches;
}

/** A small deterministic generator (mulberry32), so scenes are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * K faces on smooth paths through a width x height frame over `frames` frames. Faces are spread on a
 * grid so that they do not overlap; the first is there from frame 0, later ones enter during the
 * first half of the sequence (so the benchmark and tests see new faces appear).
 */
export function movingFaces(count: number, patches: number, width: number, height: number, frames: number, seed = 1): FacePath[] {
  const random = seededRandom(seed);
  const columns = Math.ceil(Math.sqrt(count * (width / height)));
  const rows = Math.ceil(count / columns);
  const cell = { w: 1 / columns, h: 1 / rows };
  const maxSize = Math.min(width * cell.w, height * cell.h) * 0.8;
  return Array.from({ length: count }, (_, k) => {
    const cx = (k % columns + 0.5) * cell.w;
    const cy = (Math.floor(k / columns) + 0.5) * cell.h;
    const wander = (): { x: number; y: number } => ({ x: cx + (random() - 0.5) * cell.w * 0.25, y: cy + (random() - 0.5) * cell.h * 0.25 });
    const size = (): number => Math.max(80, Math.min(maxSize, maxSize * (0.7 + 0.3 * random())));
    const enter = k === 0 ? 0 : Math.round((k / count) * frames * 0.5);
    return { patch: k % patches, from: { ...wander(), size: size() }, to: { ...wander(), size: size() }, enter, leave: frames };
  });
}

/** Where face `path` is in frame `i` (its pasted patch), or undefined when it is not in the picture. */
export function patchBox(path: FacePath, patch: Mat, i: number, options: Pick<SceneOptions, 'width' | 'height' | 'frames'>): Box | undefined {
  if (i < path.enter || i >= path.leave) return undefined;
  if (path.away && i >= path.away[0] && i < path.away[1]) return undefined;
  // Smooth, camera-like motion: ease in and out between the two ends.
  const t = options.frames > 1 ? 0.5 - 0.5 * Math.cos((Math.PI * i) / (options.frames - 1)) : 0;
  const lerp = (a: number, b: number): number => a + (b - a) * t;
  const width = Math.round(lerp(path.from.size, path.to.size));
  const height = Math.round((width * patch.rows) / patch.cols);
  const x = Math.round(lerp(path.from.x, path.to.x) * options.width - width / 2);
  const y = Math.round(lerp(path.from.y, path.to.y) * options.height - height / 2);
  const x0 = Math.max(0, Math.min(options.width - width, x));
  const y0 = Math.max(0, Math.min(options.height - height, y));
  if (width > options.width || height > options.height) return undefined;
  return { x: x0, y: y0, width, height };
}

/**
 * A real, face-free background from a photo: the part below its faces (the astronaut's suit, flag
 * and shuttle model), scaled to cover the frame. A flat background would flatter the detector,
 * whose cost grows with the texture it has to reject. Undefined when the photo has no such part.
 */
export function photoBackground(file: string, width: number, height: number): Mat | undefined {
  const photo = readColor(file);
  const config = defaultConfig();
  const faces = HaarDetector.load(config['haar.cascade']).detect(photo.cvtColor(cv.COLOR_BGR2GRAY), photo, config, { minSize: 0, maxSize: 0 });
  const top = faces.reduce((bottom, f) => Math.max(bottom, Math.round(f.y + f.height * 1.3)), 0);
  if (photo.rows - top < photo.rows / 3) return undefined;
  const band = photo.getRegion(new cv.Rect(0, top, photo.cols, photo.rows - top));
  const scale = Math.max(width / band.cols, height / band.rows);
  const covered = band.resize(Math.ceil(band.rows * scale), Math.ceil(band.cols * scale), 0, 0, cv.INTER_LINEAR);
  return covered.getRegion(new cv.Rect(Math.floor((covered.cols - width) / 2), Math.floor((covered.rows - height) / 2), width, height)).copy();
}

export class Scene {
  private readonly background: Mat;
  /** Noise as two saturating offsets (added, then subtracted), made once. */
  private readonly noise: { up: Mat; down: Mat } | undefined;

  constructor(
    readonly options: SceneOptions,
    readonly patches: FacePatch[],
    background?: Mat,
  ) {
    const pan = options.pan ?? 0;
    const noise = options.noise ?? 0;
    const base = background ?? texturedBackground(options.width, options.height);
    // A panning camera's view slides over a wider picture: the background stretched by the pan.
    this.background = pan > 0 ? base.resize(options.height, options.width + 2 * pan, 0, 0, cv.INTER_LINEAR) : base;
    if (pan > 0 && !background) base.release();
    if (noise > 0) this.noise = noisePattern(options.width + NOISE_OFFSETS, options.height, noise);
  }

  get frames(): number {
    return this.options.frames;
  }

  /** Where each face is pasted in frame i (undefined for faces not in the picture). */
  placements(i: number): (Box | undefined)[] {
    return this.options.faces.map((f) => patchBox(f, this.patches[f.patch]!.image, i, this.options));
  }

  /** Frame i as a new 8-bit BGR Mat. */
  frame(i: number): Mat {
    const frame = this.view(i);
    const boxes = this.placements(i);
    this.options.faces.forEach((f, k) => {
      const box = boxes[k];
      if (!box) return;
      const resized = this.patches[f.patch]!.image.resize(box.height, box.width, 0, 0, cv.INTER_LINEAR);
      const view = frame.getRegion(new cv.Rect(box.x, box.y, box.width, box.height));
      copyInto(resized, view);
      view.release();
      resized.release();
    });
    if (!this.noise) return frame;
    const window = new cv.Rect((i * 5) % NOISE_OFFSETS, 0, this.options.width, this.options.height);
    const [up, down] = [this.noise.up.getRegion(window), this.noise.down.getRegion(window)];
    const brighter = frame.add(up);
    const noisy = brighter.sub(down);
    for (const mat of [up, down, brighter, frame]) mat.release();
    return noisy;
  }

  /** The background as the camera sees it in frame i. */
  private view(i: number): Mat {
    const pan = this.options.pan ?? 0;
    if (pan === 0) return this.background.copy();
    const x = Math.round(pan + pan * Math.sin((2 * Math.PI * i) / 90));
    const region = this.background.getRegion(new cv.Rect(x, 0, this.options.width, this.options.height));
    const frame = region.copy();
    region.release();
    return frame;
  }
}

/** Gaussian noise of standard deviation `sigma` (seeded), split into what is added and what is subtracted. */
function noisePattern(width: number, height: number, sigma: number): { up: Mat; down: Mat } {
  const random = seededRandom(11);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const up = Buffer.alloc(width * height * 3);
  const down = Buffer.alloc(width * height * 3);
  for (let j = 0; j < up.length; j++) {
    const v = Math.round(gaussian() * sigma);
    if (v > 0) up[j] = Math.min(255, v);
    else down[j] = Math.min(255, -v);
  }
  return { up: new cv.Mat(up, height, width, cv.CV_8UC3), down: new cv.Mat(down, height, width, cv.CV_8UC3) };
}

/** A plain, slightly textured synthetic background, for when no photo background is wanted. */
function texturedBackground(width: number, height: number): Mat {
  const random = seededRandom(7);
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = 90 + Math.round(40 * (x / width) + 30 * (y / height) + (random() - 0.5) * 16);
      data.fill(v, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return new cv.Mat(data, height, width, cv.CV_8UC3);
}
