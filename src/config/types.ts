/**
 * The validated, typed configuration. Only src/config/ sees raw YAML/JSON;
 * everything else receives these objects, with every default filled in and
 * every regular expression compiled.
 */
import type { ProcessingOption } from '../process/options.js';
import type { AfterShippingAction, AfterShippingFiles, CompressionKind, ContainerFormat, MultiLinePreset } from './flow-options.js';
import type { DestinationKind } from '../sink/destinations.js';
import type { StreamArn } from '../sink/descriptor.js';
import type { DefaultRegion } from './region.js';

export type InitialPosition = 'START_OF_FILE' | 'END_OF_FILE';

/**
 * Where a flow sends: a destination of the registry (src/sink/destinations.ts)
 * and the stream's name. `arn` is set when the config gave an ARN (a stream
 * of another account); the destination's descriptor says whether its put
 * call takes it (Kinesis: StreamARN on PutRecords and ListShards) or only
 * the name and region come from it (Firehose: PutRecordBatch has only
 * DeliveryStreamName).
 */
export interface DestinationConfig {
  kind: DestinationKind;
  streamName: string;
  arn?: StreamArn;
}

/**
 * RANDOM and DETERMINISTIC are the Kinesis Agent's; CONSTANT and FIELD are
 * ours (a fixed key; a top-level field of the processed JSON record, RANDOM
 * when the record has no such field).
 */
export type PartitionKeySpec =
  | { kind: 'RANDOM' }
  | { kind: 'DETERMINISTIC' }
  | { kind: 'CONSTANT'; value: string }
  | { kind: 'FIELD'; field: string };

export interface FlowConfig {
  /**
   * A stable name for the flow: the user's `name` key if given, else derived
   * from destination and patterns. Checkpoints and reload key on it.
   */
  id: string;
  /** Index in the merged flows[] list, for messages. */
  index: number;
  /** Where the flow was defined (main config or an agent.d file). */
  definedIn: string;

  /** Absolute glob patterns (`filePattern`, a string or a list). */
  filePatterns: string[];
  /** Absolute glob patterns of files never to tail (`excludePatterns`). */
  excludePatterns: string[];
  destination: DestinationConfig;
  /**
   * The destination's endpoint (undefined: the SDK's for the region) and
   * region, resolved once at load by region.ts resolveTarget from the
   * flow's keys, the ARN, the agent's keys and the default region chain.
   */
  endpoint?: string;
  region?: string;

  initialPosition: InitialPosition;
  partitionKey: PartitionKeySpec;
  /** KPL aggregation (Streams only). */
  aggregation: boolean;

  maxBufferAgeMillis: number;
  maxBufferSizeRecords: number;
  maxBufferSizeBytes: number;
  minTimeBetweenFilePollsMillis: number;
  maxTimeBetweenFileTrackerRefreshMillis: number;
  retryInitialBackoffMillis: number;
  retryMaxBackoffMillis: number;
  /** Kinesis Agent: buffers queued for sending; here it bounds queued batches. */
  publishQueueCapacity: number;
  /** Bytes of records held in memory between the tailer and the sender before reading pauses. */
  maxQueueBytes: number;
  /** Concurrent calls in flight for this flow (upper bound of the adaptive limit). */
  maxInFlightRequests: number;

  skipHeaderLines: number;
  multiLineStartPattern?: RegExp;
  /** Stack traces of this runtime travel as one record (`multiLine`). */
  multiLine?: MultiLinePreset;
  /** Lines are a container runtime's wrapper around the application's line (`containerFormat`). */
  containerFormat?: ContainerFormat;
  fileFooterPattern?: RegExp;
  truncatedRecordTerminator: string;
  /** Streams: the stream's MaxRecordSizeInKiB (`maxRecordSizeKiB`), for an agent without DescribeStreamSummary permission. */
  maxRecordSizeKiB?: number;
  /** Each API record (a line, a KPL aggregate, a packed Firehose record) is compressed (`compression`). */
  compression?: CompressionKind;
  /** Firehose: pack whole lines into records of about this size. */
  aggregatedRecordSizeBytes?: number;
  /** What is done with a file once it is finished (`afterShipping` and its keys); absent: nothing. */
  afterShipping?: AfterShippingConfig;
  dataProcessingOptions: ProcessingOption[];
}

/** `afterShipping`: see docs/tailing.md, "Done with a file". */
export interface AfterShippingConfig {
  action: AfterShippingAction;
  /** Which files may be finished (`afterShippingFiles`). */
  files: AfterShippingFiles;
  /** ms a finished candidate must have been quiet (read to its end, not grown) before the action (`afterShippingQuietMillis`). */
  quietMillis: number;
  /** With `rename`: appended to the file's name, in its directory (`afterShippingSuffix`). */
  suffix: string;
}

export interface CredentialsConfig {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  assumeRoleARN?: string;
  assumeRoleExternalId?: string;
}

export interface CloudWatchConfig {
  emitMetrics: boolean;
  endpoint?: string;
  region?: string;
  namespace: string;
  tagInstance: boolean;
  metricsBufferTimeMillis: number;
}

/** A service's endpoint and region (`<service>.endpoint`, `<service>.region`). */
export interface ServiceEndpoint {
  endpoint?: string;
  region?: string;
}

/** One `<kind>.endpoint` / `<kind>.region` pair per destination of the registry. */
export type DestinationEndpoints = { [K in DestinationKind]: ServiceEndpoint };

export interface AgentConfig extends DestinationEndpoints {
  /** Absolute path of the main config file. */
  configFile: string;
  /** Absolute paths of the drop-in files read from agent.d/. */
  dropInFiles: string[];

  checkpointFile: string;
  checkpointTimeToLiveDays: number;
  /**
   * The Kinesis Agent's checkpoint database to take positions from, once per
   * flow (src/migrate/). `explicit` when `importCheckpointsFrom` names it (a
   * failure to read it then stops the start); else the Kinesis Agent's
   * default path, read when it exists. undefined when set to "".
   */
  importCheckpoints?: { path: string; explicit: boolean } | undefined;
  shutdownTimeoutMillis: number;

  /** The default region chain's answer (AWS_REGION, profile, instance metadata, us-east-1), resolved at load. */
  defaultRegion?: DefaultRegion;
  sts: { endpoint?: string };
  cloudwatch: CloudWatchConfig;
  credentials: CredentialsConfig;
  /** `proxy` key; HTTPS_PROXY/NO_PROXY from the environment when absent. */
  proxy?: string;

  log: {
    level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
    statusReportingPeriodSeconds: number;
  };
  /** The local status server (`http.listen`); absent means no socket at all. */
  http?: { host: string; port: number; unhealthyAfterMillis: number };

  /** Connection keys of the Kinesis Agent, mapped to their nearest meaning. */
  connection: {
    connectionTimeoutMillis: number;
    socketTimeoutMillis: number;
    maxConnections: number;
    /**
     * `tls.caFile`: PEM CA certificates trusted besides Node's own (a
     * TLS-inspecting proxy's root, a private endpoint's CA), read at load.
     */
    caCertificates?: string;
  };

  flows: FlowConfig[];
  /** Keys accepted for compatibility that have no effect here, with why. */
  warnings: string[];
}
