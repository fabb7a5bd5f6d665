/** Delivery: records in, PutRecords / PutRecordBatch calls out, acknowledgements back. */
import type { AgentConfig, FlowConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { FlowEvents } from '../events/flow-events.js';
import { credentialsFor } from '../aws/credentials.js';
import { DeliveryCore, type Delivery } from './delivery.js';
import type { ClientConfig } from './descriptor.js';
import { destinationOf } from './destinations.js';
import { resolveEndpoint } from './endpoint.js';
import { codecFor, CompressingPacker } from './compression.js';
import { PlainPacker } from './entry.js';
import type { DestinationContext } from './errors.js';
import { cborAllowed, proxyFor, putPathFor, requestHandlerFor, type TransportOptions } from '../aws/transport.js';
import { Sha256 } from '../aws/sha256.js';

export type { Delivery } from './delivery.js';
export { DeliveryCore } from './delivery.js';
export { maxSourceRecordBytes, type ApiLimits } from './limits.js';
export { PUT_RECORDS } from './kinesis/limits.js';
export { PUT_RECORD_BATCH } from './firehose/limits.js';
export { DESTINATIONS, DESTINATION_LIST, destinationOf, maxRecordBytes, perDestination, type DestinationKind } from './destinations.js';
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
  metrics: FlowEvents;
  log: Logger;
}

export function createDelivery(opts: CreateDeliveryOptions): Delivery {
  const { flow, agent, metrics, log } = opts;
  const descriptor = destinationOf(flow.destination.kind);
  const { endpoint, region } = resolveEndpoint(flow, agent);
  const context: DestinationContext = { kind: descriptor.kind, streamName: flow.destination.streamName, region, flowIndex: flow.index };
  // Where the put call has no ARN field (Firehose), an ARN gave the name and the region only.
  if (descriptor.arn.sentAsArn && flow.destination.arn) context.streamArn = flow.destination.arn.text;
  const transportOptions: TransportOptions = { endpoint, defaultHttp2: descriptor.defaultHttp2, connection: agent.connection, proxy: proxyFor(agent) };
  const clientConfig: ClientConfig = {
    region,
    ...(endpoint ? { endpoint } : {}),
    credentials: credentialsFor(agent, region),
    // The delivery core owns retries; the SDK's would hide failures and double the waits.
    maxAttempts: 1,
    requestHandler: requestHandlerFor(transportOptions),
    // The SDK's SigV4 signer hashing with HMAC keys made once, not per call.
    sha256: Sha256,
  };
  const transport = { path: putPathFor(transportOptions), endpoint, connection: agent.connection, cbor: cborAllowed() };
  const callTimeoutMs = agent.connection.connectionTimeoutMillis + agent.connection.socketTimeoutMillis;
  const { adapter, packer: inner, keyOf } = descriptor.create({ flow, context, clientConfig, transport, log, conditions: metrics.conditions });
  // compression.ts: plain records are compressed one by one; aggregates and packed records whole.
  const packer = flow.compression ? new CompressingPacker(inner, codecFor(flow.compression), inner instanceof PlainPacker) : inner;
  return new DeliveryCore({ flow, destination: adapter, packer, keyOf, metrics, log, callTimeoutMs });
}
