/**
 * A bag as given on the command line: a rosbag2 folder (metadata.yaml naming its storage files) or
 * one storage file (.mcap or .db3, told apart by their first bytes, not their names).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { BagDamage, BagMessage, BagReader, BagTopic } from './bag_reader.js';
import { BagError } from './bag_error.js';
import { McapFileReader, isMcapFile } from './mcap_reader.js';
import { SqliteFileReader, isSqliteFile } from './sqlite_reader.js';
import { errorMessage } from '../errors.js';

interface BagfileInformation {
  storage_identifier?: string;
  relative_file_paths?: string[];
  compression_format?: string;
  compression_mode?: string;
}

/** The storage files of a bag folder, in order: metadata.yaml's list, else its .mcap and .db3 files. */
function folderFiles(folder: string): string[] {
  const metadataFile = path.join(folder, 'metadata.yaml');
  if (fs.existsSync(metadataFile)) {
    let info: BagfileInformation | undefined;
    try {
      info = (parseYaml(fs.readFileSync(metadataFile, 'utf8')) as { rosbag2_bagfile_information?: BagfileInformation } | null)?.rosbag2_bagfile_information;
    } catch (error) {
      throw new BagError(metadataFile, `is not readable YAML (${errorMessage(error)})`);
    }
    if (!info) throw new BagError(metadataFile, 'has no rosbag2_bagfile_information');
    if (info.compression_format) throw new BagError(folder, `is compressed (${info.compression_format}, ${info.compression_mode ?? 'file'} mode); decompress it first: ros2 bag convert, or zstd -d on each file with metadata.yaml edited`);
    const files = (info.relative_file_paths ?? []).map((f) => path.join(folder, f));
    const present = files.filter((f) => fs.existsSync(f));
    if (present.length === 0) throw new BagError(metadataFile, `names no storage file that exists (${files.map((f) => path.basename(f)).join(', ') || 'none listed'})`);
    return present;
  }
  const found = fs.readdirSync(folder).filter((f) => /\.(mcap|db3)$/i.test(f)).sort();
  if (found.length === 0) throw new BagError(folder, 'is a folder with neither metadata.yaml nor .mcap / .db3 files');
  return found.map((f) => path.join(folder, f));
}

async function openFile(file: string): Promise<BagReader> {
  if (await isMcapFile(file)) return new McapFileReader(file);
  if (isSqliteFile(file)) return new SqliteFileReader(file);
  throw new BagError(file, 'is neither an MCAP nor a sqlite3 file (by its first bytes)');
}

/** Several storage files read one after the other (a split bag). */
class SplitBagReader implements BagReader {
  constructor(private readonly parts: readonly BagReader[]) {}

  get files(): string[] {
    return this.parts.flatMap((p) => p.files);
  }

  get damage(): BagDamage[] {
    return this.parts.flatMap((p) => p.damage);
  }

  async topics(): Promise<BagTopic[]> {
    const byName = new Map<string, BagTopic>();
    for (const part of this.parts) for (const topic of await part.topics()) if (!byName.has(topic.name)) byName.set(topic.name, topic);
    return [...byName.values()];
  }

  async messageCounts(): Promise<Map<string, number>> {
    const total = new Map<string, number>();
    for (const part of this.parts) for (const [topic, n] of await part.messageCounts()) total.set(topic, (total.get(topic) ?? 0) + n);
    return total;
  }

  async *messages(): AsyncGenerator<BagMessage> {
    for (const part of this.parts) yield* part.messages();
  }

  async close(): Promise<void> {
    for (const part of this.parts) await part.close();
  }
}

/** The input files of `input` (for the never-write-over-the-input check). */
export function bagFiles(input: string): string[] {
  if (!fs.existsSync(input)) throw new BagError(input, 'no such file or folder');
  return fs.statSync(input).isDirectory() ? folderFiles(input) : [input];
}

export async function openBag(input: string): Promise<BagReader> {
  const files = bagFiles(input);
  const parts: BagReader[] = [];
  try {
    for (const file of files) parts.push(await openFile(file));
  } catch (error) {
    for (const part of parts) await part.close();
    throw error;
  }
  return parts.length === 1 ? parts[0]! : new SplitBagReader(parts);
}
