import fs from 'node:fs';
import { cv, type Mat } from '../vision/opencv.js';
import { VideoError } from '../errors.js';

/** Frames from a video file or a camera, through OpenCV's VideoCapture. */
export class VideoSource {
  private last: Mat | undefined;

  private constructor(
    readonly name: string,
    private readonly capture: InstanceType<typeof cv.VideoCapture>,
    readonly isCamera: boolean,
  ) {}

  static open(source: string | number): VideoSource {
    const name = typeof source === 'number' ? `camera ${source}` : source;
    if (typeof source === 'string' && !fs.existsSync(source)) throw new VideoError(name, 'no such file');
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

  /**
   * The next frame (8-bit BGR), or undefined at the end of the stream. The source owns its frames:
   * the one returned before is freed by this call (copy() a frame to keep it longer), so a plain
   * read loop does not grow by a frame's pixels a frame while it waits for garbage collection.
   */
  read(): Mat | undefined {
    this.last?.release();
    this.last = undefined;
    let frame: Mat;
    try {
      frame = this.capture.read();
    } catch {
      return undefined;
    }
    if (frame.empty) return undefined;
    this.last = frame;
    return frame;
  }

  /** Position of the last frame read, in milliseconds from the start of the file. */
  get positionMs(): number {
    return this.capture.get(cv.CAP_PROP_POS_MSEC);
  }

  release(): void {
    this.last?.release();
    this.last = undefined;
    this.capture.release();
  }
}

/** Output containers VideoSink writes, by extension, with their codec. */
const CODECS: Record<string, string> = { '.avi': 'MJPG', '.mp4': 'mp4v' };

/** The codec for an output file's extension, or undefined when VideoSink cannot write it. */
export function videoCodec(file: string): string | undefined {
  const dot = file.lastIndexOf('.');
  return dot > file.lastIndexOf('/') ? CODECS[file.slice(dot).toLowerCase()] : undefined;
}

export const VIDEO_OUTPUT_HINT = 'output must end in .avi (MJPG) or .mp4 (mp4v)';

/** An annotated video written with OpenCV's VideoWriter; the codec follows the file's extension. */
export class VideoSink {
  private constructor(private readonly writer: InstanceType<typeof cv.VideoWriter>) {}

  static open(file: string, fps: number, width: number, height: number): VideoSink {
    const codec = videoCodec(file);
    if (!codec) throw new VideoError(file, VIDEO_OUTPUT_HINT);
    try {
      return new VideoSink(new cv.VideoWriter(file, cv.VideoWriter.fourcc(codec), fps, new cv.Size(width, height), true));
    } catch (error) {
      throw new VideoError(file, `cannot be written (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  write(frame: Mat): void {
    this.writer.write(frame);
  }

  release(): void {
    this.writer.release();
  }
}
