/** The service limits that shape every batch, per destination. */
import type { DestinationConfig, FlowConfig } from '../config/types.js';
import { codecFor, maxInputFor } from './compression.js';

const KIB = 1024;
const MIB = 1024 * KIB;

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

/** Kinesis Data Streams PutRecords. */
export const PUT_RECORDS: ApiLimits = {
  recordsPerCall: 500,
  bytesPerCall: 5 * MIB,
  bytesPerRecord: 1 * MIB,
  countsPartitionKey: true,
};

/** Firehose PutRecordBatch. */
export const PUT_RECORD_BATCH: ApiLimits = {
  recordsPerCall: 500,
  bytesPerCall: 4 * MIB,
  bytesPerRecord: 1000 * KIB,
  countsPartitionKey: false,
};

/** Partition keys are at most 256 characters; our generated ones are ASCII. */
export const MAX_PARTITION_KEY_CHARS = 256;

export function limitsFor(kind: DestinationConfig['kind']): ApiLimits {
  return kind === 'kinesis' ? PUT_RECORDS : PUT_RECORD_BATCH;
}

/**
 * The largest record data the destination takes, which the tailer uses to
 * cut over-long lines. For Streams the partition key shares the 1 MiB, so
 * room for the longest key is kept unless the caller knows better.
 */
export function maxRecordBytes(
  destination: DestinationConfig | DestinationConfig['kind'],
  partitionKeyAllowance = MAX_PARTITION_KEY_CHARS,
): number {
  const limits = limitsFor(typeof destination === 'string' ? destination : destination.kind);
  return limits.countsPartitionKey ? limits.bytesPerRecord - partitionKeyAllowance : limits.bytesPerRecord;
}

/**
 * The largest record the tailer hands on for a flow: the destination's
 * limit (`limits`, as learned at start for a stream with larger records), or with `compression` the largest input whose compressed form
 * always fits in it.
 */
export function maxSourceRecordBytes(flow: FlowConfig, limits: ApiLimits = limitsFor(flow.destination.kind)): number {
  const limit = limits.countsPartitionKey ? limits.bytesPerRecord - MAX_PARTITION_KEY_CHARS : limits.bytesPerRecord;
  return flow.compression ? maxInputFor(codecFor(flow.compression), limit) : limit;
}
