/**
 * Bags for the bag tests, made without ROS: MCAP with the project's own writer, and sqlite3 (.db3)
 * with better-sqlite3 in rosbag2 Humble's real schema (rosbag2_storage_default_plugins,
 * sqlite_storage.cpp: tables schema, metadata, topics, messages, index timestamp_idx).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { McapWriter } from '@mcap/core';
import { FileHandleWritable } from '@mcap/nodejs';
import zstd from '@foxglove/wasm-zstd';
import { cv, type Mat } from '../../src/vision/opencv.js';
import { matToImageMessage, type HeaderMsg } from '../../src/messages/face_classification.js';
import { COMPRESSED_IMAGE_TYPE, IMAGE_TYPE, encodeCdr } from '../../src/bag/codec.js';
import { fullDefinition } from '../../src/bag/definitions.js';
import { DEFAULT_QOS, McapBagWriter } from '../../src/bag/mcap_writer.js';

/** One message to record: an image (raw bgr8 or JPEG) or bytes of another type. */
export interface Recorded {
  topic: string;
  type: string;
  logTime: bigint;
  data: Uint8Array;
  /** The serialization format the topic is recorded with (default cdr). */
  serialization?: string;
}

export function header(stampNs: bigint, frameId = 'camera'): HeaderMsg {
  return { stamp: { sec: Number(stampNs / 1_000_000_000n), nanosec: Number(stampNs % 1_000_000_000n) }, frame_id: frameId };
}

/** sensor_msgs/Image (bgr8) of `mat`, stamped `stampNs`, recorded at `logTime`. */
export function rawImage(topic: string, mat: Mat, stampNs: bigint, logTime: bigint): Recorded {
  return { topic, type: IMAGE_TYPE, logTime, data: encodeCdr(IMAGE_TYPE, matToImageMessage(mat, header(stampNs))) };
}

/** sensor_msgs/CompressedImage (jpeg) of `mat`. */
export function jpegImage(topic: string, mat: Mat, stampNs: bigint, logTime: bigint): Recorded {
  const jpeg = cv.imencode('.jpg', mat);
  return { topic, type: COMPRESSED_IMAGE_TYPE, logTime, data: encodeCdr(COMPRESSED_IMAGE_TYPE, { header: header(stampNs), format: 'jpeg', data: new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength) }) };
}

/** std_msgs/String in CDR, encoded by hand (its definition is not shipped: a type the reader does not know). */
export function stringMessage(topic: string, text: string, logTime: bigint): Recorded {
  const bytes = Buffer.from(`${text}\u0000`, 'utf8');
  const data = Buffer.alloc(8 + bytes.length);
  data.set([0, 1, 0, 0]);
  data.writeUInt32LE(bytes.length, 4);
  bytes.copy(data, 8);
  return { topic, type: 'std_msgs/msg/String', logTime, data };
}

export async function writeMcapBag(file: string, messages: readonly Recorded[]): Promise<void> {
  const writer = await McapBagWriter.create(file);
  for (const m of messages) {
    await writer.channel({ topic: m.topic, type: m.type, serialization: m.serialization ?? 'cdr', qos: DEFAULT_QOS });
    await writer.write(m.topic, m.logTime, m.logTime, m.data);
  }
  await writer.finish();
}

/**
 * An MCAP whose chunks are zstd-compressed, as `ros2 bag record -s mcap` writes with a storage preset
 * (`--storage-preset-profile zstd_fast`), written with @mcap/core directly (our writer does not compress).
 */
export async function writeZstdMcapBag(file: string, messages: readonly Recorded[]): Promise<void> {
  await zstd.isLoaded;
  const handle = await fs.promises.open(file, 'w');
  const writer = new McapWriter({ writable: new FileHandleWritable(handle), chunkSize: 256 << 10, compressChunk: (data) => ({ compression: 'zstd', compressedData: zstd.compress(data, 1) }) });
  await writer.start({ profile: 'ros2', library: 'test' });
  const channels = new Map<string, number>();
  for (const m of messages) {
    let id = channels.get(m.topic);
    if (id === undefined) {
      const schemaId = await writer.registerSchema({ name: m.type, encoding: 'ros2msg', data: new TextEncoder().encode(fullDefinition(m.type)) });
      id = await writer.registerChannel({ topic: m.topic, schemaId, messageEncoding: 'cdr', metadata: new Map([['offered_qos_profiles', DEFAULT_QOS]]) });
      channels.set(m.topic, id);
    }
    await writer.addMessage({ channelId: id, sequence: 0, logTime: m.logTime, publishTime: m.logTime, data: m.data });
  }
  await writer.end();
  await handle.close();
}

/** A .db3 as rosbag2 Humble's sqlite3 storage writes it; with `folder`, a bag folder with metadata.yaml. */
export function writeDb3Bag(file: string, messages: readonly Recorded[], options: { metadataYaml?: boolean } = {}): void {
  const db = new Database(file);
  db.exec(`CREATE TABLE schema(schema_version INTEGER PRIMARY KEY,ros_distro TEXT NOT NULL);
CREATE TABLE metadata(id INTEGER PRIMARY KEY,metadata_version INTEGER NOT NULL,metadata TEXT NOT NULL);
CREATE TABLE topics(id INTEGER PRIMARY KEY,name TEXT NOT NULL,type TEXT NOT NULL,serialization_format TEXT NOT NULL,offered_qos_profiles TEXT NOT NULL);
CREATE TABLE messages(id INTEGER PRIMARY KEY,topic_id INTEGER NOT NULL,timestamp INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX timestamp_idx ON messages (timestamp ASC);`);
  db.prepare('INSERT INTO schema (schema_version, ros_distro) VALUES (?, ?)').run(3, 'humble');
  const topicIds = new Map<string, number | bigint>();
  const insertTopic = db.prepare('INSERT INTO topics (name, type, serialization_format, offered_qos_profiles) VALUES (?, ?, ?, ?)');
  const insertMessage = db.prepare('INSERT INTO messages (timestamp, topic_id, data) VALUES (?, ?, ?);');
  db.transaction(() => {
    for (const m of messages) {
      if (!topicIds.has(m.topic)) topicIds.set(m.topic, insertTopic.run(m.topic, m.type, m.serialization ?? 'cdr', DEFAULT_QOS).lastInsertRowid);
      insertMessage.run(m.logTime, topicIds.get(m.topic)!, Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
    }
  })();
  db.close();
  if (options.metadataYaml) {
    const counts = new Map<string, { type: string; n: number; serialization: string }>();
    for (const m of messages) {
      const entry = counts.get(m.topic) ?? { type: m.type, n: 0, serialization: m.serialization ?? 'cdr' };
      entry.n++;
      counts.set(m.topic, entry);
    }
    const times = messages.map((m) => m.logTime);
    const start = times.reduce((a, b) => (a < b ? a : b));
    const end = times.reduce((a, b) => (a > b ? a : b));
    const topics = [...counts].map(([name, t]) => `    - topic_metadata:\n        name: ${name}\n        type: ${t.type}\n        serialization_format: ${t.serialization}\n        offered_qos_profiles: ""\n      message_count: ${t.n}`).join('\n');
    fs.writeFileSync(
      path.join(path.dirname(file), 'metadata.yaml'),
      `rosbag2_bagfile_information:\n  version: 5\n  storage_identifier: sqlite3\n  duration:\n    nanoseconds: ${end - start}\n  starting_time:\n    nanoseconds_since_epoch: ${start}\n  message_count: ${messages.length}\n  topics_with_message_count:\n${topics}\n  compression_format: ""\n  compression_mode: ""\n  relative_file_paths:\n    - ${path.basename(file)}\n  files:\n    - path: ${path.basename(file)}\n      starting_time:\n        nanoseconds_since_epoch: ${start}\n      duration:\n        nanoseconds: ${end - start}\n      message_count: ${messages.length}\n`,
    );
  }
}
