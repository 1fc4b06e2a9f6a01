/**
 * What every storage reader gives (MCAP, sqlite3): the topics with their types, and the messages in
 * the order they were recorded, serialised as stored. A damaged file (cut short, a corrupt record) is
 * read up to the damage, which is then described in `damage`; messages after it are not given.
 */

/** One topic of a bag, as rosbag2 describes it. */
export interface BagTopic {
  name: string;
  /** pkg/msg/Name */
  type: string;
  /** rosbag2's serialization_format (MCAP: the channel's message encoding), `cdr` for ROS 2. */
  serialization: string;
  /** The MCAP schema the bag stores for the type (encoding `ros2msg`, full text); absent for sqlite3. */
  schema?: { encoding: string; data: Uint8Array };
  /** rosbag2's offered_qos_profiles (YAML text), '' when the bag has none. */
  qos: string;
}

export interface BagMessage {
  topic: BagTopic;
  /** Recording time, nanoseconds since the epoch (rosbag2's timestamp, MCAP's logTime). */
  logTime: bigint;
  /** When it was published, where the storage keeps it (MCAP); else the recording time. */
  publishTime: bigint;
  data: Uint8Array;
}

/** Where a file stops being readable. */
export interface BagDamage {
  file: string;
  /** Byte offset of the first byte that could not be used. */
  offset: number;
  reason: string;
}

export interface BagReader {
  /** The storage files, in the order they are read. */
  readonly files: readonly string[];
  /** The bag's topics (known before reading messages). */
  topics(): Promise<BagTopic[]>;
  /** How many messages each topic holds, where the bag says so without reading them all (0: unknown). */
  messageCounts(): Promise<Map<string, number>>;
  /** Every message, in recording order (within a file, as stored). */
  messages(): AsyncIterable<BagMessage>;
  /** Set once reading stopped at damage, for each damaged file. */
  readonly damage: readonly BagDamage[];
  close(): Promise<void>;
}
