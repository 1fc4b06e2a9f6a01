import fs from 'node:fs';
import { cv, type Mat } from '../vision/opencv.js';
import { VideoError } from '../errors.js';
import { readImageHeader } from '../vision/image_header.js';

/** Frames from a video file or a camera, through OpenCV's VideoCapture. */
export class VideoSource {
  private last: Mat | undefined;
  private read_ = 0;
  private failure: string | undefined;

  private constructor(
    readonly name: string,
    private readonly capture: InstanceType<typeof cv.VideoCapture>,
    readonly isCamera: boolean,
  ) {}

  static open(source: string | number): VideoSource {
    const name = typeof source === 'number' ? `camera ${source}` : source;
    if (typeof source === 'string') {
      if (!fs.existsSync(source)) throw new VideoError(name, 'no such file');
      // OpenCV opens a photo as a one-image "sequence" (CAP_IMAGES) and reports nonsense positions.
      const image = imageContainer(source);
      if (image) throw new VideoError(name, `is a ${image.toUpperCase()} image, not a video (photos go through \`face-classification detect\` or FacePipeline.process)`);
    }
    let capture: InstanceType<typeof cv.VideoCapture>;
    try {
      capture = new cv.VideoCapture(source);
    } catch (error) {
      throw new VideoError(name, `cannot be opened (${error instanceof Error ? error.message : String(error)})`);
    }
    return new VideoSource(name, capture, typeof source === 'number');
  }

  /** Frames per second the source reports (0 when unknown). */
  get fps(): number {
    const fps = this.capture.get(cv.CAP_PROP_FPS);
    return Number.isFinite(fps) && fps > 0 && fps < 1000 ? fps : 0;
  }

  /** Number of frames of a file (0 when unknown, e.g. a camera). */
  get frameCount(): number {
    const n = this.capture.get(cv.CAP_PROP_FRAME_COUNT);
    return Number.isFinite(n) && n > 0 ? Math.round(n) : 0;
  }

  /** Frames read so far. */
  get framesRead(): number {
    return this.read_;
  }

  /**
   * The next frame (8-bit BGR), or undefined at the end of the stream (or where it could no longer
   * be read: see `endedEarly`). The source owns its frames: the one returned before is freed by this
   * call (copy() a frame to keep it longer), so a plain read loop does not grow by a frame's pixels
   * a frame while it waits for garbage collection.
   */
  read(): Mat | undefined {
    this.last?.release();
    this.last = undefined;
    let frame: Mat;
    try {
      frame = this.capture.read();
    } catch (error) {
      this.failure = error instanceof Error ? error.message : String(error);
      return undefined;
    }
    if (frame.empty) return undefined;
    this.last = frame;
    this.read_++;
    return frame;
  }

  /**
   * Why a file stopped giving frames before the end its header announces (cut off, damaged, a read
   * error), or undefined when it did not (or for a camera, or when the count is unknown). Asked after
   * read() returned undefined.
   */
  get endedEarly(): string | undefined {
    if (this.isCamera) return undefined;
    if (this.failure) return `reading stopped at frame ${this.read_} (${this.failure})`;
    const expected = this.frameCount;
    if (expected > 0 && this.read_ < expected) return `reading stopped at frame ${this.read_} of the ${expected} its header announces (cut off or damaged)`;
    return undefined;
  }

  /** Position of the last frame read, in milliseconds from the start of the file (from the frame rate where the container gives none). */
  get positionMs(): number {
    const ms = this.capture.get(cv.CAP_PROP_POS_MSEC);
    if (Number.isFinite(ms) && ms >= 0) return ms;
    return this.fps > 0 ? (Math.max(0, this.read_ - 1) * 1000) / this.fps : 0;
  }

  release(): void {
    this.last?.release();
    this.last = undefined;
    this.capture.release();
  }
}

/** The image format of a file by its first bytes, if it is an image. */
function imageContainer(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(4096);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    return readImageHeader(head.subarray(0, n))?.container;
  } catch {
    // Unreadable here: VideoCapture says why.
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Output containers VideoSink writes, by extension, with their codecs in order of preference:
 * .mp4 is H.264 (avc1, what browsers play) where OpenCV's ffmpeg has an H.264 encoder, else
 * MPEG-4 Part 2 (mp4v, which browsers do not play); .avi is Motion JPEG.
 */
const CODECS: Record<string, readonly string[]> = { '.avi': ['MJPG'], '.mp4': ['avc1', 'mp4v'] };

/** The codecs for an output file's extension, or undefined when VideoSink cannot write it. */
export function videoCodecs(file: string): readonly string[] | undefined {
  const dot = file.lastIndexOf('.');
  return dot > file.lastIndexOf('/') ? CODECS[file.slice(dot).toLowerCase()] : undefined;
}

export const VIDEO_OUTPUT_HINT = 'output must end in .avi (Motion JPEG) or .mp4 (H.264, or MPEG-4 Part 2 where OpenCV has no H.264 encoder)';

/** The lowest frame rate OpenCV's ffmpeg writer takes (0.001 fps makes a file nothing can open). */
export const MIN_OUTPUT_FPS = 0.01;

/**
 * An annotated video written with OpenCV's VideoWriter; the codec follows the file's extension.
 * The encoders take even sizes only (OpenCV's ffmpeg writer silently drops an odd last column or
 * row), so an odd-sized frame gets one replicated column or row on the right or bottom: `width`
 * and `height` are the output's size, `padded` says whether they differ from the frames'.
 */
export class VideoSink {
  private constructor(
    private readonly writer: InstanceType<typeof cv.VideoWriter>,
    readonly codec: string,
    readonly width: number,
    readonly height: number,
    readonly padded: boolean,
  ) {}

  static open(file: string, fps: number, width: number, height: number): VideoSink {
    const codecs = videoCodecs(file);
    if (!codecs) throw new VideoError(file, VIDEO_OUTPUT_HINT);
    if (!(fps >= MIN_OUTPUT_FPS && fps <= 1000)) throw new VideoError(file, `frame rate ${fps} is outside ${MIN_OUTPUT_FPS}-1000 fps`);
    const [outWidth, outHeight] = [width + (width % 2), height + (height % 2)];
    // The writer neither throws nor says when it could not open the file: it then never creates
    // it. An existing file is removed first so that its presence afterwards means success.
    fs.rmSync(file, { force: true });
    const problems: string[] = [];
    for (const codec of codecs) {
      try {
        const writer = new cv.VideoWriter(file, cv.VideoWriter.fourcc(codec), fps, new cv.Size(outWidth, outHeight), true);
        if (fs.existsSync(file)) return new VideoSink(writer, codec, outWidth, outHeight, outWidth !== width || outHeight !== height);
        writer.release();
        problems.push(`${codec}: not opened`);
      } catch (error) {
        problems.push(`${codec}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new VideoError(file, `cannot be written (${problems.join('; ')})`);
  }

  write(frame: Mat): void {
    if (frame.cols === this.width && frame.rows === this.height) {
      this.writer.write(frame);
      return;
    }
    if (frame.cols > this.width || frame.rows > this.height) throw new VideoError('frame', `is ${frame.cols}x${frame.rows}; the output video is ${this.width}x${this.height}`);
    const even = frame.copyMakeBorder(0, this.height - frame.rows, 0, this.width - frame.cols, cv.BORDER_REPLICATE);
    this.writer.write(even);
    even.release();
  }

  release(): void {
    this.writer.release();
  }
}
