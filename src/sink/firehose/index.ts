/** Firehose: PutRecordBatch, no partition keys, short lines packed into larger records. */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import type { AdapterParts, CreateAdapterOptions, DestinationDescriptor } from '../descriptor.js';
import { codecFor, maxInputFor } from '../compression.js';
import { PlainPacker } from '../entry.js';
import { FirehoseAdapter } from './adapter.js';
import { PUT_RECORD_BATCH } from './limits.js';
import { checkFirehoseKeysElsewhere, FIREHOSE_KEYS, FIREHOSE_SERVICE_KEYS, readFirehoseOptions } from './options.js';
import { LinePacker } from './packer.js';

function create({ flow, context, clientConfig, transport }: CreateAdapterOptions): AdapterParts {
  const adapter = new FirehoseAdapter(new FirehoseClient(clientConfig), context, transport);
  // Packed records are compressed whole: before compression they leave room for the worst case.
  const limit = flow.compression ? maxInputFor(codecFor(flow.compression), adapter.limits.bytesPerRecord) : adapter.limits.bytesPerRecord;
  const packer = flow.aggregatedRecordSizeBytes ? new LinePacker(flow.aggregatedRecordSizeBytes, limit) : new PlainPacker(false);
  return { adapter, packer };
}

export const FIREHOSE = {
  kind: 'firehose',
  title: 'Firehose',
  streamNoun: 'Firehose delivery stream',
  streamKey: FIREHOSE_KEYS.deliveryStream.name,
  // The agent has always taken Kinesis's rule here; CreateDeliveryStream's own is 1..64 of the same characters.
  streamName: { pattern: /^[A-Za-z0-9_.-]{1,128}$/, hint: 'stream names are 1..128 characters of letters, digits, _ . and -' },
  // PutRecordBatch has only DeliveryStreamName: an ARN gives the name and the region.
  arn: { service: 'firehose', resource: 'deliverystream', sentAsArn: false },
  keys: { stream: FIREHOSE_KEYS.deliveryStream, flow: [FIREHOSE_KEYS.aggregatedRecordSizeBytes], service: Object.values(FIREHOSE_SERVICE_KEYS) },
  packingHint: 'aggregatedRecordSizeBytes packs lines into larger records',
  limits: PUT_RECORD_BATCH,
  label: (streamName: string) => `DeliveryStream:${streamName}`,
  permissions: { put: 'firehose:PutRecordBatch' },
  defaultHttp2: false,
  readOptions: readFirehoseOptions,
  checkForeignKeys: (r, to, warnings) => checkFirehoseKeysElsewhere(r, FIREHOSE, to, warnings),
  create,
} as const satisfies DestinationDescriptor<'firehose'>;
