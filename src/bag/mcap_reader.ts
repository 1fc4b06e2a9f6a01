/**
 * rosbag2 MCAP storage files (`ros2 bag record -s mcap`, Iron's default), read with @mcap/core's
 * stream reader: front to back, so that a file cut short (a recording killed, a copy interrupted) is
 * read up to the damage. Topics and counts come from the summary at the end when the file has one.
 */
import fs from 'node:fs/promises';
import { McapIndexedReader, McapStreamReader, type McapTypes } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import type { BagDamage, BagMessage, BagReader, BagTopic } from './bag_reader.js';
import { decompressHandlers } from './decompress.js';
import { BagError } from './bag_error.js';
import { errorMessage } from '../errors.js';

/** Bytes read from the file at a time. */
const READ_SIZE = 4 << 20;
const MCAP_MAGIC = Buffer.from([0x89, 0x4d, 0x43, 0x41, 0x50]);

interface Summary {
  topics: BagTopic[];
  counts: Map<string, number>;
}

function topicOf(channel: McapTypes.Channel, schema: McapTypes.Schema | undefined): BagTopic {
  return {
    name: channel.topic,
    type: schema?.name ?? '',
    serialization: channel.messageEncoding,
    ...(schema ? { schema: { encoding: schema.encoding, data: schema.data } } : {}),
    qos: channel.metadata.get('offered_qos_profiles') ?? '',
  };
}

/** Whether `file` starts with MCAP's magic bytes. */
export async function isMcapFile(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(MCAP_MAGIC.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(MCAP_MAGIC);
  } finally {
    await handle.close();
  }
}

type StreamRecord = ReturnType<McapStreamReader['nextRecord']>;

/** One MCAP file. */
export class McapFileReader implements BagReader {
  readonly files: readonly string[];
  readonly damage: BagDamage[] = [];
  private summary: Summary | undefined;

  constructor(private readonly file: string) {
    this.files = [file];
  }

  async topics(): Promise<BagTopic[]> {
    return (await this.readSummary()).topics;
  }

  async messageCounts(): Promise<Map<string, number>> {
    return (await this.readSummary()).counts;
  }

  async *messages(): AsyncGenerator<BagMessage> {
    const topics = new Map<number, BagTopic>();
    const schemas = new Map<number, McapTypes.Schema>();
    for await (const { record, offset } of this.records()) {
      if (record.type === 'Schema') schemas.set(record.id, record);
      else if (record.type === 'Channel') topics.set(record.id, topicOf(record, schemas.get(record.schemaId)));
      else if (record.type === 'Message') {
        const topic = topics.get(record.channelId);
        if (!topic) {
          if (this.damage.length === 0) this.damage.push({ file: this.file, offset, reason: `a message of channel ${record.channelId}, which no channel record defines` });
          return;
        }
        yield { topic, logTime: record.logTime, publishTime: record.publishTime, data: record.data };
      }
    }
  }

  async close(): Promise<void> {
    // Each pass opens and closes its own handle.
  }

  /** The summary (channels, statistics) when the file has an intact one; else a pass over the records. */
  private async readSummary(): Promise<Summary> {
    if (this.summary) return this.summary;
    const handle = await this.open();
    try {
      const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers: await decompressHandlers() });
      const counts = new Map<string, number>();
      const topics = [...reader.channelsById.values()].map((channel) => {
        counts.set(channel.topic, Number(reader.statistics?.channelMessageCounts.get(channel.id) ?? 0n));
        return topicOf(channel, reader.schemasById.get(channel.schemaId));
      });
      this.summary = { topics, counts };
    } catch {
      // No usable summary (cut short, or written without one): the records say what the topics are.
      this.summary = { topics: await this.scanTopics(), counts: new Map() };
    } finally {
      await handle.close();
    }
    return this.summary;
  }

  private async scanTopics(): Promise<BagTopic[]> {
    const schemas = new Map<number, McapTypes.Schema>();
    const topics = new Map<string, BagTopic>();
    for await (const { record } of this.records()) {
      if (record.type === 'Schema') schemas.set(record.id, record);
      else if (record.type === 'Channel' && !topics.has(record.topic)) topics.set(record.topic, topicOf(record, schemas.get(record.schemaId)));
    }
    return [...topics.values()];
  }

  private async open(): Promise<fs.FileHandle> {
    try {
      return await fs.open(this.file, 'r');
    } catch (error) {
      throw new BagError(this.file, `cannot be opened (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`);
    }
  }

  /**
   * Every record, front to back, with the offset of the data read so far. Stops at the first record
   * that does not parse, or at the end of a file cut short, noting the damage (once: the topic scan
   * of a file without a summary and the message pass meet the same damage).
   */
  private async *records(): AsyncGenerator<{ record: NonNullable<StreamRecord>; offset: number }> {
    const handle = await this.open();
    const reader = new McapStreamReader({ decompressHandlers: await decompressHandlers(), validateCrcs: true });
    const note = (offset: number, reason: string): void => {
      if (this.damage.length === 0) this.damage.push({ file: this.file, offset, reason });
    };
    try {
      const buffer = Buffer.alloc(READ_SIZE);
      let appended = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, READ_SIZE, appended);
        if (bytesRead === 0) break;
        reader.append(buffer.subarray(0, bytesRead));
        appended += bytesRead;
        for (;;) {
          let record: StreamRecord;
          try {
            record = reader.nextRecord();
          } catch (error) {
            note(appended - reader.bytesRemaining(), `unreadable record (${errorMessage(error)})`);
            return;
          }
          if (!record) break;
          yield { record, offset: appended - reader.bytesRemaining() };
        }
        if (reader.done()) return;
      }
      if (!reader.done()) note(appended - reader.bytesRemaining(), `the file ends inside a record (cut short at byte ${appended})`);
    } finally {
      await handle.close();
    }
  }
}
