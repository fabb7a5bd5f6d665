/**
 * The flow keys Kinesis Data Streams owns: the partition key
 * (`partitionKeyOption` RANDOM | DETERMINISTIC, the Kinesis Agent's; or ours,
 * `partitionKey: {constant}` | `{field}`) and KPL `aggregation`.
 */
import type { PartitionKeySpec } from '../../config/types.js';
import type { Reader } from '../../config/reader.js';
import type { DestinationDescriptor, DestinationOptions, KeyWarnings } from '../descriptor.js';
import { MAX_PARTITION_KEY_CHARS } from '../limits.js';

const KEY_OPTIONS = ['RANDOM', 'DETERMINISTIC'] as const;

/** The partition key and aggregation of a flow that sends to Kinesis Data Streams. */
export function readKinesisOptions(r: Reader): DestinationOptions {
  const partitionKey = readPartitionKey(r);
  const aggregation = r.has('aggregation') ? r.bool('aggregation', false) : false;
  return { partitionKey, aggregation };
}

/**
 * Kinesis keys in a flow that sends to `to`, whose records have no
 * partition key: `partitionKeyOption` (which the Kinesis Agent accepted on
 * any flow) is warned about; a partition key of ours and `aggregation: true`
 * are rejected.
 */
export function checkKinesisKeysElsewhere(r: Reader, own: DestinationDescriptor, to: DestinationDescriptor, warnings: KeyWarnings): void {
  if (r.has('partitionKeyOption')) {
    r.enumOf('partitionKeyOption', KEY_OPTIONS, 'RANDOM');
    warnings.noEffect(r, 'partitionKeyOption', `has no effect on a ${to.title} flow: ${to.title} records have no partition key`);
  }
  const hasConstant = r.has('partitionKey.constant');
  if (hasConstant || r.has('partitionKey.field')) {
    r.failKey(hasConstant ? 'partitionKey.constant' : 'partitionKey.field', `applies to ${own.title} flows only`, `${to.title} records have no partition key; remove it`);
  }
  if (r.has('aggregation') && r.bool('aggregation', false)) {
    r.fail('aggregation', `applies to ${own.title} flows only`, `for ${to.title}, ${to.packingHint}`);
  }
}

function readPartitionKey(r: Reader): PartitionKeySpec {
  const hasOption = r.has('partitionKeyOption');
  const hasConstant = r.has('partitionKey.constant');
  const hasField = r.has('partitionKey.field');
  if (hasConstant && hasField) {
    r.failKey('partitionKey.field', 'is given together with `partitionKey.constant`', 'a partition key is either a constant or a field, not both');
    return { kind: 'RANDOM' };
  }
  if ((hasConstant || hasField) && hasOption) {
    r.failKey('partitionKeyOption', 'is given together with `partitionKey`', 'use partitionKeyOption (RANDOM | DETERMINISTIC) or partitionKey ({constant: ...} | {field: ...}), not both');
    return { kind: 'RANDOM' };
  }
  if (hasConstant) {
    const v = r.str('partitionKey.constant');
    if (v === undefined) return { kind: 'RANDOM' };
    if (v.length > MAX_PARTITION_KEY_CHARS) r.fail('partitionKey.constant', `is ${v.length} characters; Kinesis allows ${MAX_PARTITION_KEY_CHARS}`);
    return { kind: 'CONSTANT', value: v };
  }
  if (hasField) {
    const v = r.str('partitionKey.field');
    return v === undefined ? { kind: 'RANDOM' } : { kind: 'FIELD', field: v };
  }
  return { kind: r.enumOf('partitionKeyOption', KEY_OPTIONS, 'RANDOM') };
}
