/** The shape of a destination's service limits, which cut every batch; each destination's own are in sink/<kind>/limits.ts. */
import type { FlowConfig } from '../config/types.js';
import { codecFor, maxInputFor } from './compression.js';

export interface ApiLimits {
  /** Entries one call may carry. */
  recordsPerCall: number;
  /** Bytes one call may carry (record data, plus partition keys where counted). */
  bytesPerCall: number;
  /** Bytes one entry may carry (data, plus its partition key where counted). */
  bytesPerRecord: number;
  /** PutRecords counts partition keys against its limits; PutRecordBatch has none. */
  countsPartitionKey: boolean;
}

/** Partition keys are at most 256 characters; our generated ones are ASCII. */
export const MAX_PARTITION_KEY_CHARS = 256;

/**
 * The largest record the tailer hands on for a flow: the destination's
 * limit (`limits`, as learned at start for a stream with larger records), or with `compression` the largest input whose compressed form
 * always fits in it.
 */
export function maxSourceRecordBytes(flow: FlowConfig, limits: ApiLimits): number {
  const limit = limits.countsPartitionKey ? limits.bytesPerRecord - MAX_PARTITION_KEY_CHARS : limits.bytesPerRecord;
  return flow.compression ? maxInputFor(codecFor(flow.compression), limit) : limit;
}
