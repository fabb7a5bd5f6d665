/** One `flows[]` entry to a FlowConfig, with the Kinesis Agent's defaults and ranges per destination. */
import { isAbsolute, resolve as resolvePath, dirname } from 'node:path';
import type { Destination, FlowConfig, InitialPosition, PartitionKeySpec } from './types.js';
import { flatten } from './flatten.js';
import { readProcessingOptions } from './processing-options.js';
import type { ProblemList } from './problems.js';
import { Reader, describe } from './reader.js';
import { normalizeEndpoint, parseStreamArn, regionFromEndpoint, REGION_SHAPE } from './region.js';
import type { RawNode } from './tree.js';

const KIB = 1024;
const MIB = 1024 * KIB;

/** API limits the agent's ranges come from, per destination. */
export const LIMITS = {
  kinesis: {
    /** PutRecords: 500 records, 5 MiB a call; 1 MiB a record. */
    maxBufferSizeRecords: 500,
    maxBufferSizeBytes: 5 * MIB,
    maxRecordSizeBytes: 1 * MIB,
  },
  firehose: {
    /** PutRecordBatch: 500 records, 4 MiB a call; 1,000 KiB a record. */
    maxBufferSizeRecords: 500,
    maxBufferSizeBytes: 4 * MIB,
    maxRecordSizeBytes: 1000 * KIB,
  },
} as const;

export const FLOW_DEFAULTS = {
  initialPosition: 'END_OF_FILE' as InitialPosition,
  maxBufferAgeMillis: 60_000,
  minTimeBetweenFilePollsMillis: 100,
  maxTimeBetweenFileTrackerRefreshMillis: 10_000,
  retryInitialBackoffMillis: 100,
  retryMaxBackoffMillis: 10_000,
  publishQueueCapacity: 100,
  skipHeaderLines: 0,
  truncatedRecordTerminator: '\n',
  maxQueueBytes: 16 * MIB,
  maxInFlightRequests: 8,
};

export const FLOW_KEYS = [
  'name',
  'filePattern',
  'excludePatterns',
  'kinesisStream',
  'deliveryStream',
  'initialPosition',
  'partitionKeyOption',
  'partitionKey.constant',
  'partitionKey.field',
  'aggregation',
  'maxBufferAgeMillis',
  'maxBufferSizeRecords',
  'maxBufferSizeBytes',
  'minTimeBetweenFilePollsMillis',
  'maxTimeBetweenFileTrackerRefreshMillis',
  'retryInitialBackoffMillis',
  'retryMaxBackoffMillis',
  'publishQueueCapacity',
  'maxQueueBytes',
  'maxInFlightRequests',
  'skipHeaderLines',
  'multiLineStartPattern',
  'fileFooterPattern',
  'truncatedRecordTerminator',
  'aggregatedRecordSizeBytes',
  'dataProcessingOptions',
  'kinesis.endpoint',
  'kinesis.region',
  'firehose.endpoint',
  'firehose.region',
] as const;

/** Kinesis Agent flow keys accepted so that its agent.json loads, which change nothing here. */
export const FLOW_NO_EFFECT: Record<string, string> = {
  waitOnFullPublishQueueMillis: 'reading pauses behind a bounded queue (`maxQueueBytes`) instead of waiting on a full publish queue',
  waitOnEmptyPublishQueueMillis: 'batches are sent when full or `maxBufferAgeMillis` old; nothing polls an empty queue',
  waitOnFullRetryQueueMillis: 'failed records are retried in place with backoff; there is no separate retry queue',
  'log.emitInternalMetrics': 'per-flow counters are always kept and served on /metrics and /status',
};

const STREAM_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** `kinesisStream` / `deliveryStream`: a name, or an ARN (a stream of another account). */
function streamDestination(kind: 'kinesis' | 'firehose', text: string): Destination {
  const arn = parseStreamArn(text, kind);
  return arn ? { kind, streamName: arn.name, arn } : { kind, streamName: text };
}
const MAX_PARTITION_KEY = 256;

export interface FlowContext {
  problems: ProblemList;
  /** Key path of this flow in its file, e.g. `flows[1]`. */
  path: string;
  /** Index in the merged list. */
  index: number;
  /** Absolute path of the file that defines the flow. */
  definedIn: string;
  warnings: string[];
}

export function readFlow(node: RawNode, ctx: FlowContext): FlowConfig | undefined {
  const { problems, path } = ctx;
  if (node.kind !== 'map') {
    problems.add(path, node.pos, `expects a map describing one flow, got ${describe(node)}`, 'a flow has at least filePattern and kinesisStream (or deliveryStream)');
    return undefined;
  }
  const before = problems.problems.length;
  const r = new Reader(flatten(node, path, problems, ['filePattern', 'excludePatterns', 'dataProcessingOptions']), problems, path, node.pos);
  r.rejectUnknown([...FLOW_KEYS, ...Object.keys(FLOW_NO_EFFECT)]);
  for (const [key, why] of Object.entries(FLOW_NO_EFFECT)) {
    if (r.has(key)) {
      const e = r.entry(key)!;
      ctx.warnings.push(`${problems.file}:${e.keyPos?.line ?? '?'} ${r.path(key)} has no effect here: ${why}`);
    }
  }
  if (r.has('waitOnFullPublishQueueMillis')) r.int('waitOnFullPublishQueueMillis', 60_000, { min: 1000, max: 900_000 });
  if (r.has('waitOnEmptyPublishQueueMillis')) r.int('waitOnEmptyPublishQueueMillis', 60_000, { min: 1000, max: 900_000 });
  if (r.has('waitOnFullRetryQueueMillis')) r.int('waitOnFullRetryQueueMillis', 60_000, { min: 0 });
  if (r.has('log.emitInternalMetrics')) r.bool('log.emitInternalMetrics', false);

  // Destination first: ranges below depend on it.
  const kinesisStream = r.str('kinesisStream');
  const deliveryStream = r.str('deliveryStream');
  let destination: Destination | undefined;
  if (r.has('kinesisStream') && r.has('deliveryStream')) {
    r.failKey('deliveryStream', 'is given together with `kinesisStream`; a flow sends to exactly one destination', 'split it into two flows with the same filePattern');
  } else if (kinesisStream !== undefined) {
    destination = streamDestination('kinesis', kinesisStream);
  } else if (deliveryStream !== undefined) {
    destination = streamDestination('firehose', deliveryStream);
  } else if (!r.has('kinesisStream') && !r.has('deliveryStream')) {
    r.failHere('has no destination', 'add kinesisStream: <Kinesis data stream> or deliveryStream: <Firehose stream>');
  }
  if (destination && destination.streamName.startsWith('arn:') && !destination.arn) {
    const kinesis = destination.kind === 'kinesis';
    r.fail(
      kinesis ? 'kinesisStream' : 'deliveryStream',
      `\`${destination.streamName}\` is not a ${kinesis ? 'Kinesis data stream' : 'Firehose stream'} ARN`,
      kinesis ? 'write arn:aws:kinesis:<region>:<account>:stream/<name>, or the name alone' : 'write arn:aws:firehose:<region>:<account>:deliverystream/<name>, or the name alone',
    );
  } else if (destination && !STREAM_NAME.test(destination.streamName)) {
    r.fail(destination.kind === 'kinesis' ? 'kinesisStream' : 'deliveryStream', `\`${destination.streamName}\` is not a valid stream name`, 'stream names are 1..128 characters of letters, digits, _ . and -');
  }
  const kind = destination?.kind ?? 'kinesis';
  const limits = LIMITS[kind];

  const baseDir = dirname(ctx.definedIn);
  const absolute = (patterns: string[] | undefined): string[] =>
    (patterns ?? []).map((p) => (isAbsolute(p) ? p : resolvePath(baseDir, p)));
  if (!r.has('filePattern')) r.failHere('has no `filePattern`', 'add filePattern: /var/log/app/*.log (a glob, or a list of globs)');
  const filePatterns = absolute(r.strList('filePattern'));
  if (r.has('filePattern') && filePatterns.length === 0 && r.entry('filePattern')?.value.kind === 'seq') {
    r.fail('filePattern', 'is an empty list', 'name at least one glob');
  }
  const excludePatterns = absolute(r.strList('excludePatterns'));

  const initialPosition = r.enumOf('initialPosition', ['START_OF_FILE', 'END_OF_FILE'] as const, FLOW_DEFAULTS.initialPosition);

  const partitionKey = readPartitionKey(r, kind, ctx);

  let aggregation = false;
  if (r.has('aggregation')) {
    aggregation = r.bool('aggregation', false);
    if (kind === 'firehose' && aggregation) {
      r.fail('aggregation', 'applies to Kinesis Data Streams flows only', 'for Firehose, aggregatedRecordSizeBytes packs lines into larger records');
    }
  }

  const maxBufferAgeMillis = r.int('maxBufferAgeMillis', FLOW_DEFAULTS.maxBufferAgeMillis, { min: 1000, max: 900_000 });
  const maxBufferSizeRecords = r.int('maxBufferSizeRecords', limits.maxBufferSizeRecords, { min: 1, max: limits.maxBufferSizeRecords });
  const maxBufferSizeBytes = r.int('maxBufferSizeBytes', limits.maxBufferSizeBytes, { min: 1, max: limits.maxBufferSizeBytes });
  const minTimeBetweenFilePollsMillis = r.int('minTimeBetweenFilePollsMillis', FLOW_DEFAULTS.minTimeBetweenFilePollsMillis, { min: 1 });
  const maxTimeBetweenFileTrackerRefreshMillis = r.int('maxTimeBetweenFileTrackerRefreshMillis', FLOW_DEFAULTS.maxTimeBetweenFileTrackerRefreshMillis, { min: 1 });
  const retryInitialBackoffMillis = r.int('retryInitialBackoffMillis', FLOW_DEFAULTS.retryInitialBackoffMillis, { min: 0 });
  const retryMaxBackoffMillis = r.int('retryMaxBackoffMillis', FLOW_DEFAULTS.retryMaxBackoffMillis, { min: 1 });
  if (retryMaxBackoffMillis < retryInitialBackoffMillis) {
    r.fail('retryMaxBackoffMillis', `${retryMaxBackoffMillis} is below retryInitialBackoffMillis ${retryInitialBackoffMillis}`, 'the longest wait between retries cannot be shorter than the first');
  }
  const publishQueueCapacity = r.int('publishQueueCapacity', FLOW_DEFAULTS.publishQueueCapacity, { min: 1 });
  const maxQueueBytes = r.int('maxQueueBytes', FLOW_DEFAULTS.maxQueueBytes, { min: 1 * MIB, max: 1024 * MIB });
  const maxInFlightRequests = r.int('maxInFlightRequests', FLOW_DEFAULTS.maxInFlightRequests, { min: 1, max: 64 });
  const skipHeaderLines = r.int('skipHeaderLines', FLOW_DEFAULTS.skipHeaderLines, { min: 0 });
  const multiLineStartPattern = r.regex('multiLineStartPattern');
  const fileFooterPattern = r.regex('fileFooterPattern');

  let truncatedRecordTerminator = FLOW_DEFAULTS.truncatedRecordTerminator;
  if (r.has('truncatedRecordTerminator')) {
    const t = r.str('truncatedRecordTerminator', { allowEmpty: true });
    if (t !== undefined) {
      if (Buffer.byteLength(t) >= limits.maxRecordSizeBytes) {
        r.fail('truncatedRecordTerminator', `is ${Buffer.byteLength(t)} bytes, not less than the record size limit ${limits.maxRecordSizeBytes}`);
      } else {
        truncatedRecordTerminator = t;
      }
    }
  }

  let aggregatedRecordSizeBytes: number | undefined;
  if (r.has('aggregatedRecordSizeBytes')) {
    const n = r.int('aggregatedRecordSizeBytes', 0, { min: 0, max: LIMITS.firehose.maxRecordSizeBytes });
    if (kind === 'kinesis') {
      ctx.warnings.push(`${problems.file}:${r.entry('aggregatedRecordSizeBytes')?.keyPos?.line ?? '?'} ${r.path('aggregatedRecordSizeBytes')} has no effect on a Kinesis Data Streams flow: it packs Firehose records; use \`aggregation: true\` for KPL aggregation`);
    } else if (n > 0) {
      aggregatedRecordSizeBytes = n;
    }
  }

  const { endpoint, region } = readFlowEndpoint(r, kind);

  const dpo = r.entry('dataProcessingOptions');
  const dataProcessingOptions = dpo ? readProcessingOptions(dpo.value, r.path('dataProcessingOptions'), problems) : [];

  let name: string | undefined;
  if (r.has('name')) name = r.str('name');

  if (problems.problems.length !== before || !destination) return undefined;

  const flow: FlowConfig = {
    id: name ?? `${destination.kind}:${destination.arn?.text ?? destination.streamName}:${filePatterns.join(',')}`,
    index: ctx.index,
    definedIn: ctx.definedIn,
    filePatterns,
    excludePatterns,
    destination,
    initialPosition,
    partitionKey,
    aggregation,
    maxBufferAgeMillis,
    maxBufferSizeRecords,
    maxBufferSizeBytes,
    minTimeBetweenFilePollsMillis,
    maxTimeBetweenFileTrackerRefreshMillis,
    retryInitialBackoffMillis,
    retryMaxBackoffMillis,
    publishQueueCapacity,
    maxQueueBytes,
    maxInFlightRequests,
    skipHeaderLines,
    truncatedRecordTerminator,
    dataProcessingOptions,
  };
  if (endpoint) flow.endpoint = endpoint;
  if (region) flow.region = region;
  if (multiLineStartPattern) flow.multiLineStartPattern = multiLineStartPattern;
  if (fileFooterPattern) flow.fileFooterPattern = fileFooterPattern;
  if (aggregatedRecordSizeBytes !== undefined) flow.aggregatedRecordSizeBytes = aggregatedRecordSizeBytes;
  return flow;
}

function readPartitionKey(r: Reader, kind: 'kinesis' | 'firehose', ctx: FlowContext): PartitionKeySpec {
  const hasOption = r.has('partitionKeyOption');
  const hasConstant = r.has('partitionKey.constant');
  const hasField = r.has('partitionKey.field');
  if (kind === 'firehose') {
    if (hasOption) {
      r.enumOf('partitionKeyOption', ['RANDOM', 'DETERMINISTIC'] as const, 'RANDOM');
      ctx.warnings.push(`${ctx.problems.file}:${r.entry('partitionKeyOption')?.keyPos?.line ?? '?'} ${r.path('partitionKeyOption')} has no effect on a Firehose flow: Firehose records have no partition key`);
    }
    if (hasConstant || hasField) {
      r.failKey(hasConstant ? 'partitionKey.constant' : 'partitionKey.field', 'applies to Kinesis Data Streams flows only', 'Firehose records have no partition key; remove it');
    }
    return { kind: 'RANDOM' };
  }
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
    if (v.length > MAX_PARTITION_KEY) r.fail('partitionKey.constant', `is ${v.length} characters; Kinesis allows ${MAX_PARTITION_KEY}`);
    return { kind: 'CONSTANT', value: v };
  }
  if (hasField) {
    const v = r.str('partitionKey.field');
    return v === undefined ? { kind: 'RANDOM' } : { kind: 'FIELD', field: v };
  }
  return { kind: r.enumOf('partitionKeyOption', ['RANDOM', 'DETERMINISTIC'] as const, 'RANDOM') };
}

function readFlowEndpoint(r: Reader, kind: 'kinesis' | 'firehose'): { endpoint?: string; region?: string } {
  const other = kind === 'kinesis' ? 'firehose' : 'kinesis';
  for (const k of [`${other}.endpoint`, `${other}.region`]) {
    if (r.has(k)) {
      r.failKey(k, `does not apply to a ${kind === 'kinesis' ? 'Kinesis Data Streams' : 'Firehose'} flow`, `use ${kind}.${k.split('.')[1]} in this flow`);
    }
  }
  let endpoint: string | undefined;
  const rawEndpoint = r.str(`${kind}.endpoint`);
  if (rawEndpoint !== undefined) {
    const n = normalizeEndpoint(rawEndpoint);
    if (n.ok) endpoint = n.url;
    else r.fail(`${kind}.endpoint`, n.message, n.hint);
  }
  let region = r.str(`${kind}.region`);
  if (region !== undefined && !REGION_SHAPE.test(region)) {
    r.fail(`${kind}.region`, `\`${region}\` is not a region name`, 'write a region such as us-west-2');
    region = undefined;
  }
  const out: { endpoint?: string; region?: string } = {};
  if (endpoint) out.endpoint = endpoint;
  const resolved = region ?? regionFromEndpoint(endpoint);
  if (resolved) out.region = resolved;
  return out;
}
