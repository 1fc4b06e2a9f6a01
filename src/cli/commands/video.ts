import fs from 'node:fs';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { PIPELINE_HELP, PIPELINE_OPTIONS, configFromFlags } from '../common.js';
import { FacePipeline } from '../../pipeline/pipeline.js';
import { annotate } from '../../vision/draw.js';
import { MIN_OUTPUT_FPS, VIDEO_OUTPUT_HINT, VideoSink, VideoSource, videoCodecs } from '../../video/source.js';
import { ensureWritableFile, sameFile } from '../output_paths.js';
import type { Mat } from '../../vision/opencv.js';
import type { Logger } from '../../log.js';
import { VideoError } from '../../errors.js';
import { ProgressBar } from '../progress.js';
import { frameJson } from './results.js';

/** --out must be a writable .avi/.mp4 path that is not the input; its folder is made here. */
function checkVideoOutput(outFile: string, input: string | undefined): void {
  if (fs.existsSync(outFile) && fs.statSync(outFile).isDirectory()) throw new UsageError(`--out ${outFile}: is a folder; give a video file name`);
  if (!videoCodecs(outFile)) throw new UsageError(`--out ${outFile}: ${VIDEO_OUTPUT_HINT}`);
  if (input !== undefined && sameFile(input, outFile)) throw new UsageError(`--out ${outFile}: is the input video itself; writing it would destroy the input`);
  ensureWritableFile('out', outFile);
}

/** The output video, opened before any frame is processed: a writer that cannot open is bad usage (exit 2). */
function openSink(outFile: string, fps: number, frame: Mat, log: Logger): VideoSink {
  let sink: VideoSink;
  try {
    sink = VideoSink.open(outFile, fps, frame.cols, frame.rows);
  } catch (error) {
    if (error instanceof VideoError) throw new UsageError(`--out ${outFile}: ${error.reason}`);
    throw error;
  }
  if (sink.padded) log.warn({ out: outFile, input: `${frame.cols}x${frame.rows}`, output: `${sink.width}x${sink.height}` }, 'odd frame size: the output video gets one replicated column or row (its encoder takes even sizes only)');
  if (outFile.toLowerCase().endsWith('.mp4') && sink.codec !== 'avc1') log.warn({ out: outFile, codec: sink.codec }, 'no H.264 encoder in OpenCV\'s ffmpeg: the .mp4 is MPEG-4 Part 2, which browsers do not play (write .avi, or re-encode)');
  return sink;
}

export const videoCommand: Command = {
  name: 'video',
  summary: 'run the pipeline on a video file or a camera; write an annotated video',
  usage: 'FILE | --camera N [--out FILE.avi|.mp4] [--max-frames N] [options]',
  details: 'Prints one JSON line per frame: {frame, timeMs, width, height, faces: [{id, track_id, confirmed, box, score, emotion, gender, raw}], timings}.\nFaces are detected and tracked: track_id stays with a person across frames; emotion and gender are smoothed per track (smoothing.method), raw holds the frame\'s own answers.\n--out: .mp4 is H.264 (MPEG-4 Part 2 where OpenCV has no H.264 encoder), .avi Motion JPEG; an odd-sized input gets one replicated column or row.\nA file that ends before the frames its header announces is named on stderr with the frame where reading stopped (exit 1).\nA progress bar shows on a terminal for files. Ctrl-C (or SIGTERM) stops after the current frame, closes the output video\nproperly, releases the camera and exits with 130 (143); a second signal waits for that, a third exits at once.',
  options: { ...PIPELINE_OPTIONS, 'camera': { type: 'string' }, 'out': { type: 'string', short: 'o' }, 'max-frames': { type: 'string' }, 'fps': { type: 'string' }, 'quiet': { type: 'boolean', short: 'q' }, 'json': { type: 'boolean' } },
  help: { ...PIPELINE_HELP, 'camera': 'camera index (e.g. 0) instead of a file', 'out': 'annotated video to write (.avi Motion JPEG, or .mp4 H.264)', 'max-frames': 'stop after this many frames', 'fps': `frame rate of the output, ${MIN_OUTPUT_FPS} to 1000 (default: the source's, else 30)`, 'quiet': 'no JSON lines (only the output video)', 'json': 'JSON lines on stdout (the default; accepted for scripts that pass it)' },
  interruptible: true,
  async run(values, positionals, context) {
    const camera = values['camera'] as string | undefined;
    if ((camera === undefined) === (positionals.length !== 1)) throw new UsageError('give one video FILE or --camera N');
    if (camera !== undefined && !/^\d+$/.test(camera)) throw new UsageError(`--camera needs a device index, got ${JSON.stringify(camera)}`);
    const maxFrames = values['max-frames'] === undefined ? Infinity : Number(values['max-frames']);
    if (!Number.isInteger(maxFrames) && maxFrames !== Infinity) throw new UsageError(`--max-frames must be a whole number of frames, got ${JSON.stringify(values['max-frames'])}`);
    if (!(maxFrames > 0)) throw new UsageError(`--max-frames must be at least 1, got ${JSON.stringify(values['max-frames'])}`);
    const fps = values['fps'] === undefined ? undefined : Number(values['fps']);
    if (fps !== undefined && !(fps >= MIN_OUTPUT_FPS && fps <= 1000)) throw new UsageError(`--fps must be a frame rate from ${MIN_OUTPUT_FPS} to 1000, got ${JSON.stringify(values['fps'])}`);
    const outFile = values['out'] as string | undefined;
    const input = camera === undefined ? positionals[0]! : undefined;
    // Everything about --out is checked before any work: a bad output would otherwise be found
    // only after decoding the whole video, or destroy the input.
    if (outFile) checkVideoOutput(outFile, input);
    const config = configFromFlags(values);
    const source = VideoSource.open(camera !== undefined ? Number(camera) : input!);
    let sink: VideoSink | undefined;
    let pipeline: FacePipeline;
    // The first frame gives the output's size: the writer is opened (or refused) before any work.
    let pending = source.read();
    try {
      if (pending && outFile) sink = openSink(outFile, fps ?? (source.fps >= MIN_OUTPUT_FPS ? source.fps : 30), pending, context.log);
      pipeline = await FacePipeline.create(config, { log: context.log, uses: ['video'] });
    } catch (error) {
      // The camera is released whatever happens; an output that got no frame is not left behind.
      pending?.release();
      source.release();
      if (sink) {
        sink.release();
        fs.rmSync(outFile!, { force: true });
      }
      throw error;
    }
    // The bar counts what will be processed: --max-frames when it is below the file's length.
    const length = source.isCamera ? 0 : source.frameCount;
    const progress = new ProgressBar(length > 0 ? Math.min(length, maxFrames) : Number.isFinite(maxFrames) ? maxFrames : 0);
    let frames = 0;
    let faces = 0;
    const stream = pipeline.stream();
    try {
      while (frames < maxFrames && !context.interrupted.value) {
        const frame = pending ?? source.read();
        pending = undefined;
        if (!frame) {
          const early = source.endedEarly;
          if (early) context.reportError(new VideoError(source.name, early));
          break;
        }
        try {
          const result = await stream.process(frame);
          faces += result.faces.length;
          if (sink) {
            const annotated = annotate(result.prepared.bgr, result.faces);
            sink.write(annotated);
            annotated.release();
          }
          if (!values['quiet']) context.emit({ frame: frames, timeMs: Math.round(source.positionMs), ...frameJson(pipeline, result) });
          // Freed now rather than at the next garbage collection (see PreparedFrame.release).
          result.prepared.release();
          frame.release();
        } catch (error) {
          context.reportError(error);
        }
        frames++;
        progress.update(frames);
        // Let SIGINT and stdout drain between frames.
        await context.shouldStop();
      }
    } finally {
      progress.finish(frames);
      stream.dispose();
      sink?.release();
      source.release();
      pipeline.dispose();
    }
    if (frames === 0) throw new VideoError(source.name, 'no frame could be read (not a video, unsupported codec, or the camera gives nothing)');
    context.log.info({ source: source.name, frames, faces, out: outFile, codec: sink?.codec, interrupted: context.interrupted.value }, 'video done');
    return 0;
  },
};
