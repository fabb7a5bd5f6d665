/** What a batch is made of: API entries that each carry one or more user records. */
import type { SourceRecord } from '../pipeline/types.js';

export interface Entry {
  /** The bytes of one API record (a line, a KPL aggregate, or packed lines). */
  data: Buffer;
  /** Streams only; '' for Firehose. */
  partitionKey: string;
  /** The user records inside, acknowledged together when the entry is delivered. */
  records: SourceRecord[];
  /** Sum of the user records' data lengths: what they hold in the queue. */
  userBytes: number;
  /** The shard this entry was grouped for (KPL); an answer naming another means the shard map is stale. */
  shardId?: string;
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

/** One user record, one entry. */
export class PlainPacker implements Packer {
  private entries: Entry[] = [];
  private bytes = 0;

  /**
   * @param countsKey the partition key counts against the API's limits (Streams)
   * @param maxEntryBytes the API's per-record limit (a function: a stream's, learned at start)
   * @param shortKey a short key for records whose own key would push them over that limit
   */
  constructor(
    private readonly countsKey: boolean,
    private readonly maxEntryBytes: number | (() => number) = Infinity,
    private readonly shortKey: () => string = () => '',
  ) {}

  /** A record near the limit keeps its bytes; a long (e.g. multi-byte FIELD) key gives way. */
  private keyFor(record: SourceRecord, key: string): string {
    const max = typeof this.maxEntryBytes === 'function' ? this.maxEntryBytes() : this.maxEntryBytes;
    if (!this.countsKey || record.data.length + key.length * 4 <= max) return key;
    return record.data.length + Buffer.byteLength(key) <= max ? key : this.shortKey();
  }

  get entryCount(): number {
    return this.entries.length;
  }

  get byteCount(): number {
    return this.bytes;
  }

  cost(record: SourceRecord, key: string): Cost {
    return { entries: 1, bytes: record.data.length + (this.countsKey ? Buffer.byteLength(this.keyFor(record, key)) : 0) };
  }

  add(record: SourceRecord, key: string): void {
    const k = this.keyFor(record, key);
    this.bytes += record.data.length + (this.countsKey ? Buffer.byteLength(k) : 0);
    this.entries.push({ data: record.data, partitionKey: k, records: [record], userBytes: record.data.length });
  }

  take(): Entry[] {
    const out = this.entries;
    this.entries = [];
    this.bytes = 0;
    return out;
  }
}
