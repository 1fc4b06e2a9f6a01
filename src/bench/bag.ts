/**
 * Bag throughput: a recorded camera (the bench's moving sequence, as `bench --video` makes it: one
 * real face moving over a photo background, with sensor noise) written as a rosbag2 MCAP of
 * sensor_msgs/Image bgr8 by the project's writer, then run through `face-classification bag`'s
 * runner: reading, CDR decoding, the video path, building, serialising and writing the four result
 * topics. Frames a second are counted from the first answered frame to the end, so that loading the
 * models is not in them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { matToImageMessage } from '../messages/face_classification.js';
import { CDR, IMAGE_TYPE, encodeCdr } from '../bag/codec.js';
import { DEFAULT_QOS, McapBagWriter } from '../bag/mcap_writer.js';
import { openBag } from '../bag/open_bag.js';
import { runBag, type BagSummary } from '../bag/run_bag.js';
import { frameSource } from './run.js';
import { round2 } from './stats.js';

export interface BagBenchOptions {
  photosDir: string;
  frames: number;
  width: number;
  height: number;
  config: Config;
  log: Logger;
  progress?(done: number, total: number): void;
}

export interface BagBenchReport {
  setup: { machine: { cpus: number; cpu_model: string; load_avg_1m: number }; size: string; faces: 1; frames: number; input: string; rate_hz: number };
  bag: { fps: number; cpu_ms_per_frame: number; faces_per_frame: number; input_mb: number; output_mb: number; wall_s: number };
}

const CAMERA_TOPIC = '/camera/image_raw';
const RATE_HZ = 30;

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function recordBag(file: string, options: BagBenchOptions): Promise<void> {
  const source = frameSource({ photosDir: options.photosDir, frames: options.frames, warmup: 0, width: options.width, height: options.height, faces: 1, video: true, pan: false, rateHz: 0, gbp: false, config: options.config, log: options.log }, options.frames);
  const writer = await McapBagWriter.create(file);
  try {
    await writer.channel({ topic: CAMERA_TOPIC, type: IMAGE_TYPE, serialization: CDR, qos: DEFAULT_QOS });
    const start = BigInt(Date.now()) * 1_000_000n;
    for (let i = 0; i < options.frames; i++) {
      const frame = source.frame(i);
      const stamp = start + (BigInt(i) * 1_000_000_000n) / BigInt(RATE_HZ);
      const sec = Number(stamp / 1_000_000_000n);
      const nanosec = Number(stamp % 1_000_000_000n);
      await writer.write(CAMERA_TOPIC, stamp + 3_000_000n, stamp + 3_000_000n, encodeCdr(IMAGE_TYPE, matToImageMessage(frame, { stamp: { sec, nanosec }, frame_id: 'camera' })));
      frame.release();
    }
  } catch (error) {
    await writer.abort();
    throw error;
  }
  await writer.finish();
}

export async function runBagBench(options: BagBenchOptions): Promise<BagBenchReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fc-bag-bench-'));
  try {
    const input = path.join(dir, 'camera.mcap');
    const out = path.join(dir, 'camera_faces.mcap');
    await recordBag(input, options);
    const reader = await openBag(input);
    const writer = await McapBagWriter.create(out);
    let first: { wall: number; cpu: number } | undefined;
    let faces = 0;
    let summary: BagSummary;
    try {
      summary = await runBag({
        reader,
        writer,
        images: await reader.topics(),
        config: options.config,
        log: options.log,
        onFrame: (f) => {
          first ??= { wall: performance.now(), cpu: cpuMs() };
          faces += f.result.faces.length;
        },
        ...(options.progress ? { onProgress: options.progress } : {}),
      });
      await writer.finish();
    } finally {
      await writer.abort();
      await reader.close();
    }
    const frames = summary.cameras[CAMERA_TOPIC]?.frames ?? 0;
    const end = { wall: performance.now(), cpu: cpuMs() };
    const timed = Math.max(1, frames - 1);
    const seconds = first ? (end.wall - first.wall) / 1000 : 0;
    return {
      setup: { machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? 'unknown', load_avg_1m: round2(os.loadavg()[0] ?? 0) }, size: `${options.width}x${options.height}`, faces: 1, frames, input: 'rosbag2 MCAP, sensor_msgs/Image bgr8', rate_hz: RATE_HZ },
      bag: {
        fps: round2(seconds > 0 ? timed / seconds : 0),
        cpu_ms_per_frame: round2(first ? (end.cpu - first.cpu) / timed : 0),
        faces_per_frame: round2(faces / Math.max(1, frames)),
        input_mb: round2(fs.statSync(input).size / 1e6),
        output_mb: round2(fs.statSync(out).size / 1e6),
        wall_s: round2(seconds),
      },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
