/**
 * Pipeline results and frames -> plain objects shaped like the ROS messages (rclnodejs publishes plain
 * objects). Pure, so the message layout is unit-tested without ROS.
 */
import type { FrameResult } from '../pipeline/pipeline.js';
import type { Classification } from '../models/classifier.js';
import type { Mat } from '../vision/opencv.js';

export interface TimeMsg {
  sec: number;
  nanosec: number;
}

export interface HeaderMsg {
  stamp: TimeMsg;
  frame_id: string;
}

export interface RegionOfInterestMsg {
  x_offset: number;
  y_offset: number;
  height: number;
  width: number;
  do_rectify: boolean;
}

/** face_classification/msg/FaceClassification */
export interface FaceClassificationMsg {
  box: RegionOfInterestMsg;
  id: number;
  track_id: number;
  track_confirmed: boolean;
  detection_score: number;
  carried: boolean;
  emotion: string;
  emotion_confidence: number;
  emotion_scores: number[];
  emotion_raw_scores: number[];
  gender: string;
  gender_confidence: number;
  gender_scores: number[];
  gender_raw_scores: number[];
}

/** face_classification/msg/FaceClassificationArray */
export interface FaceClassificationArrayMsg {
  header: HeaderMsg;
  image_width: number;
  image_height: number;
  faces: FaceClassificationMsg[];
  emotion_classes: string[];
  gender_classes: string[];
  latency: TimeMsg;
}

/** sensor_msgs/msg/Image */
export interface ImageMsg {
  header: HeaderMsg;
  height: number;
  width: number;
  encoding: string;
  is_bigendian: number;
  step: number;
  data: Uint8Array;
}

export const FACE_CLASSIFICATION_ARRAY_TYPE = 'face_classification/msg/FaceClassificationArray';
export const FACE_CLASSIFICATION_TYPE = 'face_classification/msg/FaceClassification';

/** Milliseconds -> builtin_interfaces/Duration (non-negative). */
export function durationFromMs(ms: number): TimeMsg {
  const ns = Math.max(0, Math.round(ms * 1e6));
  return { sec: Math.floor(ns / 1e9), nanosec: ns % 1e9 };
}

/** A fresh header equal to `header` (rclnodejs may reuse the incoming message object). */
export function copyHeader(header: HeaderMsg | undefined): HeaderMsg {
  return { stamp: { sec: header?.stamp?.sec ?? 0, nanosec: header?.stamp?.nanosec ?? 0 }, frame_id: header?.frame_id ?? '' };
}

function head(answer: Classification | undefined): { label: string; confidence: number; scores: number[] } {
  return answer ? { label: answer.label, confidence: answer.confidence, scores: [...answer.scores] } : { label: '', confidence: 0, scores: [] };
}

export interface ResultContext {
  header: HeaderMsg | undefined;
  /** Arrival of the image at the node -> now, in milliseconds. */
  latencyMs: number;
  emotionClasses: readonly string[];
  genderClasses: readonly string[];
}

/** One frame's result -> FaceClassificationArray. */
export function resultToMessage(result: FrameResult, context: ResultContext): FaceClassificationArrayMsg {
  return {
    header: copyHeader(context.header),
    image_width: result.width,
    image_height: result.height,
    faces: result.faces.map((face): FaceClassificationMsg => {
      const emotion = head(face.emotion);
      const gender = head(face.gender);
      return {
        box: { x_offset: face.box.x, y_offset: face.box.y, width: face.box.width, height: face.box.height, do_rectify: false },
        id: face.id,
        track_id: face.trackId,
        track_confirmed: face.confirmed,
        detection_score: face.score,
        carried: face.carried === true,
        emotion: emotion.label,
        emotion_confidence: emotion.confidence,
        emotion_scores: emotion.scores,
        emotion_raw_scores: head(face.raw.emotion).scores,
        gender: gender.label,
        gender_confidence: gender.confidence,
        gender_scores: gender.scores,
        gender_raw_scores: head(face.raw.gender).scores,
      };
    }),
    emotion_classes: [...context.emotionClasses],
    gender_classes: [...context.genderClasses],
    latency: durationFromMs(context.latencyMs),
  };
}

/** 8-bit BGR (or gray) Mat -> sensor_msgs/Image, bgr8 (mono8 for gray), rows packed. */
export function matToImageMessage(mat: Mat, header: HeaderMsg | undefined): ImageMsg {
  const gray = mat.channels === 1;
  if (!gray && mat.channels !== 3) throw new Error(`matToImageMessage: ${mat.channels} channels; BGR or gray expected`);
  const data = mat.getData();
  return {
    header: copyHeader(header),
    height: mat.rows,
    width: mat.cols,
    encoding: gray ? 'mono8' : 'bgr8',
    is_bigendian: 0,
    step: mat.cols * mat.channels,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}
