/**
 * The REP-155 (ROS4HRI) output: `/humans/faces/tracked` (hri_msgs/IdsList) and, per confirmed face,
 * `/humans/faces/<id>/roi`, `/cropped`, `/expression` and `/softbiometrics`.
 *
 * As in ros4hri's hri_face_detect, a face's publishers are created when its track is confirmed and
 * destroyed when the track is dropped (gone for more than tracking.max_missed frames); a track that
 * is missed for a few frames stays in the tracked list, and its topics are published again when it is
 * seen. The tracked list is published for every processed frame (empty when no face is tracked),
 * with the image's header.
 *
 * QoS: REP-155 says nothing for these topics (it asks for latched topics only under
 * /humans/persons/<id>/). All are reliable, keep-last 1, transient-local ("latched"): a listener such
 * as libhri subscribes to a face's topics only after it sees the id in /tracked, which is after the
 * first messages on them went out; latching hands it the newest one at once. Transient-local
 * publishers serve volatile subscribers too (libhri uses the system default QoS), so nothing is lost
 * in compatibility.
 */
import type { HeadTask } from '../../models/classifier.js';
import type { FaceResult, FrameResult } from '../../pipeline/pipeline.js';
import type { Logger } from '../../log.js';
import type { HeaderMsg } from '../../messages/face_classification.js';
import type { RclPublisher, RclQoS } from '../runtime/rclnodejs_api.js';
import type { FrameOutput, PublisherFactory } from './frame_output.js';
import {
  EXPRESSION_TYPE,
  FACES_TRACKED_TOPIC,
  IDS_LIST_TYPE,
  IMAGE_TYPE,
  ROI_TYPE,
  SOFT_BIOMETRICS_TYPE,
  croppedMessage,
  expressionMessage,
  faceId,
  faceNamespace,
  idsListMessage,
  roiMessage,
  softBiometricsMessage,
} from '../../messages/hri.js';

export interface HriOutputOptions {
  factory: PublisherFactory;
  /** The QoS of every topic of this output (reliable, keep-last 1, transient-local). */
  qos: RclQoS;
  labels: () => Partial<Record<HeadTask, readonly string[]>>;
  /** The face's detection confidence in [0, 1], for the roi's `c`. */
  detectionConfidence: (face: FaceResult) => number;
  /** A header for messages that no frame causes (the empty tracked list after a reset). */
  now: () => HeaderMsg;
  log: Logger;
}

interface FaceTopics {
  id: string;
  roi: RclPublisher;
  cropped: RclPublisher;
  expression: RclPublisher;
  softbiometrics: RclPublisher;
}

export class HriOutput implements FrameOutput {
  private readonly tracked: RclPublisher;
  /** Per confirmed track, in the order they were confirmed. */
  private readonly faces = new Map<number, FaceTopics>();

  constructor(private readonly options: HriOutputOptions) {
    this.tracked = options.factory.create(IDS_LIST_TYPE, FACES_TRACKED_TOPIC, options.qos);
  }

  /** The REP-155 ids with topics now, in confirmation order. */
  get ids(): string[] {
    return [...this.faces.values()].map((f) => f.id);
  }

  publish(result: FrameResult, header: HeaderMsg | undefined): void {
    for (const trackId of result.droppedTracks) this.close(trackId, 'dropped');
    const labels = this.options.labels();
    for (const face of result.faces) {
      if (!face.confirmed) continue;
      const topics = this.faces.get(face.trackId) ?? this.open(face.trackId);
      topics.roi.publish(roiMessage(face, result.width, result.height, this.options.detectionConfidence(face), header));
      // The crop costs a resize and a 48 KiB message: only for someone who reads it (as hri_face_detect).
      if (topics.cropped.subscriptionCount > 0) topics.cropped.publish(croppedMessage(result.prepared.bgr, face, header));
      if (face.emotion) topics.expression.publish(expressionMessage(face.emotion, labels.emotion ?? [], header));
      if (face.gender) topics.softbiometrics.publish(softBiometricsMessage(face.gender, header));
    }
    this.tracked.publish(idsListMessage(this.ids, header));
  }

  /** Every face's topics go; the tracked list says so (empty). */
  reset(): void {
    if (this.faces.size === 0) return;
    for (const trackId of [...this.faces.keys()]) this.close(trackId, 'reset');
    this.tracked.publish(idsListMessage([], this.options.now()));
  }

  destroy(): void {
    this.reset();
    this.options.factory.destroy(this.tracked);
  }

  private open(trackId: number): FaceTopics {
    const id = faceId(trackId);
    const ns = faceNamespace(id);
    const { factory, qos } = this.options;
    const made: RclPublisher[] = [];
    const create = (type: string, topic: string): RclPublisher => {
      const publisher = factory.create(type, `${ns}/${topic}`, qos);
      made.push(publisher);
      return publisher;
    };
    try {
      const topics: FaceTopics = { id, roi: create(ROI_TYPE, 'roi'), cropped: create(IMAGE_TYPE, 'cropped'), expression: create(EXPRESSION_TYPE, 'expression'), softbiometrics: create(SOFT_BIOMETRICS_TYPE, 'softbiometrics') };
      this.faces.set(trackId, topics);
      this.options.log.info({ face: id, track: trackId, namespace: ns }, 'face tracked');
      return topics;
    } catch (error) {
      for (const publisher of made) factory.destroy(publisher);
      throw error;
    }
  }

  private close(trackId: number, why: 'dropped' | 'reset'): void {
    const topics = this.faces.get(trackId);
    if (!topics) return;
    this.faces.delete(trackId);
    for (const publisher of [topics.roi, topics.cropped, topics.expression, topics.softbiometrics]) this.options.factory.destroy(publisher);
    this.options.log.info({ face: topics.id, track: trackId, why }, 'face lost');
  }
}
