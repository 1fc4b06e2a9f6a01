/**
 * Results as vision_msgs (4.x) Detection2DArray: plain objects shaped like the messages, one
 * Detection2D per confirmed face with one head's classes as its hypotheses. Pure, so the layout is
 * unit-tested without ROS; the node's publisher is src/ros/outputs/vision_msgs.ts.
 */
import type { FaceResult, FrameResult } from '../pipeline/pipeline.js';
import type { HeadTask } from '../models/classifier.js';
import { copyHeader, type HeaderMsg } from './face_classification.js';

export const DETECTION_ARRAY_TYPE = 'vision_msgs/msg/Detection2DArray';

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
