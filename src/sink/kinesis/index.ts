/** Kinesis Data Streams: PutRecords, partition keys, KPL aggregation grouped by shard. */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { AdapterParts, CreateAdapterOptions, DestinationDescriptor } from '../descriptor.js';
import { PlainPacker } from '../entry.js';
import { KplPacker } from '../kpl-packer.js';
import { partitionKeyFn, randomPartitionKey } from '../partition-key.js';
import { KinesisAdapter } from './adapter.js';
import { PUT_RECORDS } from './limits.js';
import { checkKinesisKeysElsewhere, readKinesisOptions } from './options.js';

function create({ flow, context, clientConfig, log, conditions }: CreateAdapterOptions): AdapterParts {
  const adapter = new KinesisAdapter({
    client: new KinesisClient(clientConfig),
    context,
    log,
    conditions,
    routing: flow.aggregation && (flow.partitionKey.kind === 'DETERMINISTIC' || flow.partitionKey.kind === 'FIELD'),
  });
  if (!flow.aggregation) {
    return { adapter, packer: new PlainPacker(true, adapter.limits.bytesPerRecord, randomPartitionKey), keyOf: partitionKeyFn(flow.partitionKey) };
  }
  return {
    adapter,
    packer: new KplPacker((key) => adapter.route(key), adapter.limits.bytesPerRecord),
    // RANDOM keys mean nothing to consumers: an aggregate's one random key serves all inside it.
    keyOf: flow.partitionKey.kind === 'RANDOM' ? () => '' : partitionKeyFn(flow.partitionKey),
  };
}

export const KINESIS = {
  kind: 'kinesis',
  title: 'Kinesis Data Streams',
  streamNoun: 'Kinesis stream',
  streamKey: 'kinesisStream',
  // CreateStream: StreamName, 1..128 of [a-zA-Z0-9_.-].
  streamName: { pattern: /^[A-Za-z0-9_.-]{1,128}$/, hint: 'stream names are 1..128 characters of letters, digits, _ . and -' },
  // PutRecords and ListShards take StreamARN in place of StreamName.
  arn: { service: 'kinesis', resource: 'stream', sentAsArn: true },
  flowKeys: ['partitionKeyOption', 'partitionKey.constant', 'partitionKey.field', 'aggregation'],
  packingHint: '`aggregation: true` for KPL aggregation',
  limits: PUT_RECORDS,
  label: (streamName: string) => `KinesisStream:${streamName}`,
  permissions: { put: 'kinesis:PutRecords', also: 'kinesis:ListShards with aggregation' },
  // The SDK's Kinesis client speaks HTTP/2 by default.
  defaultHttp2: true,
  readOptions: readKinesisOptions,
  checkForeignKeys: (r, to, warnings) => checkKinesisKeysElsewhere(r, KINESIS, to, warnings),
  create,
} as const satisfies DestinationDescriptor<'kinesis'>;
