/**
 * The emotion head's classes as hri_msgs/Expression (REP-155 `/humans/faces/<id>/expression`):
 * the expression constant and a valence / arousal estimate. Pure tables; no ROS.
 */
import type { Classification } from '../models/classifier.js';

/** hri_msgs/Expression string constants (humble-devel) for the seven FER-2013 / KDEF classes. */
export const EXPRESSION_OF_CLASS: Readonly<Record<string, string>> = {
  angry: 'angry', // Expression.ANGRY
  disgust: 'disgusted', // Expression.DISGUSTED
  fear: 'scared', // Expression.SCARED
  happy: 'happy', // Expression.HAPPY
  sad: 'sad', // Expression.SAD
  surprise: 'surprised', // Expression.SURPRISED
  neutral: 'neutral', // Expression.NEUTRAL
};

/**
 * Where each class sits on Russell's circumplex of affect (J. A. Russell, "A circumplex model of
 * affect", J. Pers. Soc. Psychol. 39(6), 1980): the angle of the closest of his 28 affect words in
 * his scaling solution (approximate, as usually reproduced), counter-clockwise from "pleasure"
 * (valence +1, arousal 0), on the unit circle, so
 * valence = cos(angle), arousal = sin(angle). happy: "happy" (7.8°); surprise: "astonished"
 * (69.8°); angry: "angry" (99.0°); fear: "afraid" (116.8°); sad: "sad" (207.5°). Disgust is not
 * among Russell's words: it is placed at 135°, between "annoyed" and "distressed" (unpleasant,
 * moderately aroused), which is our assumption. Neutral is the centre. These are the usual
 * positions of prototypical expressions, a convention, not something the model measures.
 */
export const CIRCUMPLEX_DEGREES: Readonly<Record<string, number | null>> = {
  angry: 99.0,
  disgust: 135.0,
  fear: 116.8,
  happy: 7.8,
  sad: 207.5,
  surprise: 69.8,
  neutral: null,
};

export interface ValenceArousal {
  valence: number;
  arousal: number;
}

/** A class's circumplex position, or undefined for a class the table does not know. */
export function classPosition(label: string): ValenceArousal | undefined {
  if (!Object.prototype.hasOwnProperty.call(CIRCUMPLEX_DEGREES, label)) return undefined;
  const degrees = CIRCUMPLEX_DEGREES[label];
  if (degrees === null || degrees === undefined) return { valence: 0, arousal: 0 };
  const radians = (degrees * Math.PI) / 180;
  return { valence: Math.cos(radians), arousal: Math.sin(radians) };
}

export interface ExpressionFields extends ValenceArousal {
  expression: string;
  confidence: number;
}

/**
 * The head's answer as Expression fields: the top class as its constant (a class outside the table
 * keeps its own name), its score as the confidence, and valence / arousal as the score-weighted mean
 * of the classes' positions, so that an uncertain face lands between its candidate expressions
 * rather than jumping to a corner of the circle. Classes the table does not know count as centre.
 */
export function expressionFields(answer: Classification, labels: readonly string[]): ExpressionFields {
  let valence = 0;
  let arousal = 0;
  answer.scores.forEach((score, i) => {
    const position = classPosition(labels[i] ?? '');
    if (!position) return;
    valence += score * position.valence;
    arousal += score * position.arousal;
  });
  return {
    expression: EXPRESSION_OF_CLASS[answer.label] ?? answer.label,
    valence: clamp(valence, -1, 1),
    arousal: clamp(arousal, -1, 1),
    confidence: clamp(answer.confidence, 0, 1),
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
