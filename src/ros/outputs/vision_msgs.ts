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
import type { FrameResult } from '../../pipeline/pipeline.js';
import type { HeadTask } from '../../models/classifier.js';
import type { HeaderMsg } from '../../messages/face_classification.js';
import { DETECTION_ARRAY_TYPE, detectionArray } from '../../messages/vision_msgs.js';
import type { RclPublisher } from '../runtime/rclnodejs_api.js';
import type { FrameOutput, PublisherFactory } from './frame_output.js';

export const DETECTIONS_TOPIC = '~/detections';
export const GENDER_DETECTIONS_TOPIC = '~/detections/gender';

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
