import type { CliContext, Command } from '../command.js';
import { UsageError } from '../command.js';
import { PIPELINE_HELP, PIPELINE_OPTIONS, configFromFlags, expandImageInputs, imageOptions } from '../common.js';
import { OutputNames, ensureFolder } from '../output_paths.js';
import type { ReadImageOptions } from '../../vision/image.js';
import type { Config } from '../../config/schema.js';
import { initBackend, type BackendChoice } from '../../backend.js';
import { ClassifierHead, headLoadOptions, type HeadTask } from '../../models/classifier.js';
import { FacePipeline } from '../../pipeline/pipeline.js';
import type { Box } from '../../vision/crop.js';
import { readColor, readGray, writeImage } from '../../vision/image.js';
import { cv, type Mat } from '../../vision/opencv.js';
import { faceInput } from '../../vision/preprocess.js';
import { explainFaces, type ExplainOptions } from '../../explain/explainer.js';
import { enlarge, overlayImage, renderExplanationFrame, saliencyImage } from '../../explain/render.js';
import { targetChooser } from '../../explain/target.js';
import { timeExplanations } from '../../explain/timing.js';
import { EXPLAIN_METHODS, ExplanationError, type ExplainMethod, type Explanation } from '../../explain/types.js';

/** Face images are 48-64 px; written 4x larger (nearest neighbour) so they can be looked at. */
const FACE_IMAGE_ZOOM = 4;
/** Faces kept for --timing: enough to fill its batch of 8 without repeating one face. */
const TIMING_POOL = 8;

interface Face {
  id: number;
  /** The detected face (the whole image with --crops). */
  box: Box;
  /** The frame region the head's input was cropped from: where the map belongs. */
  region: Box;
  input: Float32Array;
}

interface Settings {
  method: ExplainMethod;
  task: HeadTask;
  explain: ExplainOptions;
  /** Output names of this run (--out). */
  names: OutputNames | undefined;
  json: boolean;
  decode: ReadImageOptions;
}

function choice<T extends string>(flag: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

const round = (v: number): number => Math.round(v * 1e6) / 1e6;

/** 8 significant digits: below float32 resolution, a third of the length of a double's digits. */
function compact(map: Float32Array): number[] {
  return Array.from(map, (v) => Number(v.toPrecision(8)));
}

function facesOfCrop(file: string, head: ClassifierHead, decode: ReadImageOptions): { faces: Face[]; frame: undefined } {
  const gray = readGray(file, decode);
  const box = { x: 0, y: 0, width: gray.cols, height: gray.rows };
  return { faces: [{ id: 0, box, region: box, input: faceInput(gray, head.inputHeight, head.inputWidth, head.scaling) }], frame: undefined };
}

function facesOfPhoto(file: string, pipeline: FacePipeline, head: ClassifierHead, decode: ReadImageOptions): { faces: Face[]; frame: Mat } {
  const frame = readColor(file, decode);
  const gray = frame.cvtColor(cv.COLOR_BGR2GRAY);
  const { boxes } = pipeline.detect(gray, frame);
  const crops = pipeline.crops(gray, boxes, head.task);
  const faces = boxes.map((b, id) => ({ id, box: { x: b.x, y: b.y, width: b.width, height: b.height }, ...crops[id]! }));
  return { faces, frame };
}

/** Write a face's saliency and overlay images; returns their paths. */
function writeFaceImages(stem: string, face: Face, explanation: Explanation, head: ClassifierHead): Record<string, string> {
  const base = `${stem}.face${face.id}.${explanation.method}`;
  const files = { saliency: `${base}.saliency.png`, overlay: `${base}.overlay.png` };
  writeImage(files.saliency, enlarge(saliencyImage(explanation), FACE_IMAGE_ZOOM));
  writeImage(files.overlay, enlarge(overlayImage(explanation, face.input, head.scaling), FACE_IMAGE_ZOOM));
  return files;
}

function explainFile(file: string, relative: string, faces: Face[], frame: Mat | undefined, head: ClassifierHead, settings: Settings, context: CliContext): void {
  const explanations = explainFaces(head, faces.map((f) => f.input), settings.explain);
  // The output path without extension, unique in this run (a/face.jpg and b/face.jpg differ).
  const stem = settings.names?.base(relative);
  explanations.forEach((explanation, i) => {
    const face = faces[i]!;
    const line: Record<string, unknown> = {
      file, face: face.id, box: face.box, region: face.region, method: explanation.method, rule: explanation.rule, head: head.task,
      target: explanation.targetLabel, targetIndex: explanation.targetIndex, score: explanation.score, probability: round(explanation.probability),
    };
    if (stem) line['images'] = writeFaceImages(stem, face, explanation, head);
    if (settings.json) Object.assign(line, { width: explanation.width, height: explanation.height, map: compact(explanation.map) });
    context.emit(line);
  });
  if (frame && stem) {
    // The number is the class's probability, as `detect` shows it ("p="; the JSON has the logit as score).
    const pasted = faces.map((face, i) => ({ ...explanations[i]!, box: face.region, label: `${explanations[i]!.targetLabel} p=${explanations[i]!.probability.toFixed(2)}` }));
    const target = `${stem}.${settings.method}.png`;
    writeImage(target, renderExplanationFrame(frame, pasted));
    context.log.info({ file, faces: faces.length, image: target }, 'explanation frame written');
  }
  if (frame && faces.length === 0) context.log.warn({ file }, 'no face found');
}

/**
 * The head to explain: --head, else setting explain.head; a disabled head (--no-emotion) is refused
 * when asked for by --head, and otherwise gives way to the other one.
 */
function explainedHead(flag: unknown, config: Config): HeadTask {
  const heads = ['emotion', 'gender'] as const;
  const enabled = heads.filter((t) => config[`${t}.enabled`]);
  if (enabled.length === 0) throw new UsageError('both heads are disabled; nothing to explain');
  if (flag !== undefined) {
    const task = choice('head', flag, heads);
    if (!enabled.includes(task)) throw new UsageError(`--head ${task}: the ${task} head is disabled (--no-${task} or ${task}.enabled: false)`);
    return task;
  }
  const preferred = choice('head', config['explain.head'], heads);
  return enabled.includes(preferred) ? preferred : enabled[0]!;
}

export const explainCommand: Command = {
  name: 'explain',
  summary: 'show which pixels drive a head\'s answer: guided backpropagation, Grad-CAM, guided Grad-CAM',
  usage: '[options] IMAGE|FOLDER... [--method gbp|gradcam|guided-gradcam] [--head emotion|gender] [--class NAME|top] [--out DIR] [--json] [--crops] [--timing]',
  details: [
    'Finds the faces of each photo (or, with --crops, takes each image as one face crop) and explains the',
    'head\'s class for each: the gradient of its pre-softmax score with respect to the preprocessed input.',
    'Prints one JSON line per face: {file, face, box, region, method, rule, head, target, targetIndex, score (the',
    'target\'s pre-softmax logit), probability (its softmax probability)}; the frame image labels show the probability as p=.',
    'with --json also {width, height, map}: the raw map, row-major, at the model\'s input size.',
    'With --out DIR writes per face <name>.face<i>.<method>.saliency.png and .overlay.png (4x enlarged) and',
    'per photo <name>.<method>.png, the photo with each map pasted into the region its face was cropped from.',
    '--timing prints warm per-face times for batches of 1 and 8 faces (from the faces found) as a last JSON line.',
  ].join('\n'),
  options: {
    ...PIPELINE_OPTIONS,
    'method': { type: 'string' },
    'head': { type: 'string' },
    'class': { type: 'string' },
    'plain': { type: 'boolean' },
    'out': { type: 'string', short: 'o' },
    'json': { type: 'boolean' },
    'crops': { type: 'boolean' },
    'timing': { type: 'boolean' },
  },
  help: {
    ...PIPELINE_HELP,
    'method': 'gbp (guided backpropagation) | gradcam | guided-gradcam (default: setting explain.method, gbp)',
    'head': 'emotion | gender (default: setting explain.head, emotion; the other one when that head is disabled)',
    'class': 'class to explain: top (the predicted one, default) or a label in any case, e.g. happy',
    'plain': 'plain ReLU backward rule: the true gradient instead of guided backpropagation',
    'out': 'folder for saliency, overlay and frame images',
    'json': 'add the raw map to each JSON line',
    'crops': 'each image is an already-cropped face (no detection)',
    'timing': 'measure warm explanation time per face for 1 and 8 faces',
  },
  interruptible: true,
  async run(values, positionals, context) {
    const config = configFromFlags(values);
    const method = choice('method', values['method'] ?? config['explain.method'], EXPLAIN_METHODS);
    const task = explainedHead(values['head'], config);
    const outDir = values['out'] as string | undefined;
    if (outDir) ensureFolder('out', outDir);
    const files = expandImageInputs(positionals, (error) => context.reportError(error));
    if (files.length === 0) return 1;
    const settings: Settings = {
      method, task, names: outDir ? new OutputNames(outDir) : undefined, json: values['json'] === true, decode: imageOptions(config),
      explain: { method, target: (values['class'] as string | undefined) ?? 'top', rule: values['plain'] ? 'plain' : 'guided' },
    };
    let pipeline: FacePipeline | undefined;
    let head: ClassifierHead;
    if (values['crops']) {
      await initBackend(config['backend'] as BackendChoice, context.log);
      head = await ClassifierHead.load(task, config[`${task}.model`], headLoadOptions(config, context.log));
    } else {
      pipeline = await FacePipeline.create(config, { log: context.log, uses: ['photo'] });
      head = pipeline.heads[task]!;
    }
    try {
      try {
        targetChooser(settings.explain.target, head.labels);
      } catch (error) {
        if (error instanceof ExplanationError) throw new UsageError(`--class: ${error.message}`);
        throw error;
      }
      const pool: Float32Array[] = [];
      for (const { file, relative } of files) {
        if (await context.shouldStop()) break;
        try {
          const { faces, frame } = pipeline ? facesOfPhoto(file, pipeline, head, settings.decode) : facesOfCrop(file, head, settings.decode);
          explainFile(file, relative, faces, frame, head, settings, context);
          for (const face of faces) if (pool.length < TIMING_POOL) pool.push(face.input);
        } catch (error) {
          context.reportError(error);
        }
      }
      if (values['timing']) {
        if (pool.length === 0) throw new ExplanationError('--timing needs at least one face in the inputs');
        const timings = timeExplanations(head, pool, [1, 8], settings.explain);
        for (const t of timings) context.log.info(t, 'explanation timing');
        context.emit({ timing: timings.map((t) => ({ ...t, batchMs: Math.round(t.batchMs * 10) / 10, perFaceMs: Math.round(t.perFaceMs * 10) / 10 })), head: task, rule: settings.explain.rule });
      }
    } finally {
      if (pipeline) pipeline.dispose();
      else head.dispose();
    }
    return 0;
  },
};
