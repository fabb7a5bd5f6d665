/** Kinesis Data Streams PutRecords limits (AWS API reference, PutRecords). */
import type { ApiLimits } from '../limits.js';

const MIB = 1024 * 1024;

/** 500 records and 5 MiB a call, 1 MiB a record; partition keys count against both. */
export const PUT_RECORDS: ApiLimits = {
  recordsPerCall: 500,
  bytesPerCall: 5 * MIB,
  bytesPerRecord: 1 * MIB,
  countsPartitionKey: true,
};
