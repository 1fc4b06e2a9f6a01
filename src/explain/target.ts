import { ExplanationError, type TargetSpec } from './types.js';

/** Picks the class to explain for one face from its pre-softmax scores. */
export type TargetChooser = (logits: Float32Array, face: number) => number;

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * Resolve a target spec against a head's labels once, before any network runs, so a bad class name
 * fails before work is done. 'top' (or nothing) explains each face's predicted class.
 */
export function targetChooser(spec: TargetSpec | undefined, labels: readonly string[]): TargetChooser {
  if (spec === undefined || spec === 'top') return (logits) => argmax(logits);
  let index: number;
  if (typeof spec === 'number') index = spec;
  else if (/^\d+$/.test(spec)) index = Number(spec);
  // Class names are matched whatever their case (--class Happy).
  else index = labels.findIndex((label) => label.toLowerCase() === spec.toLowerCase());
  if (!Number.isInteger(index) || index < 0 || index >= labels.length) {
    throw new ExplanationError(`class ${JSON.stringify(spec)} is not one of this model's classes: top, ${labels.join(', ')} (or an index 0-${labels.length - 1})`);
  }
  return () => index;
}

/** The same targets again, e.g. for the Grad-CAM half of guided Grad-CAM. */
export function fixedTargets(targets: readonly number[]): TargetChooser {
  return (_logits, face) => targets[face]!;
}

export interface SelectedTargets {
  targets: number[];
  /** Each face's target pre-softmax score. */
  scores: number[];
  /** Each face's target softmax probability (what `detect` reports as confidence for the top class). */
  probabilities: number[];
  /** [faces, classes] one-hot mask of the targets: sum(logits * mask) is the scalar to differentiate. */
  mask: Float32Array;
}

/**
 * Choose every face's target from a batch's logits ([faces, classes], row-major). Since faces do not
 * interact, the gradient of the summed target scores gives each face its own gradient in one pass.
 */
export function selectTargets(logits: Float32Array, faces: number, classes: number, choose: TargetChooser): SelectedTargets {
  const targets: number[] = [];
  const scores: number[] = [];
  const probabilities: number[] = [];
  const mask = new Float32Array(faces * classes);
  for (let i = 0; i < faces; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    const target = choose(row, i);
    targets.push(target);
    scores.push(row[target]!);
    const top = Math.max(...row);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - top);
    probabilities.push(Math.exp(row[target]! - top) / sum);
    mask[i * classes + target] = 1;
  }
  return { targets, scores, probabilities, mask };
}
