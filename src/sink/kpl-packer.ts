/**
 * Packs user records into KPL aggregated records, one open aggregate per
 * shard, so every user record still lands on the shard its own partition key
 * hashes to. The aggregate carries the key of its first user record, which
 * routes to that same shard.
 */
import { dataLength } from '../pipeline/line.js';
import type { SourceRecord } from '../pipeline/types.js';
import type { Cost, Entry, Packer } from './entry.js';
import { AggregateBuilder } from './kpl.js';
import { randomPartitionKey } from './partition-key.js';

/**
 * Which user records may share one aggregate: those of one shard (the
 * aggregate then carries the shard id, which the answer can confirm), those
 * of one partition key while shards are unknown, or, for RANDOM keys, which
 * carry no meaning, all of them under one random key.
 */
export type KplGroup = { kind: 'shard'; shardId: string } | { kind: 'key'; key: string } | { kind: 'random' };

/** The group of a partition key's records: its shard when the shard map is known. */
export type Router = (key: string) => Exclude<KplGroup, { kind: 'random' }>;

/** A Map key for a group (one open aggregate per group). */
function groupKey(group: KplGroup): string {
  switch (group.kind) {
    case 'shard':
      return `s:${group.shardId}`;
    case 'key':
      return `k:${group.key}`;
    case 'random':
      return '';
  }
}

interface OpenAggregate {
  group: KplGroup;
  key: string;
  keyBytes: number;
  builder: AggregateBuilder;
  records: SourceRecord[];
  userBytes: number;
}

/** The one group of RANDOM keys: no object per record. */
const RANDOM: KplGroup = { kind: 'random' };

/** What cost() found for a record, kept for the add() that follows it. */
interface Placement {
  record: SourceRecord | undefined;
  key: string;
  len: number;
  group: KplGroup;
  name: string;
  /** The group's open aggregate, if any. */
  agg: OpenAggregate | undefined;
  /** Whether the record fits in `agg`, and the aggregate's encoded size with it (bytes). */
  fits: boolean;
  sizeWith: number;
}

export class KplPacker implements Packer {
  private readonly open = new Map<string, OpenAggregate>();
  private closed: Entry[] = [];
  private bytes = 0;
  /**
   * The batcher asks cost() and then add() of each record: the group (for
   * DETERMINISTIC keys a shard, an MD5 of the key), the lookup of its open
   * aggregate and the size with the record are found once. Forgotten
   * whenever the open aggregates change.
   */
  private readonly found: Placement = { record: undefined, key: '', len: 0, group: RANDOM, name: '', agg: undefined, fits: false, sizeWith: 0 };

  /**
   * @param route groups keys by shard
   * @param maxEntryBytes the API's per-record limit, partition key included
   */
  constructor(
    private readonly route: Router,
    private readonly maxEntryBytes: number,
  ) {}

  get entryCount(): number {
    return this.closed.length + this.open.size;
  }

  get byteCount(): number {
    return this.bytes;
  }

  /** Where `record` goes under `key` ('' is a RANDOM key, see KplGroup). */
  private place(record: SourceRecord, key: string): Placement {
    const f = this.found;
    if (f.record === record && f.key === key) return f;
    const len = dataLength(record);
    const group = key === '' ? RANDOM : this.route(key);
    const name = groupKey(group);
    const agg = this.open.get(name);
    f.record = record;
    f.key = key;
    f.len = len;
    f.group = group;
    f.name = name;
    f.agg = agg;
    f.sizeWith = agg ? agg.builder.sizeWith(key || agg.key, len) : 0;
    f.fits = agg !== undefined && this.fits(agg, f.sizeWith);
    return f;
  }

  /** Whether `agg` at `sizeWith` bytes (a record added) stays within the API's per-record limit, its key included. */
  private fits(agg: OpenAggregate, sizeWith: number): boolean {
    return sizeWith + agg.keyBytes <= this.maxEntryBytes;
  }

  /** The open aggregates change: what place() found no longer holds, and must not keep an aggregate alive. */
  private forget(): void {
    this.found.record = undefined;
    this.found.agg = undefined;
  }

  cost(record: SourceRecord, key: string): Cost {
    const f = this.place(record, key);
    if (f.fits) return { entries: 0, bytes: f.sizeWith - f.agg!.builder.size };
    const aggKey = key || randomPartitionKey();
    const keyBytes = Buffer.byteLength(aggKey);
    return { entries: 1, bytes: new AggregateBuilder().sizeWith(aggKey, f.len) + keyBytes };
  }

  add(record: SourceRecord, key: string): void {
    const { len, group, name, fits, agg: placed } = this.place(record, key);
    this.forget();
    let agg = placed;
    if (agg && !fits) {
      this.close(name, agg);
      agg = undefined;
    }
    if (!agg) {
      const aggKey = key || randomPartitionKey();
      agg = { group, key: aggKey, keyBytes: Buffer.byteLength(aggKey), builder: new AggregateBuilder(), records: [], userBytes: 0 };
      if (!this.fits(agg, agg.builder.sizeWith(key || agg.key, len))) {
        // Too big for any aggregate: it travels as a plain record, which consumers read as is.
        this.closed.push({ data: record.data, partitionKey: aggKey, records: [record], userBytes: len });
        this.bytes += len + agg.keyBytes;
        return;
      }
      this.open.set(name, agg);
      this.bytes += agg.builder.size + agg.keyBytes;
    }
    const before = agg.builder.size;
    agg.builder.addRecord(key || agg.key, record);
    agg.records.push(record);
    agg.userBytes += len;
    this.bytes += agg.builder.size - before;
  }

  private close(name: string, agg: OpenAggregate): void {
    this.open.delete(name);
    const only = agg.records.length === 1 ? agg.records[0] : undefined;
    // A lone record gains nothing from the envelope; send it plain.
    const data = only ? only.data : agg.builder.encode();
    const entry: Entry = { data, partitionKey: agg.key, records: agg.records, userBytes: agg.userBytes };
    if (!only) entry.packed = true;
    if (agg.group.kind === 'shard') entry.shardId = agg.group.shardId;
    this.closed.push(entry);
  }

  take(): Entry[] {
    this.forget();
    for (const [name, agg] of this.open) this.close(name, agg);
    const out = this.closed;
    this.closed = [];
    this.bytes = 0;
    return out;
  }
}
