import type { Classification } from '../models/classifier.js';

/**
 * Per-face smoothing of a head's answers over the frames of one track. The paper's demo took the
 * mode of the last 10 labels, but over one window shared by every face, which mixes people; here
 * each track has its own.
 * - `ema`: exponential moving average of the class scores, s = alpha * new + (1 - alpha) * s.
 * - `mode`: the most frequent label of the last `window` frames (ties: the most recent of them);
 *   scores are the window's mean.
 * - `none`: this frame's answer.
 */
export type SmoothingMethod = 'none' | 'ema' | 'mode';

export interface SmoothingOptions {
  method: SmoothingMethod;
  alpha: number;
  window: number;
}

export class ScoreSmoother {
  private ema: number[] | undefined;
  private history: number[][] = [];

  constructor(private readonly labels: readonly string[]) {}

  /** Add this frame's answer and return the smoothed one. */
  add(raw: Classification, options: SmoothingOptions): Classification {
    const window = Math.max(1, options.window);
    this.history.push(raw.scores);
    if (this.history.length > window) this.history.splice(0, this.history.length - window);
    this.ema = this.ema && this.ema.length === raw.scores.length ? this.ema.map((s, i) => options.alpha * raw.scores[i]! + (1 - options.alpha) * s) : [...raw.scores];
    if (options.method === 'none') return raw;
    if (options.method === 'ema') return this.answer(this.ema, argmax(this.ema));
    const mean = raw.scores.map((_, c) => this.history.reduce((sum, s) => sum + s[c]!, 0) / this.history.length);
    return this.answer(mean, modeOfArgmax(this.history));
  }

  private answer(scores: number[], best: number): Classification {
    return { label: this.labels[best] ?? `class_${best}`, confidence: scores[best]!, scores };
  }
}

export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** The most frequent argmax of a window of score vectors; a tie goes to the label seen last. */
function modeOfArgmax(history: readonly number[][]): number {
  const counts = new Map<number, number>();
  const lastSeen = new Map<number, number>();
  history.forEach((scores, i) => {
    const c = argmax(scores);
    counts.set(c, (counts.get(c) ?? 0) + 1);
    lastSeen.set(c, i);
  });
  let best = -1;
  for (const [c, n] of counts) {
    if (best < 0 || n > counts.get(best)! || (n === counts.get(best)! && lastSeen.get(c)! > lastSeen.get(best)!)) best = c;
  }
  return best;
}
