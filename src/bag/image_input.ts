/**
 * A recorded image message (CDR bytes) -> its header and an OpenCV frame, through the node's own
 * conversions (src/messages/image_conversion.ts): the same encodings and checks as a live topic.
 */
import type { HeaderMsg } from '../messages/face_classification.js';
import { compressedMessageToMat, imageMessageToMat, type CompressedImageMessageLike, type ConvertedFrame, type ImageMessageLike } from '../messages/image_conversion.js';
import type { InputLimits } from '../messages/input_guard.js';
import { COMPRESSED_IMAGE_TYPE, IMAGE_TYPE, decodeCdr } from './codec.js';

export const IMAGE_TYPES: readonly string[] = [IMAGE_TYPE, COMPRESSED_IMAGE_TYPE];

export type ImageMessage = ({ kind: 'raw' } & ImageMessageLike & { header: HeaderMsg }) | ({ kind: 'compressed' } & CompressedImageMessageLike & { header: HeaderMsg });

/** The CDR bytes of an Image or CompressedImage, decoded (throws where they do not decode). */
export function decodeImageMessage(type: string, data: Uint8Array): ImageMessage {
  if (type === IMAGE_TYPE) return { kind: 'raw', ...decodeCdr<ImageMessageLike & { header: HeaderMsg }>(type, data) };
  if (type === COMPRESSED_IMAGE_TYPE) return { kind: 'compressed', ...decodeCdr<CompressedImageMessageLike & { header: HeaderMsg }>(type, data) };
  throw new Error(`${type} is not an image type`);
}

/** The frame of a decoded image message; throws FrameError (with its skip reason) for a bad image. */
export function imageFrame(message: ImageMessage, source: string, limits: InputLimits): ConvertedFrame {
  return message.kind === 'raw' ? imageMessageToMat(message, source, limits) : compressedMessageToMat(message, source, limits);
}

export function stampNs(header: HeaderMsg): bigint {
  return BigInt(header.stamp.sec) * 1_000_000_000n + BigInt(header.stamp.nanosec);
}
