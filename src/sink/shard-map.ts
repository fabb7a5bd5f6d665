/**
 * Which shard a partition key lands on: Kinesis hashes the key with MD5 and
 * reads the digest as a 128-bit integer, which falls in exactly one open
 * shard's hash key range.
 */
import { hash } from 'node:crypto';

export interface ShardRange {
  shardId: string;
  start: bigint;
  end: bigint;
}

export function hashKeyOf(partitionKey: string): bigint {
  return BigInt(`0x${hash('md5', partitionKey, 'hex')}`);
}

export class ShardMap {
  private readonly ranges: ShardRange[];

  constructor(ranges: ShardRange[]) {
    this.ranges = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  }

  get size(): number {
    return this.ranges.length;
  }

  shardOf(partitionKey: string): string | undefined {
    const h = hashKeyOf(partitionKey);
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid]!;
      if (h < r.start) hi = mid - 1;
      else if (h > r.end) lo = mid + 1;
      else return r.shardId;
    }
    return undefined;
  }
}
