/**
 * The bag runner: every message of the input is copied to the output; each processed image topic
 * is one camera, its frames going in header-stamp order through their own FaceStream (the video path
 * the `video` command and the node use: detection, tracking, both heads, smoothing), and its results
 * written beside it (camera_output.ts). A frame that cannot be used is skipped and counted per topic
 * with its reason; damage in the input ends the reading there (reader.damage).
 */
import type { Logger } from '../log.js';
import type { Config } from '../config/schema.js';
import { FacePipeline, type FrameResult } from '../pipeline/pipeline.js';
import type { FaceStream } from '../pipeline/stream.js';
import type { HeaderMsg } from '../messages/face_classification.js';
import { FrameError } from '../messages/frame_errors.js';
import { DEFAULT_INPUT_LIMITS, type InputLimits } from '../messages/input_guard.js';
import type { ConvertedFrame } from '../messages/image_conversion.js';
import { errorMessage } from '../errors.js';
import type { BagDamage, BagMessage, BagReader, BagTopic } from './bag_reader.js';
import { CDR } from './codec.js';
import { CameraOutput } from './camera_output.js';
import { decodeImageMessage, imageFrame, stampNs, type ImageMessage } from './image_input.js';
import type { McapBagWriter } from './mcap_writer.js';
import { cameraTopics, type CameraTopics } from './output_topics.js';
import { StampOrder } from './stamp_order.js';

export interface BagFrame {
  topic: string;
  /** Frame number within its topic (processed frames, from 0). */
  index: number;
  header: HeaderMsg;
  logTime: bigint;
  result: FrameResult;
  pipeline: FacePipeline;
}

export interface CameraSummary {
  type: string;
  outputs: CameraTopics;
  frames: number;
  faces: number;
  /** Frames not processed, by reason (FrameError codes, unknown_encoding, bad_message, pipeline_error). */
  skipped: Record<string, number>;
}

export interface BagSummary {
  files: string[];
  out: string;
  cameras: Record<string, CameraSummary>;
  /** Topics copied but not processed (not images, or not chosen), with their type and message count. */
  notProcessed: Record<string, { type: string; messages: number }>;
  copiedMessages: number;
  damage: BagDamage[];
  interrupted: boolean;
  wallMs: number;
}

export interface BagRunOptions {
  reader: BagReader;
  writer: McapBagWriter;
  images: readonly BagTopic[];
  config: Config;
  log: Logger;
  interrupted?: { readonly value: boolean };
  onFrame?(frame: BagFrame): void;
  /** Frames done (processed or skipped) and the total expected (0 when the bag does not say). */
  onProgress?(done: number, total: number): void;
}

interface Held {
  stampNs: bigint;
  order: number;
  message: ImageMessage;
  logTime: bigint;
}

interface Camera {
  topic: BagTopic;
  stream: FaceStream;
  output: CameraOutput;
  order: StampOrder<Held>;
  summary: CameraSummary;
}

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function runBag(options: BagRunOptions): Promise<BagSummary> {
  const { reader, writer, config, log } = options;
  const started = performance.now();
  const limits: InputLimits = { ...DEFAULT_INPUT_LIMITS, maxPixels: config['input.max_pixels'] };
  const counts = await reader.messageCounts();
  const total = options.images.reduce((n, t) => n + (counts.get(t.name) ?? 0), 0);
  const pipeline = await FacePipeline.create(config, { log, uses: ['video'] });
  const cameras = new Map<string, Camera>();
  const summary: BagSummary = { files: [...reader.files], out: writer.target, cameras: {}, notProcessed: {}, copiedMessages: 0, damage: [], interrupted: false, wallMs: 0 };
  const warned = new Set<string>();
  let done = 0;
  try {
    const outputs = cameraTopics(options.images.map((t) => t.name));
    for (const topic of options.images) {
      const names = outputs.get(topic.name)!;
      const camera: Camera = { topic, stream: pipeline.stream(), output: await CameraOutput.create(writer, names), order: new StampOrder<Held>(), summary: { type: topic.type, outputs: names, frames: 0, faces: 0, skipped: {} } };
      cameras.set(topic.name, camera);
      summary.cameras[topic.name] = camera.summary;
    }
    const skip = (camera: Camera, reason: string, detail: string): void => {
      camera.summary.skipped[reason] = (camera.summary.skipped[reason] ?? 0) + 1;
      done++;
      // One warning per topic and reason; the rest at debug level, counted in the summary.
      const key = `${camera.topic.name}\u0000${reason}`;
      const level = warned.has(key) ? 'debug' : 'warn';
      warned.add(key);
      log[level]({ topic: camera.topic.name, reason, detail }, 'frame skipped');
    };
    const processFrame = async (camera: Camera, held: Held): Promise<void> => {
      const source = `${camera.topic.name} at ${held.logTime}`;
      const t0 = performance.now();
      let frame: ConvertedFrame;
      try {
        frame = imageFrame(held.message, source, limits);
      } catch (error) {
        skip(camera, error instanceof FrameError ? error.code : 'undecodable', errorMessage(error));
        return;
      }
      try {
        const result = await camera.stream.process(frame.mat, frame.colorOrder);
        await camera.output.write(pipeline, result, held.message.header, performance.now() - t0, held.logTime);
        options.onFrame?.({ topic: camera.topic.name, index: camera.summary.frames, header: held.message.header, logTime: held.logTime, result, pipeline });
        camera.summary.frames++;
        camera.summary.faces += result.faces.length;
        done++;
        result.prepared.release();
      } catch (error) {
        skip(camera, 'pipeline_error', errorMessage(error));
      } finally {
        frame.mat.release();
      }
      options.onProgress?.(done, total);
      // Lets signals and stdout through between frames.
      await nextTick();
    };
    const copy = async (message: BagMessage): Promise<void> => {
      const { topic } = message;
      await writer.channel({ topic: topic.name, type: topic.type, serialization: topic.serialization, qos: topic.qos, ...(topic.schema ? { schema: topic.schema } : {}) });
      await writer.write(topic.name, message.logTime, message.publishTime, message.data);
      summary.copiedMessages++;
    };

    let order = 0;
    for await (const message of reader.messages()) {
      if (options.interrupted?.value) break;
      await copy(message);
      const camera = cameras.get(message.topic.name);
      if (!camera) {
        const entry = (summary.notProcessed[message.topic.name] ??= { type: message.topic.type, messages: 0 });
        entry.messages++;
        continue;
      }
      if (message.topic.serialization !== CDR) {
        skip(camera, 'unknown_encoding', `serialization ${JSON.stringify(message.topic.serialization)}, cdr expected`);
        continue;
      }
      let decoded: ImageMessage;
      try {
        decoded = decodeImageMessage(message.topic.type, message.data);
      } catch (error) {
        skip(camera, 'bad_message', `${message.topic.type} does not decode (${errorMessage(error)})`);
        continue;
      }
      const due = camera.order.push({ stampNs: stampNs(decoded.header), order: order++, message: decoded, logTime: message.logTime });
      if (due) await processFrame(camera, due);
    }
    summary.interrupted = options.interrupted?.value ?? false;
    // Also when interrupted: the frames held for stamp order are in the output already, so they are answered too (at most a window a camera).
    for (const camera of cameras.values()) for (const held of camera.order.drain()) await processFrame(camera, held);
  } finally {
    for (const camera of cameras.values()) camera.stream.dispose();
    pipeline.dispose();
  }
  summary.damage = [...reader.damage];
  summary.wallMs = performance.now() - started;
  return summary;
}
