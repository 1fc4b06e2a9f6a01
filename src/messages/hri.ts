/**
 * Results as the REP-155 (ROS4HRI) messages of hri_msgs (humble-devel): plain objects shaped like
 * the messages, pure, so their layout is unit-tested without ROS.
 */
import type { Classification } from '../models/classifier.js';
import type { FaceResult } from '../pipeline/pipeline.js';
import type { Mat } from '../vision/opencv.js';
import { letterbox } from '../vision/letterbox.js';
import { copyHeader, matToImageMessage, type HeaderMsg, type ImageMsg } from './face_classification.js';
import { expressionFields } from './expression.js';

export const IDS_LIST_TYPE = 'hri_msgs/msg/IdsList';
export const ROI_TYPE = 'hri_msgs/msg/NormalizedRegionOfInterest2D';
export const EXPRESSION_TYPE = 'hri_msgs/msg/Expression';
export const SOFT_BIOMETRICS_TYPE = 'hri_msgs/msg/SoftBiometrics';
export const IMAGE_TYPE = 'sensor_msgs/msg/Image';

export const FACES_TRACKED_TOPIC = '/humans/faces/tracked';
/** REP-155's default /humans/faces/width and /humans/faces/height. */
export const CROPPED_SIZE = 128;

/** hri_msgs/SoftBiometrics gender constants. */
export const Gender = { UNDEFINED: 0, FEMALE: 1, MALE: 2, OTHER: 3 } as const;

/**
 * The REP-155 face id of a track: `f` + the track id (f1, f2, ...). REP-155 recommends ids that are
 * valid identifiers (start with a letter), and the id is a ROS name token of the topics
 * /humans/faces/<id>/..., which may not start with a digit. Deterministic, and unique for the life of
 * the node because track ids are never reused (hri_face_detect's deterministic ids, f00000..f09999,
 * wrap at 10000; these do not).
 */
export function faceId(trackId: number): string {
  if (!Number.isSafeInteger(trackId) || trackId < 0) throw new Error(`faceId: track id must be a non-negative integer, got ${trackId}`);
  return `f${trackId}`;
}

export function faceNamespace(id: string): string {
  return `/humans/faces/${id}`;
}

/** hri_msgs/IdsList */
export interface IdsListMsg {
  header: HeaderMsg;
  ids: string[];
}

/** hri_msgs/NormalizedRegionOfInterest2D: corners as fractions of the image, top-left origin. */
export interface NormalizedRoiMsg {
  header: HeaderMsg;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
  c: number;
}

/** hri_msgs/Expression */
export interface ExpressionMsg {
  header: HeaderMsg;
  expression: string;
  valence: number;
  arousal: number;
  confidence: number;
}

/** hri_msgs/SoftBiometrics */
export interface SoftBiometricsMsg {
  header: HeaderMsg;
  age: number;
  age_confidence: number;
  gender: number;
  gender_confidence: number;
}

export function idsListMessage(ids: readonly string[], header: HeaderMsg | undefined): IdsListMsg {
  return { header: copyHeader(header), ids: [...ids] };
}

const unit = (v: number): number => Math.min(1, Math.max(0, v));

/**
 * The face box as NormalizedRegionOfInterest2D: (xmin, ymin) its top-left and (xmax, ymax) its
 * bottom-right corner (x + width, y + height), divided by the image width and height, in [0, 1]
 * (the convention of hri_face_detect and libhri, which reads it back as a cv::Rect2f of the corners).
 * `c` is the detection confidence in [0, 1].
 */
export function roiMessage(face: FaceResult, imageWidth: number, imageHeight: number, confidence: number, header: HeaderMsg | undefined): NormalizedRoiMsg {
  const { x, y, width, height } = face.box;
  return {
    header: copyHeader(header),
    xmin: unit(x / imageWidth),
    ymin: unit(y / imageHeight),
    xmax: unit((x + width) / imageWidth),
    ymax: unit((y + height) / imageHeight),
    c: unit(confidence),
  };
}

export function expressionMessage(answer: Classification, labels: readonly string[], header: HeaderMsg | undefined): ExpressionMsg {
  return { header: copyHeader(header), ...expressionFields(answer, labels) };
}

/** The gender head's labels as SoftBiometrics constants. */
export function genderConstant(label: string): number {
  if (label === 'woman') return Gender.FEMALE;
  if (label === 'man') return Gender.MALE;
  return Gender.UNDEFINED;
}

/** Gender and its confidence; the age is not estimated: 0 with confidence 0. */
export function softBiometricsMessage(answer: Classification, header: HeaderMsg | undefined): SoftBiometricsMsg {
  const gender = genderConstant(answer.label);
  return { header: copyHeader(header), age: 0, age_confidence: 0, gender, gender_confidence: gender === Gender.UNDEFINED ? 0 : unit(answer.confidence) };
}

/** The face box of a BGR frame, letterboxed to 128 x 128, as a bgr8 Image. */
export function croppedMessage(bgr: Mat, face: FaceResult, header: HeaderMsg | undefined): ImageMsg {
  return matToImageMessage(letterbox(bgr, face.box, CROPPED_SIZE, CROPPED_SIZE), header);
}
