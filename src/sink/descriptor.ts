/**
 * Everything the agent knows about one destination, in one object: its
 * config keys and how to read them, its API limits, how it is named in
 * messages, metrics and IAM hints, and how to build its client and adapter.
 * Config, sink, metrics and status read these facts from the registry
 * (destinations.ts) instead of asking which destination a flow has.
 */
import type { FlowConfig, PartitionKeySpec } from '../config/types.js';
import type { KeyRow } from '../config/key-row.js';
import type { Reader } from '../config/reader.js';
import type { Conditions } from '../events/conditions.js';
import type { Logger } from '../log.js';
import type { DestinationAdapter } from './adapter.js';
import type { Packer } from './entry.js';
import type { DestinationContext } from './errors.js';
import type { ApiLimits } from './limits.js';
import type { requestHandlerFor } from '../aws/transport.js';
import type { PutTransport } from './raw-exchange.js';
import type { Sha256 } from '../aws/sha256.js';
import type { AwsCredentialIdentityProvider } from '../aws/credentials.js';

/** The flow settings a destination decides: partition keys and packing. */
export interface DestinationOptions {
  partitionKey: PartitionKeySpec;
  aggregation: boolean;
  aggregatedRecordSizeBytes?: number;
}

/** Where a destination's flow-key readers report warnings (keys accepted that change nothing). */
export interface KeyWarnings {
  /** `<file>:<line> <path of key> <text>`, as every config warning reads. */
  noEffect(r: Reader, key: string, text: string): void;
}

/**
 * A stream given by ARN (a stream of another account) instead of by name:
 * `arn:<partition>:<service>:<region>:<account>:<resource>/<name>` (AWS
 * General Reference, "Amazon Resource Names"; the descriptor's `arn`).
 */
export interface StreamArn {
  /** The ARN as written. */
  text: string;
  partition: string;
  region: string;
  account: string;
  name: string;
}

/** What every SDK client of a destination is built with. */
export interface ClientConfig {
  region: string;
  endpoint?: string;
  credentials: AwsCredentialIdentityProvider;
  /** 1: the delivery core owns retries. */
  maxAttempts: number;
  requestHandler: ReturnType<typeof requestHandlerFor>;
  /** The hash the SigV4 signer uses (aws/sha256.ts); the SDK's own when absent. */
  sha256?: typeof Sha256;
}

export interface CreateAdapterOptions {
  flow: FlowConfig;
  context: DestinationContext;
  clientConfig: ClientConfig;
  /** How the put calls travel: our HTTP/2 session or the client's handler (aws/transport.ts putPathFor). */
  transport: PutTransport;
  log: Logger;
  /** Where the adapter reports a condition that lasts (a failing ListShards); once per change. */
  conditions: Conditions;
}

/** A flow's adapter with the packer that cuts its records into API entries, and the partition key of a record. */
export interface AdapterParts {
  adapter: DestinationAdapter;
  packer: Packer;
  /** Partition key of a record's data; absent: '' for every record (a random key the packer or body writer draws, or an API without keys). */
  keyOf?: ((data: Buffer) => string) | undefined;
}

export interface DestinationDescriptor<K extends string = string> {
  /**
   * The registry key, the `kind` of a flow's DestinationConfig, and the
   * prefix of its endpoint keys (`<kind>.endpoint`, `<kind>.region`, at the
   * top level and inside a flow).
   */
  readonly kind: K;
  /** The service as messages name it: "Kinesis Data Streams". */
  readonly title: string;
  /** One of its streams as messages name it: "Kinesis stream". */
  readonly streamNoun: string;
  /** The flow key naming the stream: `kinesisStream`. */
  readonly streamKey: string;
  /** What a stream name must look like, and the hint when it does not. */
  readonly streamName: { pattern: RegExp; hint: string };
  /**
   * The stream's ARN, `arn:<partition>:<service>:<region>:<account>:<resource>/<name>`,
   * which `streamKey` may give instead of the name (a stream of another
   * account). `sentAsArn`: the put call names the stream by ARN; otherwise
   * the ARN gives only the name and the region.
   */
  readonly arn: { service: string; resource: string; sentAsArn: boolean };
  /**
   * This destination's key rows (src/config/key-row.ts): `stream`, the row
   * of `streamKey`; `flow`, the other flow keys it owns; `service`, its
   * `<kind>.endpoint` and `<kind>.region`, read at the top level and in its
   * flows.
   */
  readonly keys: { readonly stream: KeyRow & { readonly type: 'string' }; readonly flow: readonly KeyRow[]; readonly service: readonly KeyRow[] };
  /** How this destination packs lines, for hints on the other's keys: "`aggregation: true` for KPL aggregation". */
  readonly packingHint: string;
  readonly limits: ApiLimits;
  /** The Kinesis Agent's `Destination` metric dimension: `KinesisStream:<name>`. */
  label(streamName: string): string;
  /** IAM permissions the access-denied hint names: the put call, and any other the agent may use. */
  readonly permissions: { put: string; also?: string };
  /** Whether the SDK client's default transport is HTTP/2 (transport.ts keeps it for https endpoints). */
  readonly defaultHttp2: boolean;
  /** Reads the keys this destination owns, for a flow that sends to it. */
  readOptions(r: Reader, warnings: KeyWarnings): DestinationOptions;
  /** Checks this destination's keys in a flow that sends to `to`: without effect (warned) or rejected. */
  checkForeignKeys(r: Reader, to: DestinationDescriptor, warnings: KeyWarnings): void;
  /** Builds the client, adapter and packer of one flow. */
  create(opts: CreateAdapterOptions): AdapterParts;
}
