/** The shape of a destination's service limits, which cut every batch; each destination's own are in sink/<kind>/limits.ts. */

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
