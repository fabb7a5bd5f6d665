/** What the delivery core needs from a destination's API: send entries, report which failed. */
import type { Entry } from './entry.js';
import type { ApiLimits } from './limits.js';
import type { DestinationContext } from './errors.js';

export interface EntryFailure {
  /** Position of the entry in the call. */
  index: number;
  code: string;
  message: string;
}

export interface DestinationAdapter {
  readonly context: DestinationContext;
  /** The API's limits; a Kinesis stream's may grow at start (large records, see record-size.ts). */
  readonly limits: ApiLimits;
  /** Learns the destination's record size limit into `limits`; resolves when known (or given up on). */
  learnLimits?(): Promise<void>;
  /**
   * One PutRecords / PutRecordBatch call. Resolves with the entries the
   * answer reports failed; rejects when the call failed as a whole.
   */
  send(entries: Entry[], signal: AbortSignal): Promise<EntryFailure[]>;
  /** Something failed; routing knowledge (shards) may be stale. */
  invalidate?(): void;
  /** Start-up work (learning shards); resolves when done, failed or not. */
  start?(): Promise<void>;
  /** Resolves when background work started since (a shard refresh) is done. */
  settled?(): Promise<void>;
  close(): void;
}
