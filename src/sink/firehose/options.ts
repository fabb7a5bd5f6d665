/** The flow key Firehose owns: `aggregatedRecordSizeBytes`, packing whole lines into larger records. */
import { keyTable } from '../../config/key-row.js';
import type { Reader } from '../../config/reader.js';
import type { DestinationDescriptor, DestinationOptions, KeyWarnings } from '../descriptor.js';
import { PUT_RECORD_BATCH } from './limits.js';

/** The flow keys of Firehose, one row each (src/config/key-row.ts). */
export const FIREHOSE_KEYS = keyTable({
  deliveryStream: {
    type: 'string',
    description:
      'Firehose stream to send to: its name, or its ARN (`arn:aws:firehose:<region>:<account>:deliverystream/<name>`). PutRecordBatch takes only a name, so the ARN gives the name and the region; to write to another account\'s stream, assume a role of that account (`assumeRoleARN`). A flow sends to one destination: given both `kinesisStream` and `deliveryStream`, it is a Firehose flow, as in the Kinesis Agent, and `kinesisStream` is ignored with a warning.',
  },
  aggregatedRecordSizeBytes: {
    type: 'int',
    default: 0,
    min: 0,
    max: PUT_RECORD_BATCH.bytesPerRecord,
    unit: 'bytes',
    description: 'Firehose: pack whole lines into records of at most this size; 0 is off. On a Streams flow: no effect (warning; use `aggregation`).',
    differs: 'lines are packed after processing and multi-line entries stay whole; the Kinesis Agent packs raw lines before its processors and lets a record pass the size by one line (docs/delivery.md)',
  },
});

/** `firehose.endpoint` and `firehose.region`: at the top level, and in a Firehose flow over the top-level ones. */
export const FIREHOSE_SERVICE_KEYS = keyTable({
  'firehose.endpoint': {
    type: 'string',
    unit: 'URL',
    allowEmpty: true,
    defaultText: 'the region\'s',
    description: 'Firehose endpoint, written as `kinesis.endpoint`; empty means the default.',
  },
  'firehose.region': {
    type: 'string',
    allowEmpty: true,
    ours: true,
    defaultText: 'as `kinesis.region`',
    description: 'Region for Firehose.',
    differs: 'the Kinesis Agent\'s Firehose client uses `us-east-1` unless `firehose.endpoint` names another region',
  },
});

const KEY = FIREHOSE_KEYS.aggregatedRecordSizeBytes.name;

function readSize(r: Reader): number {
  return r.read(FIREHOSE_KEYS.aggregatedRecordSizeBytes);
}

/** A Firehose flow's packing target; its records have no partition key and no KPL aggregation. */
export function readFirehoseOptions(r: Reader): DestinationOptions {
  const out: DestinationOptions = { partitionKey: { kind: 'RANDOM' }, aggregation: false };
  if (r.has(KEY)) {
    const n = readSize(r);
    if (n > 0) out.aggregatedRecordSizeBytes = n;
  }
  return out;
}

/** `aggregatedRecordSizeBytes` in a flow that sends to `to`: checked, and warned about as without effect. */
export function checkFirehoseKeysElsewhere(r: Reader, own: DestinationDescriptor, to: DestinationDescriptor, warnings: KeyWarnings): void {
  if (!r.has(KEY)) return;
  readSize(r);
  warnings.noEffect(r, KEY, `has no effect on a ${to.title} flow: it packs ${own.title} records; use ${to.packingHint}`);
}
