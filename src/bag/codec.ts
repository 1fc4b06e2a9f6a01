/**
 * CDR (rosbag2's serialization format `cdr`) readers and writers by message type, made once from the
 * definitions that ship with the package (definitions.ts).
 */
import { MessageReader, MessageWriter } from '@foxglove/rosmsg2-serialization';
import { parsedDefinition } from './definitions.js';

const readers = new Map<string, MessageReader>();
const writers = new Map<string, MessageWriter>();

/** The message type names rosbag2 stores (`pkg/msg/Name`). */
export const IMAGE_TYPE = 'sensor_msgs/msg/Image';
export const COMPRESSED_IMAGE_TYPE = 'sensor_msgs/msg/CompressedImage';
export const CDR = 'cdr';

export function decodeCdr<T>(type: string, data: Uint8Array): T {
  let reader = readers.get(type);
  if (!reader) readers.set(type, (reader = new MessageReader(parsedDefinition(type))));
  return reader.readMessage<T>(data);
}

export function encodeCdr(type: string, message: unknown): Uint8Array {
  let writer = writers.get(type);
  if (!writer) writers.set(type, (writer = new MessageWriter(parsedDefinition(type))));
  return writer.writeMessage(message);
}
