/**
 * The flow keys Kinesis Data Streams owns: the partition key
 * (`partitionKeyOption` RANDOM | DETERMINISTIC, the Kinesis Agent's; or ours,
 * `partitionKey: {constant}` | `{field}`) and KPL `aggregation`.
 */
import type { PartitionKeySpec } from '../../config/types.js';
import { keyTable } from '../../config/key-row.js';
import type { Reader } from '../../config/reader.js';
import type { DestinationDescriptor, DestinationOptions, KeyWarnings } from '../descriptor.js';
import { MAX_PARTITION_KEY_CHARS } from '../limits.js';

/** The flow keys of Kinesis Data Streams, one row each (src/config/key-row.ts). */
export const KINESIS_KEYS = keyTable({
  kinesisStream: {
    type: 'string',
    description:
      'Kinesis data stream to send to: its name (1..128 of `A-Za-z0-9_.-`), or its ARN (a stream of another account: `arn:aws:kinesis:<region>:<account>:stream/<name>`, sent as `StreamARN`). A flow sends to one destination: given both `kinesisStream` and `deliveryStream`, it is a Firehose flow, as in the Kinesis Agent, and `kinesisStream` is ignored with a warning.',
  },
  partitionKeyOption: {
    type: 'enum',
    values: ['RANDOM', 'DETERMINISTIC'],
    default: 'RANDOM',
    description:
      'Streams: `RANDOM` keys spread records over shards; `DETERMINISTIC` keys are the MD5 hex of the record as sent, the key the Kinesis Agent computes, so equal records go to the same shard. On a Firehose flow: no effect (warning).',
  },
  'partitionKey.constant': {
    type: 'string',
    ours: true,
    description: `Streams: every record gets this partition key (1..${MAX_PARTITION_KEY_CHARS} characters). Nested spelling: \`partitionKey: {constant: key}\`. Not together with \`partitionKeyOption\` or \`partitionKey.field\`.`,
  },
  'partitionKey.field': {
    type: 'string',
    ours: true,
    description: 'Streams: the partition key is this top-level field of the processed JSON record (a random key when the record has no such field). Nested spelling: `partitionKey: {field: name}`.',
  },
  aggregation: {
    type: 'bool',
    default: false,
    ours: true,
    description: 'Streams: KPL aggregation, many records in one Kinesis record (consumers de-aggregate with the KCL).',
  },
});

/** `kinesis.endpoint` and `kinesis.region`: at the top level, and in a Streams flow over the top-level ones. */
export const KINESIS_SERVICE_KEYS = keyTable({
  'kinesis.endpoint': {
    type: 'string',
    unit: 'URL',
    allowEmpty: true,
    defaultText: 'the region\'s',
    description:
      'Kinesis Data Streams endpoint. A bare host (`kinesis.us-west-2.amazonaws.com`, as the Kinesis Agent\'s docs write it) gets `https://`; empty (`""`, as in the Kinesis Agent\'s default config) means the default.',
  },
  'kinesis.region': {
    type: 'string',
    allowEmpty: true,
    defaultText: 'from the endpoint host, else the default region chain: a flow\'s stream ARN, `AWS_REGION`, `AWS_DEFAULT_REGION`, the AWS profile\'s `region`, EC2 instance metadata, else `us-east-1` with a warning',
    description: 'Region for Kinesis Data Streams.',
  },
});

/** The partition key and aggregation of a flow that sends to Kinesis Data Streams. */
export function readKinesisOptions(r: Reader): DestinationOptions {
  const partitionKey = readPartitionKey(r);
  const aggregation = r.read(KINESIS_KEYS.aggregation);
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
    r.read(KINESIS_KEYS.partitionKeyOption);
    warnings.noEffect(r, 'partitionKeyOption', `has no effect on a ${to.title} flow: ${to.title} records have no partition key`);
  }
  const hasConstant = r.has('partitionKey.constant');
  if (hasConstant || r.has('partitionKey.field')) {
    r.failKey(hasConstant ? 'partitionKey.constant' : 'partitionKey.field', `applies to ${own.title} flows only`, `${to.title} records have no partition key; remove it`);
  }
  if (r.read(KINESIS_KEYS.aggregation)) {
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
  return { kind: r.read(KINESIS_KEYS.partitionKeyOption) };
}
