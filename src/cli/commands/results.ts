import type { FaceResult, FrameResult } from '../../pipeline/pipeline.js';
import { roundTimings } from '../../pipeline/pipeline.js';
import type { FacePipeline } from '../../pipeline/pipeline.js';
import type { Classification } from '../../models/classifier.js';

export interface ClassificationJson {
  label: string;
  confidence: number;
  scores: Record<string, number>;
}

/** One head's answer as JSON: label, confidence and every class's score by name (6 decimals). */
export function classificationJson(labels: readonly string[], answer: Classification): ClassificationJson;
export function classificationJson(labels: readonly string[], answer: Classification | undefined): ClassificationJson | undefined;
export function classificationJson(labels: readonly string[], answer: Classification | undefined): ClassificationJson | undefined {
  if (!answer) return undefined;
  return { label: answer.label, confidence: round(answer.confidence), scores: Object.fromEntries(labels.map((l, i) => [l, round(answer.scores[i]!)])) };
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** The JSON form of a frame's result, shared by `detect` and `video`. */
export function frameJson(pipeline: FacePipeline, result: FrameResult): Record<string, unknown> {
  return {
    width: result.width,
    height: result.height,
    detectionScale: round(result.detectionScale),
    faces: result.faces.map((f: FaceResult) => {
      const emotionLabels = pipeline.heads.emotion?.labels ?? [];
      const genderLabels = pipeline.heads.gender?.labels ?? [];
      const smoothed = f.emotion !== f.raw.emotion || f.gender !== f.raw.gender;
      return {
        id: f.id,
        track_id: f.trackId,
        confirmed: f.confirmed,
        box: f.box,
        score: round(f.score),
        ...(f.carried ? { carried: true } : {}),
        emotion: classificationJson(emotionLabels, f.emotion),
        gender: classificationJson(genderLabels, f.gender),
        // In a stream with smoothing on, emotion and gender are the track's smoothed answers; these are the frame's own.
        ...(smoothed ? { raw: { emotion: classificationJson(emotionLabels, f.raw.emotion), gender: classificationJson(genderLabels, f.raw.gender) } } : {}),
      };
    }),
    timings: roundTimings(result.timings),
  };
}
