import path from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { PIPELINE_HELP, PIPELINE_OPTIONS, configFromFlags } from '../common.js';
import { sharedDir } from '../../paths.js';
import { ImageError } from '../../errors.js';
import { runBench, type BenchReport } from '../../bench/run.js';
import { runClipBench, type ClipBenchReport, type ReferenceDetector } from '../../bench/clip.js';
import { ProgressBar } from '../progress.js';
import { runBagBench } from '../../bench/bag.js';
import type { CliContext, OptionValues } from '../command.js';
import type { Config } from '../../config/schema.js';

const SIZES: Record<string, [number, number]> = { vga: [640, 480], '720p': [1280, 720], '1080p': [1920, 1080] };

function parseSize(text: string): [number, number] {
  const named = SIZES[text];
  if (named) return named;
  const match = /^(\d+)x(\d+)$/.exec(text);
  if (!match) throw new UsageError(`--size must be WIDTHxHEIGHT (e.g. 640x480) or one of ${Object.keys(SIZES).join(', ')}; got ${JSON.stringify(text)}`);
  const [w, h] = [Number(match[1]), Number(match[2])];
  if (w < 64 || h < 64 || w > 8192 || h > 8192) throw new UsageError(`--size must be between 64x64 and 8192x8192; got ${text}`);
  return [w, h];
}

function positiveInteger(raw: unknown, flag: string, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer of at least ${min}; got ${JSON.stringify(raw)}`);
  return n;
}

/** The report as a few readable lines, for a terminal (--json gives the whole object). */
function summaryLines(r: BenchReport): string[] {
  const s = r.setup;
  const stage = (name: string): string => `${name} ${r.stages[name]?.p50_ms ?? 0}/${r.stages[name]?.cpu_ms_mean ?? 0}`;
  return [
    `${s.mode} ${s.size}, camera ${s.camera}, faces ${s.faces}, ${s.frames} frames; ${s.detector}, ${s.inference}; ${s.machine.cpus} cpus (${s.machine.cpu_model}), load ${s.machine.load_avg_1m}`,
    `frame p50 ${r.frame.p50_ms} ms, p95 ${r.frame.p95_ms}, p99 ${r.frame.p99_ms}; cpu ${r.frame.cpu_ms_per_frame} ms/frame; ${r.frame.fps} fps, ${r.frame.faces_per_s} faces/s`,
    `stages (p50 wall ms / mean cpu ms): ${['convert', 'detect', 'crop', 'heads', 'emotion', 'gender', 'annotate', 'message'].map(stage).join(', ')}`,
    `detection: ${r.detection.full_scan_frames} full-scan frames, ${r.detection.tracked_frames} tracked; ${r.detection.faces_per_frame} faces/frame of ${r.detection.expected_faces_per_frame} pasted; background scans ${r.detection.background_scans.whole} whole, ${r.detection.background_scans.changed} of changed regions (mean share ${r.detection.background_scans.changed_share_mean})`,
    `heads (both): ${r.heads.batch1_ms_per_face} ms/face at batch 1, ${r.heads.batch8_ms_per_face} at batch 8${r.gbp ? `; gbp ${r.gbp.batch1_ms_per_face} ms/face` : ''}`,
    `memory: rss ${r.memory.rss_mb_before} -> ${r.memory.rss_mb_after} MB (peak ${r.memory.peak_rss_mb}); tensors ${r.memory.tensors_before} -> ${r.memory.tensors_after}`,
  ];
}

function clipSummary(r: ClipBenchReport): string[] {
  const s = r.setup;
  const sc = r.score;
  return [
    `${s.clip} ${s.size}, ${s.frames} frames; ${s.detector}, ${s.inference}; reference ${s.reference.detector}${s.reference.input_size ? ` ${s.reference.input_size}` : ''} on every frame; ${s.machine.cpus} cpus, load ${s.machine.load_avg_1m}`,
    `recall ${sc.recall} of ${sc.reference_faces} faces (${sc.counted_face_frames} face-frames), precision ${sc.precision}, id switches ${sc.id_switches} (${sc.id_switches_per_face} a face), tracks a face ${sc.tracks_per_face}`,
    `cpu ${r.frame.cpu_ms_per_frame} ms/frame (decode ${r.decode_cpu_ms_per_frame} more), ${r.frame.fps} fps; latency p50 ${r.frame.p50_ms} ms, p99 ${r.frame.p99_ms}; carried ${r.detection.carried_share} of faces; peak rss ${r.memory.peak_rss_mb} MB`,
    `heads (${Object.entries(s.models).map(([task, id]) => `${task} ${id}`).join(', ')}): ${r.heads.ms_per_frame} ms/frame (cpu ${r.heads.cpu_ms_per_frame}), ${r.heads.ms_per_face} ms/face (cpu ${r.heads.cpu_ms_per_face}), ${r.heads.calls_per_frame} calls/frame`,
  ];
}

const REFERENCES: readonly ReferenceDetector[] = ['yunet', 'haar'];

/** --bag: the offline-bag throughput (frames a second) on a recorded camera of one moving face. */
async function runBag(values: OptionValues, photosDir: string, config: Config, context: CliContext): Promise<number> {
  const [width, height] = parseSize((values['size'] as string | undefined) ?? '640x480');
  let bar: ProgressBar | undefined;
  const report = await runBagBench({ photosDir, frames: positiveInteger(values['frames'], 'frames', 150, 2), width, height, config, log: context.log, progress: (done, total) => (bar ??= new ProgressBar(total)).update(done) });
  bar?.finish(report.setup.frames);
  if (values['json']) context.emit(report);
  else {
    const { setup: s, bag: b } = report;
    process.stdout.write(`bag ${s.size}, 1 face, ${s.frames} frames (${s.input}, ${b.input_mb} MB in, ${b.output_mb} MB out); ${s.machine.cpus} cpus, load ${s.machine.load_avg_1m}\n`);
    process.stdout.write(`${b.fps} frames/s (read, decode, video path, four result topics written), cpu ${b.cpu_ms_per_frame} ms/frame, ${b.faces_per_frame} faces/frame\n`);
  }
  return 0;
}

async function runClip(values: OptionValues, file: string, config: Config, context: CliContext): Promise<number> {
  const reference = (values['reference'] as string | undefined) ?? 'yunet';
  if (!REFERENCES.includes(reference as ReferenceDetector)) throw new UsageError(`--reference must be one of ${REFERENCES.join(', ')}; got ${JSON.stringify(reference)}`);
  const referenceSize = values['reference-size'] === undefined ? undefined : positiveInteger(values['reference-size'], 'reference-size', 640, 32);
  if (referenceSize !== undefined && referenceSize % 32 !== 0) throw new UsageError(`--reference-size must be a multiple of 32; got ${referenceSize}`);
  const maxFrames = values['frames'] === undefined ? Infinity : positiveInteger(values['frames'], 'frames', 1);
  let bar: ProgressBar | undefined;
  let pass = '';
  const report = await runClipBench({
    file,
    reference: reference as ReferenceDetector,
    ...(referenceSize ? { referenceSize } : {}),
    maxFrames,
    config,
    log: context.log,
    progress: (name, done, total) => {
      if (name !== pass) {
        bar?.finish(total);
        pass = name;
        bar = new ProgressBar(total);
      }
      bar!.update(done);
    },
  });
  bar?.finish(report.setup.frames);
  if (values['json']) context.emit(report);
  else for (const line of clipSummary(report)) process.stdout.write(`${line}\n`);
  return 0;
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure the whole pipeline per stage (wall and CPU), end to end, and memory on this machine',
  usage: '--bag [--frames N] [--size WxH] [--json] [options]\n       --clip VIDEO [--reference yunet|haar] [--reference-size N] [--frames N] [--json] [options]\n       [IMAGE] [--frames N] [--size 640x480|1280x720|WxH] [--faces K] [--video] [--pan] [--rate HZ] [--gbp] [--json] [options]',
  details: [
    'Frames are built from the real test photos (../shared/testdata/photos): without --faces, IMAGE (default: the astronaut)',
    'letterboxed into the frame; with --faces K, K real faces pasted at different places and sizes on a face-free photo background.',
    'Every frame is a new image. --video runs a sequence in which the faces move and scale smoothly, as from a camera, through',
    'detect-and-track (the node\'s way); the first face leaves and comes back, and later faces enter during the sequence.',
    'Sequence frames carry a camera\'s sensor noise; with --pan the camera turns, so no part of the picture stays still.',
    'Without --video each frame is processed on its own with a full-frame scan (the photo path).',
    'Prints a summary, or with --json one JSON object (fields in README.md, "Benchmark").',
    'With --clip VIDEO, the video path as configured runs over a real clip and is scored against a reference detector run on',
    'every frame of the whole picture: recall of its persistent faces, precision, id switches, CPU, latency and peak RSS.',
    'With --bag, the offline-bag throughput: the moving sequence (one face) recorded as a rosbag2 MCAP of sensor_msgs/Image,',
    'then run through `face-classification bag` (read, decode, video path, results written); frames a second and CPU per frame.',
  ].join('\n'),
  options: { ...PIPELINE_OPTIONS, frames: { type: 'string' }, warmup: { type: 'string' }, size: { type: 'string' }, faces: { type: 'string' }, video: { type: 'boolean' }, pan: { type: 'boolean' }, rate: { type: 'string' }, gbp: { type: 'boolean' }, json: { type: 'boolean' }, clip: { type: 'string' }, bag: { type: 'boolean' }, reference: { type: 'string' }, 'reference-size': { type: 'string' } },
  help: {
    ...PIPELINE_HELP,
    frames: 'frames to time after the warm-up (default 300)',
    warmup: 'frames run before timing starts (default 20)',
    size: 'frame size WxH, or vga, 720p, 1080p (default 640x480)',
    faces: 'number of real faces pasted into each frame (default: the photo itself)',
    video: 'a moving sequence through detect-and-track, as the node runs',
    pan: 'the camera pans (a robot turning): no part of the picture stays still',
    rate: 'pace frames like a camera at this rate in Hz (default: back to back)',
    gbp: 'also time guided backpropagation per face (the gbp_image topic)',
    json: 'print one JSON object instead of the summary',
    bag: 'offline-bag throughput: a recorded camera (--frames, default 150) through the bag command\'s runner',
    clip: 'a real video to score the video path on, against --reference on every frame',
    reference: 'with --clip: the per-frame reference detector, yunet (default) or haar',
    'reference-size': 'with --clip and yunet: longer side of the reference\'s network input (default yunet.input_size)',
  },
  async run(values, positionals, context) {
    if (values['clip'] !== undefined) {
      if (positionals.length > 0) throw new UsageError('--clip takes no IMAGE');
      return runClip(values, values['clip'] as string, configFromFlags(values), context);
    }
    if (positionals.length > 1) throw new UsageError('give at most one IMAGE');
    if (values['bag']) {
      if (positionals.length > 0) throw new UsageError('--bag takes no IMAGE');
      const photos = sharedDir();
      if (!photos) throw new ImageError('(none)', '--bag records the test photos of ../shared; they are not there');
      return runBag(values, path.join(photos, 'testdata', 'photos'), configFromFlags(values), context);
    }
    const [width, height] = parseSize((values['size'] as string | undefined) ?? '640x480');
    const shared = sharedDir();
    const photosDir = shared ? path.join(shared, 'testdata', 'photos') : undefined;
    if (!photosDir && !positionals[0]) throw new ImageError('(none)', 'give an IMAGE to benchmark on (the default test photos live in ../shared)');
    const faces = values['faces'] === undefined ? undefined : positiveInteger(values['faces'], 'faces', 1);
    const rate = values['rate'] === undefined ? 0 : Number(values['rate']);
    if (!(rate >= 0 && rate <= 1000)) throw new UsageError(`--rate must be a number of Hz between 0 and 1000; got ${JSON.stringify(values['rate'])}`);
    const report = await runBench({
      image: positionals[0],
      photosDir: photosDir ?? path.dirname(path.resolve(positionals[0]!)),
      frames: positiveInteger(values['frames'], 'frames', 300),
      warmup: positiveInteger(values['warmup'], 'warmup', 20, 0),
      width,
      height,
      faces,
      video: Boolean(values['video']),
      pan: Boolean(values['pan']),
      rateHz: rate,
      gbp: Boolean(values['gbp']),
      config: configFromFlags(values),
      log: context.log,
    });
    if (values['json']) context.emit(report);
    else for (const line of summaryLines(report)) process.stdout.write(`${line}\n`);
    return 0;
  },
};
