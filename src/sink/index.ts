/** Delivery: records in, PutRecords / PutRecordBatch calls out, acknowledgements back. */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { AgentConfig, FlowConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { FlowMetrics } from '../metrics/flow-metrics.js';
import { credentialsFor } from './credentials.js';
import { DeliveryCore, type Delivery } from './delivery.js';
import type { Destination } from './destination.js';
import { resolveEndpoint } from './endpoint.js';
import { PlainPacker, type Packer } from './entry.js';
import type { DestinationContext } from './errors.js';
import { FirehoseDestination } from './firehose.js';
import { LinePacker } from './firehose-packer.js';
import { KinesisDestination } from './kinesis.js';
import { KplPacker } from './kpl-packer.js';
import { partitionKeyFn, randomPartitionKey } from './partition-key.js';
import { proxyFor, requestHandlerFor } from './transport.js';

export type { Delivery } from './delivery.js';
export { DeliveryCore } from './delivery.js';
export { maxRecordBytes, PUT_RECORDS, PUT_RECORD_BATCH, type ApiLimits } from './limits.js';
export {
  DeliveryUserError,
  DestinationNotFoundError,
  DestinationAccessDeniedError,
  InvalidCredentialsError,
  MissingCredentialsError,
  EncryptionKeyError,
  InvalidRequestError,
} from './errors.js';

export interface CreateDeliveryOptions {
  flow: FlowConfig;
  agent: AgentConfig;
  metrics: FlowMetrics;
  log: Logger;
}

export function createDelivery(opts: CreateDeliveryOptions): Delivery {
  const { flow, agent, metrics, log } = opts;
  const kind = flow.destination.kind;
  const { endpoint, region } = resolveEndpoint(flow, agent);
  const context: DestinationContext = { kind, streamName: flow.destination.streamName, region, flowIndex: flow.index };
  // PutRecordBatch has no ARN field: a Firehose ARN gave the name and the region only.
  if (kind === 'kinesis' && flow.destination.arn) context.streamArn = flow.destination.arn.text;
  const clientConfig = {
    region,
    ...(endpoint ? { endpoint } : {}),
    credentials: credentialsFor(agent, region),
    // The delivery core owns retries; the SDK's would hide failures and double the waits.
    maxAttempts: 1,
    requestHandler: requestHandlerFor({ endpoint, defaultHttp2: kind === 'kinesis', connection: agent.connection, proxy: proxyFor(agent) }),
  };
  const callTimeoutMs = agent.connection.connectionTimeoutMillis + agent.connection.socketTimeoutMillis;

  let destination: Destination;
  let packer: Packer;
  let keyOf: (data: Buffer) => string;
  if (kind === 'kinesis') {
    const kinesis = new KinesisDestination({
      client: new KinesisClient(clientConfig),
      context,
      log,
      routing: flow.aggregation && (flow.partitionKey.kind === 'DETERMINISTIC' || flow.partitionKey.kind === 'FIELD'),
    });
    destination = kinesis;
    if (flow.aggregation) {
      packer = new KplPacker((key) => kinesis.route(key), kinesis.limits.bytesPerRecord);
      // RANDOM keys mean nothing to consumers: an aggregate's one random key serves all inside it.
      keyOf = flow.partitionKey.kind === 'RANDOM' ? () => '' : partitionKeyFn(flow.partitionKey);
    } else {
      packer = new PlainPacker(true, kinesis.limits.bytesPerRecord, randomPartitionKey);
      keyOf = partitionKeyFn(flow.partitionKey);
    }
  } else {
    const firehose = new FirehoseDestination(new FirehoseClient(clientConfig), context);
    destination = firehose;
    packer = flow.aggregatedRecordSizeBytes
      ? new LinePacker(flow.aggregatedRecordSizeBytes, firehose.limits.bytesPerRecord)
      : new PlainPacker(false);
    keyOf = () => '';
  }
  return new DeliveryCore({ flow, destination, packer, keyOf, metrics, log, callTimeoutMs });
}
