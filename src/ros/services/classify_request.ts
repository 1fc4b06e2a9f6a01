/**
 * The ~/classify service's request and response (face_classification/srv/Classify) as plain objects,
 * and what a request asks for: a given Image, a given CompressedImage, or (the empty request) the
 * newest camera frame. Pure, so the decoding is unit-tested without ROS.
 */
import type { CompressedImageMessageLike, ImageMessageLike } from '../intake/image_conversion.js';
import type { FaceClassificationArrayMsg, HeaderMsg } from '../../messages/face_classification.js';

export const CLASSIFY_SERVICE_TYPE = 'face_classification/srv/Classify';

/** The request as rclnodejs hands it over (every field present; a hand-made one may lack some). */
export interface ClassifyRequest {
  image?: Partial<ImageMessageLike> & { header?: HeaderMsg };
  compressed_image?: Partial<CompressedImageMessageLike> & { header?: HeaderMsg };
}

export interface ClassifyResponse {
  success: boolean;
  reason: string;
  result: FaceClassificationArrayMsg;
}

/** What to classify. */
export type ClassifyTarget =
  | { kind: 'newest' }
  | { kind: 'image'; message: ImageMessageLike & { header?: HeaderMsg }; compressed: false }
  | { kind: 'image'; message: CompressedImageMessageLike & { header?: HeaderMsg }; compressed: true }
  | { kind: 'refused'; reason: string };

const byteCount = (data: unknown): number => (data && typeof data === 'object' && 'length' in data && typeof data.length === 'number' ? data.length : 0);

/**
 * An image is "given" when its data has bytes: the message default (all fields zero or empty) of
 * the field left out is then told apart from a real image without an extra flag in the request.
 */
export function classifyTarget(request: ClassifyRequest | null | undefined): ClassifyTarget {
  const image = request?.image;
  const compressed = request?.compressed_image;
  const hasImage = byteCount(image?.data) > 0;
  const hasCompressed = byteCount(compressed?.data) > 0;
  if (hasImage && hasCompressed) return { kind: 'refused', reason: 'bad_request: both image and compressed_image have data; give one of them, or neither for the newest camera frame' };
  if (hasImage) return { kind: 'image', message: image as ImageMessageLike & { header?: HeaderMsg }, compressed: false };
  if (hasCompressed) return { kind: 'image', message: compressed as CompressedImageMessageLike & { header?: HeaderMsg }, compressed: true };
  return { kind: 'newest' };
}

/** A FaceClassificationArray with nothing in it, for a response without an answer. */
export function emptyResult(): FaceClassificationArrayMsg {
  return { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, image_width: 0, image_height: 0, faces: [], emotion_classes: [], gender_classes: [], latency: { sec: 0, nanosec: 0 } };
}

export function refusal(reason: string): ClassifyResponse {
  return { success: false, reason, result: emptyResult() };
}
