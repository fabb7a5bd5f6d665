/**
 * One `flows[]` entry to a FlowConfig, with the Kinesis Agent's defaults and
 * ranges per destination. The keys, limits and rules that differ by
 * destination come from its descriptor (src/sink/destinations.ts).
 */
import { isAbsolute, resolve as resolvePath, dirname } from 'node:path';
import type { DestinationConfig, FlowConfig, InitialPosition } from './types.js';
import { flatten } from './flatten.js';
import { readProcessingOptions } from './processing-options.js';
import type { ProblemList } from './problems.js';
import { DESTINATION_LIST, destinationOf, parseStreamArn, streamArnHint } from '../sink/destinations.js';
import type { DestinationDescriptor, KeyWarnings } from '../sink/descriptor.js';
import { Reader, describe } from './reader.js';
import { normalizeEndpoint, regionFromEndpoint, REGION_SHAPE } from './region.js';
import type { RawNode } from './tree.js';
import { readAfterShipping } from './after-shipping.js';
import { AFTER_SHIPPING_DEFAULTS, COMPRESSION_KINDS, compressionUnavailable, CONTAINER_FORMATS, MAX_RECORD_KIB, MIN_RECORD_KIB, MULTILINE_PRESETS } from './flow-options.js';

const KIB = 1024;
const MIB = 1024 * KIB;

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
  afterShippingQuietMillis: AFTER_SHIPPING_DEFAULTS.quietMillis,
  afterShippingSuffix: AFTER_SHIPPING_DEFAULTS.suffix,
  afterShippingFiles: AFTER_SHIPPING_DEFAULTS.files,
};

export const FLOW_KEYS = [
  'name',
  'filePattern',
  'excludePatterns',
  'initialPosition',
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
  'multiLine',
  'containerFormat',
  'compression',
  'maxRecordSizeKiB',
  'fileFooterPattern',
  'truncatedRecordTerminator',
  'dataProcessingOptions',
  'afterShipping',
  'afterShippingFiles',
  'afterShippingQuietMillis',
  'afterShippingSuffix',
  // Each destination's: its stream key, the keys it owns, its endpoint and region.
  ...DESTINATION_LIST.flatMap((d) => [d.streamKey, ...d.flowKeys, `${d.kind}.endpoint`, `${d.kind}.region`]),
];

/** Kinesis Agent flow keys accepted so that its agent.json loads, which change nothing here. */
export const FLOW_NO_EFFECT: Record<string, string> = {
  waitOnFullPublishQueueMillis: 'reading pauses behind a bounded queue (`maxQueueBytes`) instead of waiting on a full publish queue',
  waitOnEmptyPublishQueueMillis: 'batches are sent when full or `maxBufferAgeMillis` old; nothing polls an empty queue',
  waitOnFullRetryQueueMillis: 'failed records are retried in place with backoff; there is no separate retry queue',
  'log.emitInternalMetrics': 'per-flow counters are always kept and served on /metrics and /status',
};

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
    const [first, ...others] = DESTINATION_LIST.map((d) => d.streamKey);
    problems.add(path, node.pos, `expects a map describing one flow, got ${describe(node)}`, `a flow has at least filePattern and ${first} (or ${others.join(', or ')})`);
    return undefined;
  }
  const before = problems.problems.length;
  const r = new Reader(flatten(node, path, problems, ['filePattern', 'excludePatterns', 'dataProcessingOptions']), problems, path, node.pos);
  r.warnUnknown([...FLOW_KEYS, ...Object.keys(FLOW_NO_EFFECT)]);
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
  const destination = readDestination(r);
  // Without a valid destination (already reported), the first one's ranges serve to go on checking.
  const descriptor = destinationOf(destination?.kind ?? DESTINATION_LIST[0]!.kind);
  const limits = descriptor.limits;
  const warnings = keyWarnings(ctx);

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

  const { partitionKey, aggregation, aggregatedRecordSizeBytes } = descriptor.readOptions(r, warnings);
  for (const other of DESTINATION_LIST) if (other !== descriptor) other.checkForeignKeys(r, descriptor, warnings);

  const maxBufferAgeMillis = r.int('maxBufferAgeMillis', FLOW_DEFAULTS.maxBufferAgeMillis, { min: 1000, max: 900_000 });
  const maxBufferSizeRecords = r.int('maxBufferSizeRecords', limits.recordsPerCall, { min: 1, max: limits.recordsPerCall });
  const maxBufferSizeBytes = r.int('maxBufferSizeBytes', limits.bytesPerCall, { min: 1, max: limits.bytesPerCall });
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
  const multiLine = r.enumOf('multiLine', MULTILINE_PRESETS);
  const containerFormat = r.enumOf('containerFormat', CONTAINER_FORMATS);
  const compression = r.enumOf('compression', COMPRESSION_KINDS);
  const noCodec = compression && compressionUnavailable(compression);
  if (noCodec) r.fail('compression', noCodec, 'use gzip, or run the agent on a newer Node');
  let maxRecordSizeKiB: number | undefined;
  if (r.has('maxRecordSizeKiB')) {
    maxRecordSizeKiB = r.int('maxRecordSizeKiB', MIN_RECORD_KIB, { min: MIN_RECORD_KIB, max: MAX_RECORD_KIB });
    if (descriptor.kind === 'firehose') r.failKey('maxRecordSizeKiB', 'applies to Kinesis Data Streams flows only', 'Firehose records are at most 1,000 KiB; remove it');
  }

  let truncatedRecordTerminator = FLOW_DEFAULTS.truncatedRecordTerminator;
  if (r.has('truncatedRecordTerminator')) {
    const t = r.str('truncatedRecordTerminator', { allowEmpty: true });
    if (t !== undefined) {
      if (Buffer.byteLength(t) >= limits.bytesPerRecord) {
        r.fail('truncatedRecordTerminator', `is ${Buffer.byteLength(t)} bytes, not less than the record size limit ${limits.bytesPerRecord}`);
      } else {
        truncatedRecordTerminator = t;
      }
    }
  }

  const { endpoint, region } = readFlowEndpoint(r, descriptor);
  const afterShipping = readAfterShipping(r, filePatterns, excludePatterns);

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
  if (multiLine) flow.multiLine = multiLine;
  if (containerFormat) flow.containerFormat = containerFormat;
  if (compression) flow.compression = compression;
  if (maxRecordSizeKiB !== undefined) flow.maxRecordSizeKiB = maxRecordSizeKiB;
  if (aggregatedRecordSizeBytes !== undefined) flow.aggregatedRecordSizeBytes = aggregatedRecordSizeBytes;
  if (afterShipping) flow.afterShipping = afterShipping;
  return flow;
}

/** The one destination a flow names by its stream key, by name or ARN; reports none, two, or a bad stream name or ARN. */
function readDestination(r: Reader): DestinationConfig | undefined {
  const given = DESTINATION_LIST.filter((d) => r.has(d.streamKey));
  // Each is read, so that a stream name of the wrong type is reported too.
  const names = given.map((d) => r.str(d.streamKey));
  if (given.length > 1) {
    r.failKey(given[1]!.streamKey, `is given together with \`${given[0]!.streamKey}\`; a flow sends to exactly one destination`, 'split it into two flows with the same filePattern');
    return undefined;
  }
  if (given.length === 0) {
    r.failHere('has no destination', `add ${DESTINATION_LIST.map((d) => `${d.streamKey}: <${d.streamNoun}>`).join(' or ')}`);
    return undefined;
  }
  const d = given[0]!;
  const text = names[0];
  if (text === undefined) return undefined;
  // A name, or an ARN (a stream of another account) of the shape the descriptor gives.
  const arn = parseStreamArn(text, d.kind);
  if (arn) return { kind: d.kind, streamName: arn.name, arn };
  if (text.startsWith('arn:')) r.fail(d.streamKey, `\`${text}\` is not a ${d.streamNoun} ARN`, streamArnHint(d.kind));
  else if (!d.streamName.pattern.test(text)) r.fail(d.streamKey, `\`${text}\` is not a valid stream name`, d.streamName.hint);
  return { kind: d.kind, streamName: text };
}

function keyWarnings(ctx: FlowContext): KeyWarnings {
  return {
    noEffect(r, key, text) {
      ctx.warnings.push(`${ctx.problems.file}:${r.entry(key)?.keyPos?.line ?? '?'} ${r.path(key)} ${text}`);
    },
  };
}

function readFlowEndpoint(r: Reader, descriptor: DestinationDescriptor): { endpoint?: string; region?: string } {
  const kind = descriptor.kind;
  for (const other of DESTINATION_LIST) {
    if (other === descriptor) continue;
    for (const k of [`${other.kind}.endpoint`, `${other.kind}.region`]) {
      if (r.has(k)) r.failKey(k, `does not apply to a ${descriptor.title} flow`, `use ${kind}.${k.split('.')[1]} in this flow`);
    }
  }
  let endpoint: string | undefined;
  // Empty means the default endpoint, as in the Kinesis Agent's shipped config.
  const rawEndpoint = r.str(`${kind}.endpoint`, { allowEmpty: true });
  if (rawEndpoint !== undefined && rawEndpoint.trim() !== '') {
    const n = normalizeEndpoint(rawEndpoint);
    if (n.ok) endpoint = n.url;
    else r.fail(`${kind}.endpoint`, n.message, n.hint);
  }
  let region = r.str(`${kind}.region`, { allowEmpty: true }) || undefined;
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
