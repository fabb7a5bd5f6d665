/** What a batch is made of: API entries that each carry one or more user records. */
import { dataLength, Line } from '../pipeline/line.js';
import type { SourceRecord } from '../pipeline/types.js';
import { RANDOM_KEY_CHARS } from './partition-key.js';
import { utf8Length } from './body-bytes.js';
import { freeBuffer } from '../buffer-release.js';

export interface Entry {
  /** The bytes of one API record (a line, a KPL aggregate, or packed lines). */
  data: Buffer;
  /** Streams: the key, or '' for a random one drawn when the request body is written (request-body.ts). Firehose: ''. */
  readonly partitionKey: string;
  /** The user records inside, acknowledged together when the entry is delivered. */
  readonly records: readonly SourceRecord[];
  /** Sum of the user records' data lengths: what they hold in the queue. */
  readonly userBytes: number;
  /** The shard this entry was grouped for (KPL); an answer naming another means the shard map is stale. */
  shardId?: string;
  /**
   * Its data is bytes the packer made for it alone (a KPL aggregate, packed
   * or compressed lines), which nothing reads once it is delivered:
   * releasePacked() frees them then.
   */
  packed?: boolean;
}

/** What adding one record would add to a batch, as the API limits count it. */
export interface Cost {
  entries: number;
  bytes: number;
}

/**
 * Turns user records into entries. The batcher asks what a record would
 * cost before adding it, so a batch never crosses an API limit.
 */
export interface Packer {
  cost(record: SourceRecord, key: string): Cost;
  add(record: SourceRecord, key: string): void;
  /** Entries so far, counting ones still open for more records. */
  readonly entryCount: number;
  readonly byteCount: number;
  /** Closes every open entry and hands over all of them. */
  take(): Entry[];
}

/**
 * The entry of one user record that is not a Line (a compressed copy,
 * compression.ts): one small object holding the record, no array per
 * record. A Line is its own entry.
 */
class RecordEntry implements Entry {
  constructor(
    public data: Buffer,
    readonly partitionKey: string,
    private readonly record: SourceRecord,
  ) {}

  get records(): readonly SourceRecord[] {
    return [this.record];
  }

  get userBytes(): number {
    return this.record.data.length;
  }
}

/**
 * Frees the data of the `packed` entries among `entries`, which were just
 * delivered (buffer-release.ts): a KPL aggregate is 0.5-1 MB made per call,
 * and left to the collector it outlived the scavenges of a flow whose
 * processing makes garbage per line, so that dead aggregates piled up until
 * the next full collection (docs/performance.md, "Tenth round"). Delivered
 * entries are never sent again (delivery.ts retries only failed ones), and
 * a request body holds a copy of the data. Entries whose data is a user
 * record's own (a Line, a lone record) are never touched. Returns how many
 * were freed.
 */
export function releasePacked(entries: readonly Entry[]): number {
  let freed = 0;
  for (const entry of entries) if (entry.packed === true && freeBuffer(entry.data)) freed++;
  return freed;
}

/**
 * The user records of `entry` one by one, without the array `records`
 * makes for a Line or a RecordEntry: at full speed that was an array per
 * line for each answer.
 */
export function forEachRecord(entry: Entry, visit: (record: SourceRecord) => void): void {
  if (entry instanceof Line) visit(entry);
  else for (const r of entry.records) visit(r);
}

/** User records in `entry`. */
export function recordCount(entry: Entry): number {
  return entry instanceof Line ? 1 : entry.records.length;
}

/** One user record, one entry: a Line is its own entry (one heap object per queued line). */
export class PlainPacker implements Packer {
  private entries: Entry[] = [];
  private bytes = 0;
  /** The key cost() chose for the record add() is about to take: chosen and measured once. */
  private chosen: { record: SourceRecord | undefined; key: string; bytes: number } = { record: undefined, key: '', bytes: 0 };

  /**
   * @param countsKey the partition key counts against the API's limits (Streams)
   * @param maxEntryBytes the API's per-record limit (a function: a stream's, learned at start)
   * @param shortKey a short key for records whose own key would push them over that limit ('' for a random one)
   */
  constructor(
    private readonly countsKey: boolean,
    private readonly maxEntryBytes: number | (() => number) = Infinity,
    private readonly shortKey: () => string = () => '',
  ) {}

  /** The key `record` goes with, and the bytes it counts against the API's limits. */
  private choose(record: SourceRecord, key: string): { key: string; bytes: number } {
    const c = this.chosen;
    if (c.record === record) return c;
    c.record = record;
    const n = dataLength(record);
    if (!this.countsKey) {
      c.key = key;
      c.bytes = n;
      return c;
    }
    // '' is a random key, drawn when the request body is written (RANDOM_KEY_CHARS then).
    if (key === '') {
      c.key = key;
      c.bytes = n + RANDOM_KEY_CHARS;
      return c;
    }
    // A record near the limit keeps its bytes; a long (e.g. multi-byte FIELD) key gives way.
    const max = typeof this.maxEntryBytes === 'function' ? this.maxEntryBytes() : this.maxEntryBytes;
    c.key = n + key.length * 4 <= max || n + Buffer.byteLength(key) <= max ? key : this.shortKey();
    c.bytes = n + (c.key === '' ? RANDOM_KEY_CHARS : utf8Length(c.key));
    return c;
  }

  get entryCount(): number {
    return this.entries.length;
  }

  get byteCount(): number {
    return this.bytes;
  }

  cost(record: SourceRecord, key: string): Cost {
    return { entries: 1, bytes: this.choose(record, key).bytes };
  }

  add(record: SourceRecord, key: string): void {
    const c = this.choose(record, key);
    this.bytes += c.bytes;
    if (record instanceof Line) {
      record.partitionKey = c.key;
      this.entries.push(record);
    } else {
      this.entries.push(new RecordEntry(record.data, c.key, record));
    }
    this.chosen.record = undefined;
  }

  take(): Entry[] {
    const out = this.entries;
    this.entries = [];
    this.bytes = 0;
    return out;
  }
}
