import type { Classification, ClassifierHead, HeadTask, LoadedModel } from '../classifier.js';

/**
 * What runs the classifier heads' forward pass. Every engine takes the same preprocessed faces and
 * returns the same Classification objects; the heads' TF.js networks stay loaded whichever engine
 * runs, because explanations (GBP, Grad-CAM) need their gradients.
 */
export const ENGINE_CHOICES = ['auto', 'onnxruntime', 'tfjs'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];
/** Engines of the library; scripts/bench_heads.ts also times OpenCV dnn behind the same interface. */
export type EngineName = Exclude<EngineChoice, 'auto'> | 'opencv';

/** Preprocessed faces per head (each head's inputHeight*inputWidth floats a face). */
export type HeadInputs = Partial<Record<HeadTask, readonly Float32Array[]>>;
/** One answer per input face, per head asked. */
export type HeadOutputs = Partial<Record<HeadTask, Classification[]>>;

export interface HeadsEngine {
  readonly name: EngineName;
  /** One short name for reports, e.g. tfjs-wasm, onnxruntime-1.30.0-cpu-1t. */
  readonly label: string;
  /** What logs and diagnostics show: runtime version, threads, provider... */
  readonly details: Readonly<Record<string, string | number | boolean>>;
  /**
   * True when one call runs every head asked (so per-head times cannot be told apart): onnxruntime
   * always, TF.js when both heads are one dual model's.
   */
  readonly combined: boolean;
  /** Native inference calls so far (one per batch, or per batch of both heads when combined or one network answers both). */
  readonly calls: number;
  /**
   * Classify the faces of each head given; heads left out (or with no faces) are not run. Faces are
   * sent in batches of at most the heads' batchSize. Synchronous: it blocks the event loop for the
   * forward pass, as TF.js's dataSync does.
   */
  classify(inputs: HeadInputs): HeadOutputs;
  /** Release native sessions; the heads themselves (and their TF.js networks) stay with their owner. */
  dispose(): void;
}

/** The loaded heads an engine serves. */
export type Heads = Partial<Record<HeadTask, ClassifierHead>>;

export function headsOf(heads: Heads): [HeadTask, ClassifierHead][] {
  return (['emotion', 'gender'] as const).flatMap((task) => (heads[task] ? [[task, heads[task]] as [HeadTask, ClassifierHead]] : []));
}

/** Split each head's faces into batches of at most `batchSize`; batch k of every head goes into call k. */
export function batchesOf(inputs: HeadInputs, heads: Heads): { task: HeadTask; faces: readonly Float32Array[] }[][] {
  const calls: { task: HeadTask; faces: readonly Float32Array[] }[][] = [];
  for (const [task, head] of headsOf(heads)) {
    const faces = inputs[task];
    if (!faces || faces.length === 0) continue;
    for (let start = 0, k = 0; start < faces.length; start += head.batchSize, k++) {
      (calls[k] ??= []).push({ task, faces: faces.slice(start, start + head.batchSize) });
    }
  }
  return calls;
}

/** Throws for an input of a head the engine was not given. */
export function checkTasks(inputs: HeadInputs, heads: Heads, engine: EngineName): void {
  for (const task of Object.keys(inputs) as HeadTask[]) {
    if (!heads[task] && (inputs[task]?.length ?? 0) > 0) throw new Error(`${engine} engine: no ${task} head loaded`);
  }
}

/** The model both heads read when they are one dual model's (loaded once, one network), else undefined. */
export function sharedModel(heads: Heads): LoadedModel | undefined {
  const { emotion, gender } = heads;
  return emotion && gender && emotion.model === gender.model ? emotion.model : undefined;
}

/**
 * True when both lists hold the very same face inputs (the pipeline gives a shared network's heads
 * one list of crops): then one pass of the shared network answers both. Equal values in other
 * arrays are not looked for; such faces take one pass per head, which is still right.
 */
export function sameFaces(a: readonly Float32Array[] | undefined, b: readonly Float32Array[] | undefined): boolean {
  if (!a || !b) return false;
  return a === b || (a.length === b.length && a.every((face, i) => face === b[i]));
}
