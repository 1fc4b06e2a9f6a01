/**
 * rosbag2 sqlite3 storage files (`.db3`, Humble's default), read with better-sqlite3, read-only.
 * rosbag2 Humble's schema (rosbag2_storage_default_plugins, sqlite_storage.cpp): tables `topics`
 * (id, name, type, serialization_format, offered_qos_profiles), `messages` (id, topic_id,
 * timestamp, data), plus `schema` and `metadata`, which older bags lack and are not needed here.
 * Messages are read in row order (the order rosbag2 inserted them, as received): walking the table
 * itself, rather than the timestamp index, reads a file cut short up to its first missing page.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import type { BagDamage, BagMessage, BagReader, BagTopic } from './bag_reader.js';
import { BagError } from './bag_error.js';
import { errorMessage } from '../errors.js';

interface TopicRow {
  id: number;
  name: string;
  type: string;
  serialization_format: string;
  qos: string | null;
}

interface MessageRow {
  id: number;
  topic_id: number;
  timestamp: bigint;
  data: Buffer;
}

const SQLITE_MAGIC = 'SQLite format 3\u0000';

/** Whether `file` starts with SQLite's header string. */
export function isSqliteFile(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(SQLITE_MAGIC.length);
    return fs.readSync(fd, head, 0, head.length, 0) === head.length && head.toString('latin1') === SQLITE_MAGIC;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The size the database header says the file has (page size * page count), when the header's count
 * is valid (SQLite file format, section 1.3: offsets 16, 28, 24 and 92); else undefined.
 */
function declaredSize(file: string): number | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    const header = Buffer.alloc(100);
    if (fs.readSync(fd, header, 0, 100, 0) < 100) return undefined;
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65536 : raw;
    const pages = header.readUInt32BE(28);
    const valid = pages > 0 && header.readUInt32BE(24) === header.readUInt32BE(92);
    return valid ? pageSize * pages : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** One .db3 file. */
export class SqliteFileReader implements BagReader {
  readonly files: readonly string[];
  readonly damage: BagDamage[] = [];
  private readonly db: Database.Database;
  private topicRows: Map<number, BagTopic> | undefined;

  constructor(private readonly file: string) {
    this.files = [file];
    try {
      this.db = new Database(file, { readonly: true, fileMustExist: true });
      this.db.defaultSafeIntegers(true);
    } catch (error) {
      throw new BagError(file, `cannot be opened as sqlite3 (${errorMessage(error)})`);
    }
  }

  async topics(): Promise<BagTopic[]> {
    return [...this.topicsById().values()];
  }

  async messageCounts(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    try {
      const rows = this.db.prepare('SELECT topic_id, COUNT(*) AS n FROM messages GROUP BY topic_id').all() as { topic_id: bigint; n: bigint }[];
      for (const row of rows) {
        const topic = this.topicsById().get(Number(row.topic_id));
        if (topic) counts.set(topic.name, Number(row.n));
      }
    } catch {
      // A damaged file: the counts are unknown; reading the messages reports the damage.
    }
    return counts;
  }

  async *messages(): AsyncGenerator<BagMessage> {
    const topics = this.topicsById();
    const rows = this.db.prepare('SELECT id, topic_id, timestamp, data FROM messages ORDER BY id').iterate() as IterableIterator<MessageRow>;
    let lastId = 0n;
    for (;;) {
      let next: IteratorResult<MessageRow>;
      try {
        next = rows.next();
      } catch (error) {
        this.noteDamage(error, lastId);
        return;
      }
      if (next.done) break;
      const row = next.value;
      lastId = BigInt(row.id);
      const topic = topics.get(Number(row.topic_id));
      if (!topic) continue;
      const logTime = BigInt(row.timestamp);
      yield { topic, logTime, publishTime: logTime, data: new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength) };
    }
    // SQLite reads only the pages a query needs: a file cut short inside pages this walk did not use still counts as damaged.
    const size = fs.statSync(this.file).size;
    const declared = declaredSize(this.file);
    if (declared !== undefined && size < declared) this.damage.push({ file: this.file, offset: size, reason: `the file ends at byte ${size}, its header declares ${declared} bytes (cut short)` });
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private noteDamage(error: unknown, lastId: bigint): void {
    const size = fs.statSync(this.file).size;
    const declared = declaredSize(this.file);
    const cut = declared !== undefined && size < declared ? `, cut short: its header declares ${declared} bytes` : '';
    this.damage.push({ file: this.file, offset: size, reason: `unreadable after message id ${lastId} (${errorMessage(error)})${cut}` });
  }

  private topicsById(): Map<number, BagTopic> {
    if (this.topicRows) return this.topicRows;
    let rows: TopicRow[];
    try {
      const columns = (this.db.prepare('PRAGMA table_info(topics)').all() as { name: string }[]).map((c) => c.name);
      // offered_qos_profiles came with Foxy; bags from before it have no such column.
      const qos = columns.includes('offered_qos_profiles') ? 'offered_qos_profiles' : "''";
      rows = this.db.prepare(`SELECT id, name, type, serialization_format, ${qos} AS qos FROM topics`).all() as TopicRow[];
    } catch (error) {
      throw new BagError(this.file, `is not a rosbag2 sqlite3 bag (no readable topics table: ${errorMessage(error)})`);
    }
    this.topicRows = new Map(rows.map((row) => [Number(row.id), { name: row.name, type: row.type, serialization: row.serialization_format, qos: row.qos ?? '' }]));
    return this.topicRows;
  }
}
