/**
 * ~/gbp_image: the frame with each face's explanation map (guided backpropagation by default, the
 * method of parameter explain.method, for the head of explain.head) pasted into the region the head
 * saw. Costly (a backward pass per frame), so it runs only when enabled and at most max_rate times a
 * second. The explanation itself is src/explain's; this file only picks the frames and feeds it.
 */
import type { Mat } from '../../vision/opencv.js';
import type { FacePipeline, FrameResult } from '../../pipeline/pipeline.js';
import { explainFaces } from '../../explain/explainer.js';
import { renderExplanationFrame, type FrameMap } from '../../explain/render.js';
import type { ExplainMethod } from '../../explain/types.js';
import type { HeadTask } from '../../models/classifier.js';

export interface GbpSettings {
  enabled: boolean;
  /** Messages per second at most. */
  maxRate: number;
  method: ExplainMethod;
  head: HeadTask;
}

/** Decides when the next explanation image is due: at most `maxRate` per second. */
export class RateGate {
  private last = -Infinity;

  due(nowMs: number, maxRate: number): boolean {
    if (maxRate <= 0) return false;
    if (nowMs - this.last < 1000 / maxRate) return false;
    this.last = nowMs;
    return true;
  }
}

/**
 * The explanation frame of one processed frame, or undefined when the head is missing. `frameBgr` is
 * the frame in 8-bit BGR; the faces' boxes are those of `result`.
 */
export function explanationFrame(pipeline: FacePipeline, frameBgr: Mat, result: FrameResult, settings: Pick<GbpSettings, 'method' | 'head'>): Mat | undefined {
  const head = pipeline.heads[settings.head];
  if (!head) return undefined;
  if (result.faces.length === 0) return frameBgr;
  // The gray frame the pipeline classified, not a second conversion of the BGR one.
  const crops = pipeline.crops(result.prepared.gray, result.faces.map((face) => face.box), settings.head, pipeline.videoDetector);
  const explanations = explainFaces(head, crops.map((crop) => crop.input), { method: settings.method });
  const maps: FrameMap[] = explanations.map((explanation, i) => ({
    ...explanation,
    box: crops[i]!.region,
    label: `${explanation.targetLabel} (${explanation.method})`,
  }));
  return renderExplanationFrame(frameBgr, maps);
}
