/** Firehose PutRecordBatch limits (AWS API reference, PutRecordBatch). */
import type { ApiLimits } from '../limits.js';

const KIB = 1024;
const MIB = 1024 * KIB;

/** 500 records and 4 MiB a call, 1,000 KiB a record; there are no partition keys. */
export const PUT_RECORD_BATCH: ApiLimits = {
  recordsPerCall: 500,
  bytesPerCall: 4 * MIB,
  bytesPerRecord: 1000 * KIB,
  countsPartitionKey: false,
};
