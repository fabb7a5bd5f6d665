import type { MetricDatum } from '@aws-sdk/client-cloudwatch';

/** PutMetricData: at most 1000 metrics and 1 MB per call (API reference). Kept below both. */
export const MAX_DATUMS_PER_CALL = 1000;
export const MAX_BYTES_PER_CALL = 900_000;

/**
 * Datums waiting for CloudWatch, bounded: when full, the oldest go first, and
 * are counted. An outage of any length costs a fixed amount of memory and
 * nothing else.
 */
export class DatumQueue {
  private items: MetricDatum[] = [];
  /** Datums thrown away since start (full queue, or refused as invalid). */
  dropped = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.items.length;
  }

  push(datums: MetricDatum[]): number {
    this.items.push(...datums);
    return this.trim();
  }

  /** Puts an unsent batch back in front, where it was. */
  unshift(datums: MetricDatum[]): number {
    this.items.unshift(...datums);
    return this.trim();
  }

  /** The oldest datums that fit one PutMetricData call. */
  takeBatch(): MetricDatum[] {
    let bytes = 200; // namespace and envelope
    let n = 0;
    while (n < this.items.length && n < MAX_DATUMS_PER_CALL) {
      const size = estimateSize(this.items[n]!);
      if (n > 0 && bytes + size > MAX_BYTES_PER_CALL) break;
      bytes += size;
      n += 1;
    }
    return this.items.splice(0, n);
  }

  /** Drops datums CloudWatch would refuse for age (over two weeks old). */
  dropOlderThan(cutoff: number): number {
    const before = this.items.length;
    this.items = this.items.filter((d) => !(d.Timestamp instanceof Date) || d.Timestamp.getTime() >= cutoff);
    const gone = before - this.items.length;
    this.dropped += gone;
    return gone;
  }

  private trim(): number {
    const over = this.items.length - this.capacity;
    if (over <= 0) return 0;
    this.items.splice(0, over);
    this.dropped += over;
    return over;
  }
}

function estimateSize(d: MetricDatum): number {
  // The JSON body the SDK sends; a little over for the timestamp's form.
  return JSON.stringify(d).length + 16;
}
