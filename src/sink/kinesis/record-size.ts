/**
 * Large records on Kinesis Data Streams. A stream takes records up to its
 * `MaxRecordSizeInKiB` (1024 by default, raised up to 10240 by
 * UpdateMaxRecordSize), which `DescribeStreamSummary` reports in
 * `StreamDescriptionSummary.MaxRecordSizeInKiB` (AWS Kinesis API
 * reference). PutRecords then takes up to 10 MiB in one call, partition
 * keys included; a stream at 1 MiB keeps the long-standing 5 MiB per call.
 */
import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { ApiLimits } from '../limits.js';
import { PUT_RECORDS } from './limits.js';

const KIB = 1024;
const MIB = 1024 * KIB;

import { MAX_RECORD_KIB, MIN_RECORD_KIB } from '../../config/flow-options.js';

const READ_TIMEOUT_MS = 5000;

/** Where a flow's record size limit came from, for the log and /status. */
export type RecordLimitSource = 'config' | 'DescribeStreamSummary' | 'default';

export interface RecordLimit {
  kib: number;
  source: RecordLimitSource;
}

/** PutRecords' limits for a stream whose records may be `kib` KiB. */
export function putRecordsLimits(kib: number): ApiLimits {
  if (kib <= MIN_RECORD_KIB) return PUT_RECORDS;
  return { ...PUT_RECORDS, bytesPerRecord: kib * KIB, bytesPerCall: 10 * MIB };
}

/**
 * The stream's record size limit: `configured` (the flow's
 * `maxRecordSizeKiB`) when given, else DescribeStreamSummary's answer,
 * else (no permission, an old endpoint without the field) 1 MiB. Never
 * throws; `onError` hears why the answer was not used.
 */
export async function readRecordLimit(
  client: KinesisClient,
  target: { StreamName: string } | { StreamARN: string },
  configured: number | undefined,
  onError: (err: Error) => void,
): Promise<RecordLimit> {
  if (configured !== undefined) return { kib: configured, source: 'config' };
  try {
    // Bounded: an unreachable endpoint at start must not hold the flow's reading for long.
    const out = await client.send(new DescribeStreamSummaryCommand(target), { abortSignal: AbortSignal.timeout(READ_TIMEOUT_MS) });
    const kib = out.StreamDescriptionSummary?.MaxRecordSizeInKiB;
    if (typeof kib === 'number' && kib >= MIN_RECORD_KIB && kib <= MAX_RECORD_KIB) return { kib, source: 'DescribeStreamSummary' };
  } catch (err) {
    onError(err as Error);
  }
  return { kib: MIN_RECORD_KIB, source: 'default' };
}
