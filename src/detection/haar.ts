import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cv, type Mat } from '../vision/opencv.js';
import { HAAR_CASCADE_DIRS } from '../paths.js';
import { ModelFileError } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { Detection, DetectionLimits, FaceDetector, ScanExtent } from './detector.js';
import { BoundedPool } from './bounded_pool.js';

type Cascade = InstanceType<typeof cv.CascadeClassifier>;

/** Find a cascade by path, or by file name in OpenCV's haarcascades folders. */
export function resolveCascade(nameOrPath: string): string {
  if (nameOrPath.includes('/')) {
    if (!fs.existsSync(nameOrPath)) throw new ModelFileError(nameOrPath, 'no such cascade file');
    return nameOrPath;
  }
  for (const dir of HAAR_CASCADE_DIRS) {
    const candidate = path.join(dir, nameOrPath);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new ModelFileError(nameOrPath, `cascade not found in ${HAAR_CASCADE_DIRS.join(', ')} (install Debian/Ubuntu package opencv-data)`);
}

/** The paper's detector: OpenCV's Haar cascade, detectMultiScale(gray, 1.3, 5) by default. */
export class HaarDetector implements FaceDetector {
  readonly name = 'haar' as const;
  readonly needsColour = false;
  /** Each scan on the pool takes a classifier of its own (see `pools`). */
  readonly overlappingScans = true;
  readonly searchesRegions = true;
  readonly searchesChangedRegions = true;
  /**
   * Classifiers for scans on the thread pool, one per scan in flight: a CascadeClassifier keeps
   * per-image state while it scans, so one instance must never run on two threads at once. Each
   * keeps buffers sized for the largest image it has scanned (6-7 MB after a 640x480 full scan,
   * measured), so full-frame scans and window scans have pools of their own and both are bounded:
   * with one classifier per face, 8 faces grew RSS by 60 MB as each in turn ran a full scan. More
   * window scans in flight than cores gain nothing (each uses OpenCV's threads too); the rest wait.
   */
  private readonly pools: Record<ScanExtent, BoundedPool<Cascade>>;

  private constructor(
    readonly cascadePath: string,
    private readonly cascade: Cascade,
  ) {
    const make = (): Cascade => new cv.CascadeClassifier(cascadePath);
    this.pools = { frame: new BoundedPool(make, 2), window: new BoundedPool(make, os.availableParallelism() + 1) };
  }

  static load(nameOrPath: string): HaarDetector {
    const file = resolveCascade(nameOrPath);
    let cascade: Cascade;
    try {
      cascade = new cv.CascadeClassifier(file);
    } catch (error) {
      throw new ModelFileError(file, `not a valid OpenCV cascade (${error instanceof Error ? error.message : String(error)})`);
    }
    return new HaarDetector(file, cascade);
  }

  detect(gray: Mat, _bgr: Mat | undefined, config: Config, limits: DetectionLimits, extent: ScanExtent = 'frame'): Detection[] {
    // A whole frame is scanned with a full-frame classifier where one is free, so that the buffers
    // sized for whole frames are not kept twice (the one for windows stays small).
    const pooled = extent === 'frame' ? this.pools.frame.tryAcquire() : undefined;
    const cascade = pooled ?? this.cascade;
    const image = config['haar.equalize'] ? gray.equalizeHist() : gray;
    try {
      const { objects, numDetections } = cascade.detectMultiScale(image, config['haar.scale_factor'], config['haar.min_neighbors'], 0, ...sizes(limits));
      return toDetections(objects, numDetections);
    } finally {
      if (image !== gray) image.release();
      if (pooled) this.pools.frame.release(pooled);
    }
  }

  async detectAsync(gray: Mat, _bgr: Mat | undefined, config: Config, limits: DetectionLimits, extent: ScanExtent = 'frame'): Promise<Detection[]> {
    const pool = this.pools[extent];
    const cascade = await pool.acquire();
    const image = config['haar.equalize'] ? gray.equalizeHist() : gray;
    const pending = { image, gray };
    try {
      const { objects, numDetections } = await cascade.detectMultiScaleAsync(image, config['haar.scale_factor'], config['haar.min_neighbors'], 0, ...sizes(limits));
      return toDetections(objects, numDetections);
    } finally {
      // The binding's worker reads the image's pixels on another thread: the JavaScript Mats that
      // own them must stay reachable until it is done, or the collector may free them under it.
      keepAlive(pending);
      if (image !== gray) image.release();
      pool.release(cascade);
    }
  }
}

/** Touches its argument so the optimiser cannot treat it as dead before this point. */
function keepAlive(value: object): void {
  if (value === undefined) throw new Error('unreachable');
}

function sizes(limits: DetectionLimits): [InstanceType<typeof cv.Size>, InstanceType<typeof cv.Size>] {
  return [new cv.Size(limits.minSize, limits.minSize), new cv.Size(limits.maxSize, limits.maxSize)];
}

function toDetections(objects: readonly { x: number; y: number; width: number; height: number }[], neighbours: readonly number[]): Detection[] {
  return objects.map((rect, i) => ({ x: rect.x, y: rect.y, width: rect.width, height: rect.height, score: neighbours[i] ?? 0 }));
}
