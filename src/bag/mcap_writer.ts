/**
 * The output bag: one MCAP file as rosbag2's MCAP storage writes it (schemas `ros2msg` with the full
 * definitions, channels `cdr` with offered_qos_profiles, a `rosbag2` metadata record), so that
 * Foxglove and `ros2 bag play` read it. Written under a temporary name beside the target and renamed
 * onto it only when complete: a run that fails leaves no half file behind, and never the target
 * half-overwritten.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { McapWriter } from '@mcap/core';
import { FileHandleWritable } from '@mcap/nodejs';
import { BagError } from './bag_error.js';
import { fullDefinition, hasDefinition } from './definitions.js';
import { errorMessage } from '../errors.js';

/**
 * The offered QoS `ros2 bag record` (Humble) stores for a default publisher (reliable, volatile,
 * keep last; the durations are rmw's "infinite"): what `ros2 bag play` publishes the outputs with.
 */
export const DEFAULT_QOS = ['history: 3', 'depth: 0', 'reliability: 1', 'durability: 2', 'deadline:', '  sec: 2147483647', '  nsec: 4294967295', 'lifespan:', '  sec: 2147483647', '  nsec: 4294967295', 'liveliness: 1', 'liveliness_lease_duration:', '  sec: 2147483647', '  nsec: 4294967295', 'avoid_ros_namespace_conventions: false']
  .map((line, i) => `${i === 0 ? '- ' : '  '}${line}`)
  .join('\n');

export interface ChannelSpec {
  topic: string;
  type: string;
  serialization: string;
  qos: string;
  /** The input's own schema for the type, when it has one (copied topics). */
  schema?: { encoding: string; data: Uint8Array };
}

const encoder = new TextEncoder();
/** rosbag2's MCAP default chunk size (768 KiB, rounded up): a file cut short loses at most about a chunk. */
const CHUNK_SIZE = 1 << 20;

/** A schema for `type`: the one given, else the definitions shipped here, else a name only (as rosbag2 does for types it has no definition of). */
function schemaFor(spec: ChannelSpec): { name: string; encoding: string; data: Uint8Array } {
  if (spec.schema && spec.schema.data.length > 0) return { name: spec.type, ...spec.schema };
  if (hasDefinition(spec.type)) return { name: spec.type, encoding: 'ros2msg', data: encoder.encode(fullDefinition(spec.type)) };
  return { name: spec.type, encoding: '', data: new Uint8Array() };
}

export class McapBagWriter {
  private readonly schemas = new Map<string, number>();
  private readonly channels = new Map<string, { id: number; sequence: number }>();
  private closed = false;

  private constructor(
    readonly target: string,
    readonly temporary: string,
    private readonly handle: fs.FileHandle,
    private readonly writer: McapWriter,
  ) {}

  /** Starts the file under a temporary name in the target's folder (same file system, so rename is atomic). */
  static async create(target: string, distro = 'humble'): Promise<McapBagWriter> {
    const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.partial`);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(temporary, 'wx');
    } catch (error) {
      throw new BagError(target, `cannot be written (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`);
    }
    const writer = new McapWriter({ writable: new FileHandleWritable(handle), chunkSize: CHUNK_SIZE });
    const bag = new McapBagWriter(target, temporary, handle, writer);
    try {
      await writer.start({ profile: 'ros2', library: 'face-classification (@mcap/core)' });
      await writer.addMetadata({ name: 'rosbag2', metadata: new Map([['ROS_DISTRO', distro]]) });
    } catch (error) {
      await bag.abort();
      throw error;
    }
    return bag;
  }

  /** The channel of `spec.topic`, made (with its schema) the first time. */
  async channel(spec: ChannelSpec): Promise<number> {
    const known = this.channels.get(spec.topic);
    if (known) return known.id;
    let schemaId = this.schemas.get(spec.type);
    if (schemaId === undefined) {
      schemaId = await this.writer.registerSchema(schemaFor(spec));
      this.schemas.set(spec.type, schemaId);
    }
    const id = await this.writer.registerChannel({ topic: spec.topic, schemaId, messageEncoding: spec.serialization, metadata: new Map([['offered_qos_profiles', spec.qos]]) });
    this.channels.set(spec.topic, { id, sequence: 0 });
    return id;
  }

  async write(topic: string, logTime: bigint, publishTime: bigint, data: Uint8Array): Promise<void> {
    const channel = this.channels.get(topic);
    if (!channel) throw new Error(`McapBagWriter.write: no channel for ${topic}`);
    await this.writer.addMessage({ channelId: channel.id, sequence: channel.sequence++, logTime, publishTime, data });
  }

  /** Ends the file (summary, footer) and renames it onto the target. */
  async finish(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.writer.end();
      await this.handle.close();
      await fs.rename(this.temporary, this.target);
    } catch (error) {
      await fs.rm(this.temporary, { force: true });
      throw new BagError(this.target, `cannot be written (${errorMessage(error)})`);
    }
  }

  /** Drops the temporary file; the target is left as it was. */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(() => undefined);
    await fs.rm(this.temporary, { force: true });
  }
}
