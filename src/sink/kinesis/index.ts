/** Kinesis Data Streams: PutRecords, partition keys, KPL aggregation grouped by shard. */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { AdapterParts, CreateAdapterOptions, DestinationDescriptor } from '../descriptor.js';
import { codecFor, maxInputFor } from '../compression.js';
import { PlainPacker } from '../entry.js';
import { KplPacker } from '../kpl-packer.js';
import { partitionKeyFn } from '../partition-key.js';
import { KinesisAdapter } from './adapter.js';
import { PUT_RECORDS } from './limits.js';
import { checkKinesisKeysElsewhere, KINESIS_KEYS, KINESIS_SERVICE_KEYS, readKinesisOptions } from './options.js';

function create({ flow, context, clientConfig, log, conditions, transport }: CreateAdapterOptions): AdapterParts {
  const adapter = new KinesisAdapter({
    client: new KinesisClient(clientConfig),
    transport,
    context,
    log,
    conditions,
    routing: flow.aggregation && (flow.partitionKey.kind === 'DETERMINISTIC' || flow.partitionKey.kind === 'FIELD'),
    maxRecordSizeKiB: flow.maxRecordSizeKiB,
  });
  if (!flow.aggregation) {
    // The stream's limit is learned at start (record-size.ts): read it when a record is packed.
    // A RANDOM key ('', and the short key for a record a long key would push over) is drawn as the body is written.
    return { adapter, packer: new PlainPacker(true, () => adapter.limits.bytesPerRecord, () => ''), keyOf: partitionKeyFn(flow.partitionKey) };
  }
  // Aggregates stay within 1 MiB on any stream; compressed whole, they leave room for the worst case.
  const aggregateLimit = flow.compression ? maxInputFor(codecFor(flow.compression), PUT_RECORDS.bytesPerRecord) : PUT_RECORDS.bytesPerRecord;
  return {
    adapter,
    packer: new KplPacker((key) => adapter.route(key), aggregateLimit),
    // RANDOM keys mean nothing to consumers: an aggregate's one random key serves all inside it.
    keyOf: flow.partitionKey.kind === 'RANDOM' ? () => '' : partitionKeyFn(flow.partitionKey),
  };
}

export const KINESIS = {
  kind: 'kinesis',
  title: 'Kinesis Data Streams',
  streamNoun: 'Kinesis stream',
  streamKey: KINESIS_KEYS.kinesisStream.name,
  // CreateStream: StreamName, 1..128 of [a-zA-Z0-9_.-].
  streamName: { pattern: /^[A-Za-z0-9_.-]{1,128}$/, hint: 'stream names are 1..128 characters of letters, digits, _ . and -' },
  // PutRecords and ListShards take StreamARN in place of StreamName.
  arn: { service: 'kinesis', resource: 'stream', sentAsArn: true },
  keys: {
    stream: KINESIS_KEYS.kinesisStream,
    flow: [KINESIS_KEYS.partitionKeyOption, KINESIS_KEYS['partitionKey.constant'], KINESIS_KEYS['partitionKey.field'], KINESIS_KEYS.aggregation],
    service: Object.values(KINESIS_SERVICE_KEYS),
  },
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
