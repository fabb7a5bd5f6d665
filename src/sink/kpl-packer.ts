/**
 * Packs user records into KPL aggregated records, one open aggregate per
 * shard, so every user record still lands on the shard its own partition key
 * hashes to. The aggregate carries the key of its first user record, which
 * routes to that same shard.
 */
import type { SourceRecord } from '../pipeline/types.js';
import type { Cost, Entry, Packer } from './entry.js';
import { AggregateBuilder } from './kpl.js';
import { randomPartitionKey } from './partition-key.js';

/**
 * Names the group a partition key's records share: its shard, or when shards
 * are unknown any other name that is the same for the same key.
 */
export interface Router {
  (key: string): string;
}

/** Whether a group name is a shard id, which the answer can confirm. */
export type IsShard = (group: string) => boolean;

interface OpenAggregate {
  group: string;
  key: string;
  keyBytes: number;
  builder: AggregateBuilder;
  records: SourceRecord[];
  userBytes: number;
}

export class KplPacker implements Packer {
  private readonly open = new Map<string, OpenAggregate>();
  private closed: Entry[] = [];
  private bytes = 0;

  /**
   * @param route groups keys by shard
   * @param maxEntryBytes the API's per-record limit, partition key included
   */
  constructor(
    private readonly route: Router,
    private readonly maxEntryBytes: number,
    private readonly isShard: IsShard = () => false,
  ) {}

  get entryCount(): number {
    return this.closed.length + this.open.size;
  }

  get byteCount(): number {
    return this.bytes;
  }

  private group(key: string): string {
    // RANDOM keys carry no meaning: all share one aggregate and its own random key.
    return key === '' ? '' : `s:${this.route(key)}`;
  }

  private fitsIn(agg: OpenAggregate, key: string, dataBytes: number): boolean {
    return agg.builder.sizeWith(key || agg.key, dataBytes) + agg.keyBytes <= this.maxEntryBytes;
  }

  cost(record: SourceRecord, key: string): Cost {
    const len = record.data.length;
    const agg = this.open.get(this.group(key));
    if (agg && this.fitsIn(agg, key, len)) {
      return { entries: 0, bytes: agg.builder.sizeWith(key || agg.key, len) - agg.builder.size };
    }
    const aggKey = key || randomPartitionKey();
    const keyBytes = Buffer.byteLength(aggKey);
    return { entries: 1, bytes: new AggregateBuilder().sizeWith(aggKey, len) + keyBytes };
  }

  add(record: SourceRecord, key: string): void {
    const len = record.data.length;
    const group = this.group(key);
    let agg = this.open.get(group);
    if (agg && !this.fitsIn(agg, key, len)) {
      this.close(group, agg);
      agg = undefined;
    }
    if (!agg) {
      const aggKey = key || randomPartitionKey();
      agg = { group, key: aggKey, keyBytes: Buffer.byteLength(aggKey), builder: new AggregateBuilder(), records: [], userBytes: 0 };
      if (!this.fitsIn(agg, key, len)) {
        // Too big for any aggregate: it travels as a plain record, which consumers read as is.
        this.closed.push({ data: record.data, partitionKey: aggKey, records: [record], userBytes: len });
        this.bytes += len + agg.keyBytes;
        return;
      }
      this.open.set(group, agg);
      this.bytes += agg.builder.size + agg.keyBytes;
    }
    const before = agg.builder.size;
    agg.builder.add(key || agg.key, record.data);
    agg.records.push(record);
    agg.userBytes += len;
    this.bytes += agg.builder.size - before;
  }

  private close(group: string, agg: OpenAggregate): void {
    this.open.delete(group);
    const only = agg.records.length === 1 ? agg.records[0] : undefined;
    // A lone record gains nothing from the envelope; send it plain.
    const data = only ? only.data : agg.builder.encode();
    const entry: Entry = { data, partitionKey: agg.key, records: agg.records, userBytes: agg.userBytes };
    const shard = agg.group.slice(2);
    if (agg.group.startsWith('s:') && this.isShard(shard)) entry.shardId = shard;
    this.closed.push(entry);
  }

  take(): Entry[] {
    for (const [group, agg] of this.open) this.close(group, agg);
    const out = this.closed;
    this.closed = [];
    this.bytes = 0;
    return out;
  }
}
