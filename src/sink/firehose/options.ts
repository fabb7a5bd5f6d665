/** The flow key Firehose owns: `aggregatedRecordSizeBytes`, packing whole lines into larger records. */
import type { Reader } from '../../config/reader.js';
import type { DestinationDescriptor, DestinationOptions, KeyWarnings } from '../descriptor.js';
import { PUT_RECORD_BATCH } from './limits.js';

const KEY = 'aggregatedRecordSizeBytes';

function readSize(r: Reader): number {
  return r.int(KEY, 0, { min: 0, max: PUT_RECORD_BATCH.bytesPerRecord });
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
