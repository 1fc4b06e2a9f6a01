/**
 * rosbag2 sqlite3 storage files (`.db3`, Humble's default), read with better-sqlite3, read-only.
 * rosbag2 Humble's schema (rosbag2_storage_default_plugins, sqlite_storage.cpp): tables `topics`
 * (id, name, type, serialization_format, offered_qos_profiles), `messages` (id, topic_id,
 * timestamp, data), plus `schema` and `metadata`, which older bags lack and are not needed here.
 * Messages are read in row order (the order rosbag2 inserted them, as received).
 *
 * A file cut short (a recording killed, a copy interrupted): SQLite refuses a file shorter than its
 * header says, so a copy whose header counts the pages present is opened instead (in the temp
 * folder, removed at close). The b-tree's inner pages may be among those lost (a split moves them to
 * the end), so its messages are then looked up one id at a time: every message whose pages are
 * present is read.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

/** Ids past the last message read that are tried before a damaged table is taken to end. */
const PROBE_PAST_LAST = 256;

/**
 * The page size and the page count of the database header, when the count is valid (SQLite file
 * format, section 1.3: offsets 16, 28, 24 and 92).
 */
function headerPages(file: string): { pageSize: number; pages: number } | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    const header = Buffer.alloc(100);
    if (fs.readSync(fd, header, 0, 100, 0) < 100) return undefined;
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65536 : raw;
    const pages = header.readUInt32BE(28);
    return pages > 0 && header.readUInt32BE(24) === header.readUInt32BE(92) ? { pageSize, pages } : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** A copy of the whole pages of a file cut short, its header's page count set to them (the rest is unchanged). */
function readableCopy(file: string, pageSize: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fc-bag-'));
  const copy = path.join(dir, path.basename(file));
  const pages = Math.floor(fs.statSync(file).size / pageSize);
  fs.copyFileSync(file, copy);
  fs.truncateSync(copy, pages * pageSize);
  const fd = fs.openSync(copy, 'r+');
  try {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(pages);
    fs.writeSync(fd, count, 0, 4, 28);
  } finally {
    fs.closeSync(fd);
  }
  return copy;
}

/** One .db3 file. */
export class SqliteFileReader implements BagReader {
  readonly files: readonly string[];
  readonly damage: BagDamage[] = [];
  private readonly db: Database.Database;
  private readonly copy: string | undefined;
  private topicRows: Map<number, BagTopic> | undefined;

  constructor(private readonly file: string) {
    this.files = [file];
    const size = fs.statSync(file).size;
    const header = headerPages(file);
    if (header && size < header.pageSize * header.pages) {
      this.damage.push({ file, offset: size, reason: `the file ends at byte ${size}, its header declares ${header.pageSize * header.pages} bytes (cut short)` });
      this.copy = readableCopy(file, header.pageSize);
    }
    try {
      this.db = new Database(this.copy ?? file, { readonly: true, fileMustExist: true });
      this.db.defaultSafeIntegers(true);
    } catch (error) {
      this.removeCopy();
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
    const toMessage = (row: MessageRow): BagMessage | undefined => {
      const topic = topics.get(Number(row.topic_id));
      const logTime = BigInt(row.timestamp);
      return topic && { topic, logTime, publishTime: logTime, data: new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength) };
    };
    let lastId = 0n;
    if (this.damage.length === 0) {
      try {
        for (const row of this.db.prepare('SELECT id, topic_id, timestamp, data FROM messages ORDER BY id').iterate() as IterableIterator<MessageRow>) {
          lastId = BigInt(row.id);
          const message = toMessage(row);
          if (message) yield message;
        }
        return;
      } catch (error) {
        this.damage.push({ file: this.file, offset: fs.statSync(this.file).size, reason: `unreadable after message id ${lastId} (${errorMessage(error)})` });
      }
    }
    // Damaged: each message that can still be found by its id, until PROBE_PAST_LAST ids in a row are not.
    const byId = this.db.prepare('SELECT id, topic_id, timestamp, data FROM messages WHERE id = ?');
    let lost = 0;
    for (let id = lastId + 1n, misses = 0; misses < PROBE_PAST_LAST; id++) {
      let row: MessageRow | undefined;
      try {
        row = byId.get(id) as MessageRow | undefined;
      } catch {
        row = undefined;
      }
      if (!row) {
        misses++;
        continue;
      }
      lost += misses;
      misses = 0;
      const message = toMessage(row);
      if (message) yield message;
    }
    if (lost > 0) this.damage[0]!.reason += `; ${lost} message ids between readable ones were lost`;
  }

  async close(): Promise<void> {
    this.db.close();
    this.removeCopy();
  }

  private removeCopy(): void {
    if (this.copy) fs.rmSync(path.dirname(this.copy), { recursive: true, force: true });
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
