import type { FaceResult, FrameResult } from '../../pipeline/pipeline.js';
import { roundTimings } from '../../pipeline/pipeline.js';
import type { FacePipeline } from '../../pipeline/pipeline.js';
import type { Classification } from '../../models/classifier.js';

function head(labels: string[], answer: Classification | undefined): unknown {
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
    faces: result.faces.map((f: FaceResult) => ({
      id: f.id,
      box: f.box,
      score: round(f.score),
      emotion: head(pipeline.heads.emotion?.labels ?? [], f.emotion),
      gender: head(pipeline.heads.gender?.labels ?? [], f.gender),
    })),
    timings: roundTimings(result.timings),
  };
}
