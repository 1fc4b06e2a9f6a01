import path from 'node:path';
import fs from 'node:fs';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { PIPELINE_HELP, PIPELINE_OPTIONS, configFromFlags } from '../common.js';
import { FacePipeline } from '../../pipeline/pipeline.js';
import { annotate } from '../../vision/draw.js';
import { VIDEO_OUTPUT_HINT, VideoSink, VideoSource, videoCodec } from '../../video/source.js';
import { ensureFolder } from '../output_paths.js';
import { VideoError } from '../../errors.js';
import { ProgressBar } from '../progress.js';
import { frameJson } from './results.js';

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The same file, whatever the path says (links, `./`, hard links). */
function sameFile(a: string, b: string): boolean {
  try {
    const [sa, sb] = [fs.statSync(a), fs.statSync(b)];
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** --out must be a writable .avi/.mp4 path that is not the input; its folder is made here. */
function checkVideoOutput(outFile: string, input: string | undefined): void {
  if (fs.existsSync(outFile) && fs.statSync(outFile).isDirectory()) throw new UsageError(`--out ${outFile}: is a folder; give a video file name`);
  if (!videoCodec(outFile)) throw new UsageError(`--out ${outFile}: ${VIDEO_OUTPUT_HINT}`);
  if (input !== undefined && sameFile(input, outFile)) throw new UsageError(`--out ${outFile}: is the input video itself; writing it would destroy the input`);
  ensureFolder('out', path.dirname(path.resolve(outFile)));
}

export const videoCommand: Command = {
  name: 'video',
  summary: 'run the pipeline on a video file or a camera; write an annotated video',
  usage: 'FILE | --camera N [--out FILE.avi|.mp4] [--max-frames N] [options]',
  details: 'Prints one JSON line per frame: {frame, timeMs, width, height, faces: [{id, track_id, confirmed, box, score, emotion, gender, raw}], timings}.\nFaces are detected and tracked: track_id stays with a person across frames; emotion and gender are smoothed per track (smoothing.method), raw holds the frame\'s own answers.\nA progress bar shows on a terminal for files. Ctrl-C (or SIGTERM) stops after the current frame, closes the output video\nproperly, releases the camera and exits with 130 (143).',
  options: { ...PIPELINE_OPTIONS, 'camera': { type: 'string' }, 'out': { type: 'string', short: 'o' }, 'max-frames': { type: 'string' }, 'fps': { type: 'string' }, 'quiet': { type: 'boolean', short: 'q' }, 'json': { type: 'boolean' } },
  help: { ...PIPELINE_HELP, 'camera': 'camera index (e.g. 0) instead of a file', 'out': 'annotated video to write (.avi MJPG or .mp4)', 'max-frames': 'stop after this many frames', 'fps': 'frame rate of the output (default: the source\'s, else 30)', 'quiet': 'no JSON lines (only the output video)', 'json': 'JSON lines on stdout (the default; accepted for scripts that pass it)' },
  interruptible: true,
  async run(values, positionals, context) {
    const camera = values['camera'] as string | undefined;
    if ((camera === undefined) === (positionals.length !== 1)) throw new UsageError('give one video FILE or --camera N');
    if (camera !== undefined && !/^\d+$/.test(camera)) throw new UsageError(`--camera needs a device index, got ${JSON.stringify(camera)}`);
    const maxFrames = values['max-frames'] === undefined ? Infinity : Number(values['max-frames']);
    if (!Number.isInteger(maxFrames) && maxFrames !== Infinity) throw new UsageError(`--max-frames must be a whole number of frames, got ${JSON.stringify(values['max-frames'])}`);
    if (!(maxFrames > 0)) throw new UsageError(`--max-frames must be at least 1, got ${JSON.stringify(values['max-frames'])}`);
    const fps = values['fps'] === undefined ? undefined : Number(values['fps']);
    if (fps !== undefined && !(fps > 0 && fps <= 1000)) throw new UsageError(`--fps must be a frame rate above 0 and at most 1000, got ${JSON.stringify(values['fps'])}`);
    const outFile = values['out'] as string | undefined;
    const input = camera === undefined ? positionals[0]! : undefined;
    // Everything about --out is checked before any work: a bad output would otherwise be found
    // only after decoding the whole video, or destroy the input.
    if (outFile) checkVideoOutput(outFile, input);
    const config = configFromFlags(values);
    const source = VideoSource.open(camera !== undefined ? Number(camera) : input!);
    let pipeline: FacePipeline;
    try {
      pipeline = await FacePipeline.create(config, { log: context.log, uses: ['video'] });
    } catch (error) {
      // The camera is released whatever happens.
      source.release();
      throw error;
    }
    let sink: VideoSink | undefined;
    const progress = new ProgressBar(source.isCamera ? 0 : source.frameCount);
    let frames = 0;
    let faces = 0;
    const stream = pipeline.stream();
    try {
      while (frames < maxFrames && !context.interrupted.value) {
        const frame = source.read();
        if (!frame) break;
        try {
          const result = await stream.process(frame);
          faces += result.faces.length;
          if (outFile) {
            sink ??= VideoSink.open(outFile, fps ?? (source.fps || 30), frame.cols, frame.rows);
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
        await nextTick();
      }
    } finally {
      progress.finish(frames);
      stream.dispose();
      sink?.release();
      source.release();
      pipeline.dispose();
    }
    if (frames === 0) throw new VideoError(source.name, 'no frame could be read (not a video, unsupported codec, or the camera gives nothing)');
    context.log.info({ source: source.name, frames, faces, out: outFile, interrupted: context.interrupted.value }, 'video done');
    return 0;
  },
};
