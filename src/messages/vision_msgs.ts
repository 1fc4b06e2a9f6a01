/**
 * The vision_msgs output: `~/detections` (vision_msgs/Detection2DArray) with one Detection2D per
 * confirmed face and the emotion classes as its hypotheses, and `~/detections/gender`, the same
 * detections with the gender classes.
 *
 * Gender is a second topic, not more hypotheses in the same `results`: Detection2D.results holds
 * the class probabilities of one classification, and consumers read it so (the best hypothesis is
 * the highest score, scores sum to 1). Seven emotions and two genders in one array would break
 * both, and a class-id prefix ("gender/woman") would be a private convention nobody else reads.
 * Two topics keep each a proper distribution; both carry the image's header and the same ids and
 * boxes, so they pair up by stamp (message_filters) and id. Only confirmed tracks are published, as
 * on the REP-155 topics: a face seen for fewer than tracking.confirm_frames frames may be noise.
 */
import type { FaceResult, FrameResult } from '../pipeline/pipeline.js';
import type { HeadTask } from '../models/classifier.js';
import { copyHeader, type HeaderMsg } from './face_classification.js';
import type { RclPublisher } from '../ros/runtime/rclnodejs_api.js';
import type { FrameOutput, PublisherFactory } from '../ros/outputs/frame_output.js';

export const DETECTION_ARRAY_TYPE = 'vision_msgs/msg/Detection2DArray';
export const DETECTIONS_TOPIC = '~/detections';
export const GENDER_DETECTIONS_TOPIC = '~/detections/gender';

/** vision_msgs/ObjectHypothesisWithPose (4.x): a class and its score; the pose is not estimated. */
export interface ObjectHypothesisWithPoseMsg {
  hypothesis: { class_id: string; score: number };
  pose: {
    pose: { position: { x: number; y: number; z: number }; orientation: { x: number; y: number; z: number; w: number } };
    covariance: number[];
  };
}

/** vision_msgs/BoundingBox2D: centre and size in pixels of the image. */
export interface BoundingBox2DMsg {
  center: { position: { x: number; y: number }; theta: number };
  size_x: number;
  size_y: number;
}

export interface Detection2DMsg {
  header: HeaderMsg;
  results: ObjectHypothesisWithPoseMsg[];
  bbox: BoundingBox2DMsg;
  id: string;
}

export interface Detection2DArrayMsg {
  header: HeaderMsg;
  detections: Detection2DMsg[];
}

/** The zero pose with identity orientation and zero covariance: these detections have no pose. */
function noPose(): ObjectHypothesisWithPoseMsg['pose'] {
  return { pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } }, covariance: new Array<number>(36).fill(0) };
}

/** The head's scores as hypotheses, best first (ties in class order), named by the head's labels. */
export function hypotheses(face: FaceResult, task: HeadTask, labels: readonly string[]): ObjectHypothesisWithPoseMsg[] {
  const answer = face[task];
  if (!answer) return [];
  return answer.scores
    .map((score, i) => ({ score, i }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map(({ score, i }) => ({ hypothesis: { class_id: labels[i] ?? String(i), score }, pose: noPose() }));
}

/** One frame as a Detection2DArray for one head: every confirmed face, `id` = its track id. */
export function detectionArray(result: FrameResult, header: HeaderMsg | undefined, task: HeadTask, labels: readonly string[]): Detection2DArrayMsg {
  return {
    header: copyHeader(header),
    detections: result.faces
      .filter((face) => face.confirmed)
      .map((face) => ({
        header: copyHeader(header),
        results: hypotheses(face, task, labels),
        bbox: {
          center: { position: { x: face.box.x + face.box.width / 2, y: face.box.y + face.box.height / 2 }, theta: 0 },
          size_x: face.box.width,
          size_y: face.box.height,
        },
        id: String(face.trackId),
      })),
  };
}

/** Publishes both topics for every frame (an empty array when no face is confirmed). */
export class VisionMsgsOutput implements FrameOutput {
  private readonly emotion: RclPublisher;
  private readonly gender: RclPublisher;

  constructor(
    private readonly factory: PublisherFactory,
    private readonly labels: () => Partial<Record<HeadTask, readonly string[]>>,
  ) {
    this.emotion = factory.create(DETECTION_ARRAY_TYPE, DETECTIONS_TOPIC);
    try {
      this.gender = factory.create(DETECTION_ARRAY_TYPE, GENDER_DETECTIONS_TOPIC);
    } catch (error) {
      factory.destroy(this.emotion);
      throw error;
    }
  }

  publish(result: FrameResult, header: HeaderMsg | undefined): void {
    // Volatile topics: a message nobody subscribes to is lost anyway, so it is neither built nor
    // serialised (bench:ros subscribes to ~/faces only, as many robot stacks do).
    const labels = this.labels();
    if (this.emotion.subscriptionCount > 0) this.emotion.publish(detectionArray(result, header, 'emotion', labels.emotion ?? []));
    if (this.gender.subscriptionCount > 0) this.gender.publish(detectionArray(result, header, 'gender', labels.gender ?? []));
  }

  reset(): void {
    // Nothing per face: every message is a whole frame.
  }

  destroy(): void {
    this.factory.destroy(this.emotion);
    this.factory.destroy(this.gender);
  }
}
