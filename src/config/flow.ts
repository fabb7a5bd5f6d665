/**
 * One `flows[]` entry to a FlowConfig, each key read through its row
 * (flow-keys.ts: the Kinesis Agent's defaults and ranges unless a row says it
 * differs). The keys, limits and rules that differ by destination come from
 * its descriptor (src/sink/destinations.ts).
 */
import { isAbsolute, resolve as resolvePath, dirname } from 'node:path';
import type { DestinationConfig, FlowConfig, ServiceEndpoint } from './types.js';
import { flatten } from './flatten.js';
import { readProcessingOptions } from './processing-options.js';
import type { ProblemList } from './problems.js';
import { DESTINATION_LIST, destinationOf, parseStreamArn, streamArnHint, type DestinationKind } from '../sink/destinations.js';
import type { DestinationDescriptor, KeyWarnings } from '../sink/descriptor.js';
import { Reader, describe } from './reader.js';
import { readServiceKeys } from './service-keys.js';
import { FLOW, FLOW_NO_EFFECT, FLOW_ROWS, QUEUE_BYTES_AGGREGATED, withLimit } from './flow-keys.js';
import { readWhole, rowsOf } from './key-row.js';
import type { RawNode } from './tree.js';
import { readAfterShipping } from './after-shipping.js';
import { compressionUnavailable } from './flow-options.js';

/** Keys whose value is read whole, never flattened into dotted keys: the lists. */
const WHOLE_VALUES = FLOW_ROWS.filter(readWhole).map((row) => row.name);

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
  const r = new Reader(flatten(node, path, problems, WHOLE_VALUES), problems, path, node.pos);
  r.warnUnknown(FLOW_ROWS.map((row) => row.name));
  for (const row of rowsOf(FLOW_NO_EFFECT)) {
    if (r.has(row.name)) ctx.warnings.push(`${problems.file}:${r.entry(row.name)?.keyPos?.line ?? '?'} ${r.path(row.name)} has no effect here: ${row.noEffect}`);
    // Typed even when without effect: the agent would reject a bad value too.
    r.read(row);
  }

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
  const filePatterns = absolute(r.read(FLOW.filePattern));
  if (r.has('filePattern') && filePatterns.length === 0 && r.entry('filePattern')?.value.kind === 'seq') {
    r.fail('filePattern', 'is an empty list', 'name at least one glob');
  }
  const excludePatterns = absolute(r.read(FLOW.excludePatterns));

  const initialPosition = r.read(FLOW.initialPosition);

  const { partitionKey, aggregation, aggregatedRecordSizeBytes } = descriptor.readOptions(r, warnings);
  for (const other of DESTINATION_LIST) if (other !== descriptor) other.checkForeignKeys(r, descriptor, warnings);

  const maxBufferAgeMillis = r.read(FLOW.maxBufferAgeMillis);
  const maxBufferSizeRecords = r.read(withLimit(FLOW.maxBufferSizeRecords, limits));
  const maxBufferSizeBytes = r.read(withLimit(FLOW.maxBufferSizeBytes, limits));
  const minTimeBetweenFilePollsMillis = r.read(FLOW.minTimeBetweenFilePollsMillis);
  const maxTimeBetweenFileTrackerRefreshMillis = r.read(FLOW.maxTimeBetweenFileTrackerRefreshMillis);
  const retryInitialBackoffMillis = r.read(FLOW.retryInitialBackoffMillis);
  const retryMaxBackoffMillis = r.read(FLOW.retryMaxBackoffMillis);
  if (retryMaxBackoffMillis < retryInitialBackoffMillis) {
    r.fail('retryMaxBackoffMillis', `${retryMaxBackoffMillis} is below retryInitialBackoffMillis ${retryInitialBackoffMillis}`, 'the longest wait between retries cannot be shorter than the first');
  }
  const publishQueueCapacity = r.read(FLOW.publishQueueCapacity);
  const maxQueueBytes = r.has('maxQueueBytes') || !aggregation ? r.read(FLOW.maxQueueBytes) : QUEUE_BYTES_AGGREGATED;
  const maxInFlightRequests = r.read(FLOW.maxInFlightRequests);
  const skipHeaderLines = r.read(FLOW.skipHeaderLines);
  const multiLineStartPattern = r.read(FLOW.multiLineStartPattern);
  const fileFooterPattern = r.read(FLOW.fileFooterPattern);
  const multiLine = r.read(FLOW.multiLine);
  const containerFormat = r.read(FLOW.containerFormat);
  const compression = r.read(FLOW.compression);
  const noCodec = compression && compressionUnavailable(compression);
  if (noCodec) r.fail('compression', noCodec, 'use gzip, or run the agent on a newer Node');
  const maxRecordSizeKiB = r.read(FLOW.maxRecordSizeKiB);
  if (r.has('maxRecordSizeKiB') && descriptor.kind === 'firehose') {
    r.failKey('maxRecordSizeKiB', 'applies to Kinesis Data Streams flows only', 'Firehose records are at most 1,000 KiB; remove it');
  }

  let truncatedRecordTerminator = r.read(FLOW.truncatedRecordTerminator);
  if (Buffer.byteLength(truncatedRecordTerminator) >= limits.bytesPerRecord) {
    r.fail('truncatedRecordTerminator', `is ${Buffer.byteLength(truncatedRecordTerminator)} bytes, not less than the record size limit ${limits.bytesPerRecord}`);
    truncatedRecordTerminator = FLOW.truncatedRecordTerminator.default;
  }

  const { endpoint, region } = readFlowEndpoint(r, descriptor);
  const afterShipping = readAfterShipping(r, filePatterns, excludePatterns);

  const dpo = r.entry('dataProcessingOptions');
  const dataProcessingOptions = dpo ? readProcessingOptions(dpo.value, r.path('dataProcessingOptions'), problems) : [];

  const name = r.read(FLOW.name);

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

/**
 * Which destination a flow naming several sends to: the Kinesis Agent's
 * FileFlowFactory.getFileFlow tests `deliveryStream` first, so a flow with
 * both `deliveryStream` and `kinesisStream` is a Firehose flow there.
 */
const DESTINATION_PRECEDENCE: readonly DestinationKind[] = ['firehose', 'kinesis'];

/**
 * The one destination a flow names by its stream key, by name or ARN;
 * reports none, or a bad stream name or ARN. A flow naming two sends to the
 * one the Kinesis Agent picks (DESTINATION_PRECEDENCE), the other ignored
 * with a warning, as the Kinesis Agent ignores it.
 */
function readDestination(r: Reader): DestinationConfig | undefined {
  const given = DESTINATION_LIST.filter((d) => r.has(d.streamKey));
  // Each is read, so that a stream name of the wrong type is reported too.
  const names = new Map(given.map((d) => [d, r.read(d.keys.stream)]));
  if (given.length === 0) {
    r.failHere('has no destination', `add ${DESTINATION_LIST.map((d) => `${d.streamKey}: <${d.streamNoun}>`).join(' or ')}`);
    return undefined;
  }
  const rank = (d: { kind: DestinationKind }) => DESTINATION_PRECEDENCE.indexOf(d.kind);
  const d = [...given].sort((a, b) => rank(a) - rank(b))[0]!;
  for (const other of given) {
    if (other === d) continue;
    r.warn(
      other.streamKey,
      `is ignored: \`${d.streamKey}\` is given too, and a flow sends to one destination, ${d.title} here as in the Kinesis Agent`,
      `remove \`${other.streamKey}\`, or split it into two flows with the same filePattern`,
    );
  }
  const text = names.get(d);
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

function readFlowEndpoint(r: Reader, descriptor: DestinationDescriptor): ServiceEndpoint {
  for (const other of DESTINATION_LIST) {
    if (other === descriptor) continue;
    for (const { name } of other.keys.service) {
      // The Kinesis Agent ignores a key its flow does not read, so this is a warning, not a refusal
      // (a value of the wrong shape is still refused, as the schema flags it).
      if (r.has(name) && r.str(name, { allowEmpty: true }) !== undefined) r.warn(name, `does not apply to a ${descriptor.title} flow and is ignored`, `use ${descriptor.kind}.${name.split('.')[1]} in this flow`);
    }
  }
  return readServiceKeys(r, descriptor.keys.service);
}
