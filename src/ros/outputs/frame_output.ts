/**
 * What the node's optional standard outputs (vision_msgs, REP-155) have in common: each takes every
 * processed frame's result with the input image's header, and is told when tracks end without a
 * frame saying so (the node stops, the stream is reset). The node hooks them in with these calls.
 */
import type { FrameResult } from '../../pipeline/pipeline.js';
import type { HeaderMsg } from '../../messages/face_classification.js';
import type { RclPublisher, RclQoS } from '../runtime/rclnodejs_api.js';

export interface FrameOutput {
  /** Publish one processed frame (its faces, tracks confirmed and dropped in it). */
  publish(result: FrameResult, header: HeaderMsg | undefined): void;
  /** Every track ended (the node deactivates, the stream restarts): forget per-face state. */
  reset(): void;
  /** Destroy the publishers (node cleanup). */
  destroy(): void;
}

/** How an output gets its publishers: plain or lifecycle ones, with a QoS or the default. */
export interface PublisherFactory {
  create(type: string, topic: string, qos?: RclQoS): RclPublisher;
  destroy(publisher: RclPublisher): void;
}

/** Several outputs driven as one. */
export class FrameOutputs implements FrameOutput {
  constructor(readonly outputs: readonly FrameOutput[]) {}

  /** Every output gets the frame even when one fails; the first failure is thrown after. */
  publish(result: FrameResult, header: HeaderMsg | undefined): void {
    let failure: unknown;
    for (const output of this.outputs) {
      try {
        output.publish(result, header);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  reset(): void {
    for (const output of this.outputs) output.reset();
  }

  destroy(): void {
    for (const output of this.outputs) output.destroy();
  }
}
