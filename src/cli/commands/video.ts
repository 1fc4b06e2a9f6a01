import path from 'node:path';
import fs from 'node:fs';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { PIPELINE_HELP, PIPELINE_OPTIONS, configFromFlags } from '../common.js';
import { FacePipeline } from '../../pipeline/pipeline.js';
import { annotate } from '../../vision/draw.js';
import { VideoSink, VideoSource } from '../../video/source.js';
import { VideoError } from '../../errors.js';
import { ProgressBar } from '../progress.js';
import { frameJson } from './results.js';

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const videoCommand: Command = {
  name: 'video',
  summary: 'run the pipeline on a video file or a camera; write an annotated video',
  usage: 'FILE | --camera N [--out FILE.avi|.mp4] [--max-frames N] [options]',
  details: 'Prints one JSON line per frame: {frame, timeMs, width, height, faces: [{id, track_id, confirmed, box, score, emotion, gender, raw}], timings}.\nFaces are detected and tracked: track_id stays with a person across frames; emotion and gender are smoothed per track (smoothing.method), raw holds the frame\'s own answers.\nA progress bar shows on a terminal for files. Ctrl-C stops after the current frame and closes the output video properly.',
  options: { ...PIPELINE_OPTIONS, 'camera': { type: 'string' }, 'out': { type: 'string', short: 'o' }, 'max-frames': { type: 'string' }, 'fps': { type: 'string' }, 'quiet': { type: 'boolean', short: 'q' }, 'json': { type: 'boolean' } },
  help: { ...PIPELINE_HELP, 'camera': 'camera index (e.g. 0) instead of a file', 'out': 'annotated video to write (.avi MJPG or .mp4)', 'max-frames': 'stop after this many frames', 'fps': 'frame rate of the output (default: the source\'s, else 30)', 'quiet': 'no JSON lines (only the output video)', 'json': 'JSON lines on stdout (the default; accepted for scripts that pass it)' },
  async run(values, positionals, context) {
    const camera = values['camera'] as string | undefined;
    if ((camera === undefined) === (positionals.length !== 1)) throw new UsageError('give one video FILE or --camera N');
    if (camera !== undefined && !/^\d+$/.test(camera)) throw new UsageError(`--camera needs a device index, got ${JSON.stringify(camera)}`);
    const maxFrames = values['max-frames'] === undefined ? Infinity : Number(values['max-frames']);
    if (!(maxFrames > 0)) throw new UsageError('--max-frames must be a positive number');
    const config = configFromFlags(values);
    const source = VideoSource.open(camera !== undefined ? Number(camera) : positionals[0]!);
    const pipeline = await FacePipeline.create(config, { log: context.log });
    const outFile = values['out'] as string | undefined;
    if (outFile) fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
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
            sink ??= VideoSink.open(outFile, Number(values['fps']) || source.fps || 30, frame.cols, frame.rows);
            sink.write(annotate(result.prepared.bgr, result.faces));
          }
          if (!values['quiet']) context.emit({ frame: frames, timeMs: Math.round(source.positionMs), ...frameJson(pipeline, result) });
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
