import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { PIPELINE_HELP, PIPELINE_OPTIONS, configFromFlags } from '../common.js';
import { FacePipeline, type StageTimings } from '../../pipeline/pipeline.js';
import { readColor } from '../../vision/image.js';
import { cv, type Mat } from '../../vision/opencv.js';
import { sharedDir } from '../../paths.js';
import { ImageError } from '../../errors.js';
import { timeExplanations } from '../../explain/timing.js';

export interface Summary {
  median: number;
  p95: number;
  mean: number;
}

const round2 = (v: number): number => Math.round(v * 100) / 100;

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const round = (v: number): number => Math.round(v * 100) / 100;
  return { median: round(at(0.5)), p95: round(at(0.95)), mean: round(values.reduce((a, b) => a + b, 0) / values.length) };
}

/** A VGA frame (the paper's webcam size) with the test photo centred in it. */
function vgaFrame(file: string): Mat {
  const photo = readColor(file);
  const scale = Math.min(640 / photo.cols, 480 / photo.rows);
  const fitted = photo.resize(Math.round(photo.rows * scale), Math.round(photo.cols * scale));
  const canvas = new cv.Mat(480, 640, cv.CV_8UC3, [0, 0, 0]);
  fitted.copyTo(canvas.getRegion(new cv.Rect(Math.floor((640 - fitted.cols) / 2), Math.floor((480 - fitted.rows) / 2), fitted.cols, fitted.rows)));
  return canvas;
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure per-stage latency, head throughput and memory on this machine',
  usage: '[IMAGE] [--frames N] [options]',
  details: 'Runs the pipeline on a 640x480 frame (default: the astronaut test photo) and each head on batches of 1 and 8.\nPrints one JSON report; the paper ran ~50 ms per frame on a laptop CPU.',
  options: { ...PIPELINE_OPTIONS, frames: { type: 'string' } },
  help: { ...PIPELINE_HELP, frames: 'frames to time after 5 warm-up frames (default 100)' },
  async run(values, positionals, context) {
    const frames = Number(values['frames'] ?? 100);
    if (!Number.isInteger(frames) || frames < 1) throw new UsageError('--frames must be a positive integer');
    const shared = sharedDir();
    const image = positionals[0] ?? (shared ? path.join(shared, 'testdata', 'photos', 'skimage_astronaut.png') : undefined);
    if (!image) throw new ImageError('(none)', 'give an IMAGE to benchmark on (the default test photo lives in ../shared)');
    const config = configFromFlags(values);
    const pipeline = await FacePipeline.create(config, { log: context.log });
    const frame = vgaFrame(image);
    for (let i = 0; i < 5; i++) pipeline.process(frame);
    const tensorsBefore = tf.memory().numTensors;
    const rssBefore = process.memoryUsage().rss;
    const stages: Record<keyof StageTimings, number[]> = { detectMs: [], cropMs: [], emotionMs: [], genderMs: [], headsMs: [], totalMs: [] };
    let faces = 0;
    for (let i = 0; i < frames; i++) {
      const result = pipeline.process(frame);
      faces = result.faces.length;
      for (const key of Object.keys(stages) as (keyof StageTimings)[]) stages[key].push(result.timings[key]);
    }
    const heads: Record<string, Record<string, Summary & { perFaceMs: number }>> = {};
    for (const [task, head] of Object.entries(pipeline.heads)) {
      heads[task] = {};
      const face = new Float32Array(head.inputHeight * head.inputWidth).fill(0.1);
      for (const batch of [1, 8]) {
        const inputs = Array.from({ length: batch }, () => face);
        head.predict(inputs);
        const times: number[] = [];
        for (let i = 0; i < 50; i++) {
          const t = performance.now();
          head.predict(inputs);
          times.push(performance.now() - t);
        }
        const s = summarize(times);
        heads[task]![`batch${batch}`] = { ...s, perFaceMs: Math.round((s.median / batch) * 100) / 100 };
      }
    }
    // Guided backpropagation on the real face of the frame, the cost of the ROS gbp_image topic.
    const explain: Record<string, unknown> = {};
    const emotionHead = pipeline.heads.emotion;
    const gray = frame.cvtColor(cv.COLOR_BGR2GRAY);
    const { boxes } = pipeline.detect(gray, frame);
    if (emotionHead && boxes.length > 0) {
      const face = pipeline.crops(gray, boxes.slice(0, 1), 'emotion').map((crop) => crop.input);
      for (const method of ['gbp', 'gradcam'] as const) {
        const [one, eight] = timeExplanations(emotionHead, face, [1, 8], { method });
        explain[method] = { batch1Ms: round2(one!.perFaceMs), batch8PerFaceMs: round2(eight!.perFaceMs) };
      }
    }
    const report = {
      backend: pipeline.backend,
      detector: config['detector.type'],
      image: path.basename(image),
      frame: '640x480',
      faces,
      frames,
      stagesMs: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k.replace(/Ms$/, ''), summarize(v)])),
      fps: Math.round((1000 / summarize(stages.totalMs).median) * 10) / 10,
      heads,
      explain,
      memory: {
        rssMB: Math.round(process.memoryUsage().rss / 1e6),
        rssGrowthMB: Math.round((process.memoryUsage().rss - rssBefore) / 1e6),
        tensorsBefore,
        tensorsAfter: tf.memory().numTensors,
      },
    };
    context.emit(report);
    pipeline.dispose();
    return 0;
  },
};
