/**
 * The keys of one `flows[]` entry, one row each (key-row.ts): what flow.ts
 * reads, the JSON Schema and docs/configuration.md show. Defaults and ranges
 * are the Kinesis Agent's (its FileFlow.java and the destinations'
 * FileFlow subclasses) unless a row says it differs. Each destination's own
 * rows (its stream key, the keys it owns, its endpoint and region) come from
 * its descriptor (src/sink/destinations.ts).
 */
import { DESTINATION_LIST } from '../sink/destinations.js';
import type { DestinationDescriptor } from '../sink/descriptor.js';
import {
  AFTER_SHIPPING_ACTIONS,
  AFTER_SHIPPING_DEFAULTS,
  AFTER_SHIPPING_FILES,
  COMPRESSION_KINDS,
  CONTAINER_FORMATS,
  MAX_RECORD_KIB,
  MIN_RECORD_KIB,
  MULTILINE_PRESETS,
} from './flow-options.js';
import { keyTable, rowsOf, type KeyRow } from './key-row.js';

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * `maxQueueBytes` when a flow does not give it. 2 MiB: a queued line lives
 * from its read to its acknowledgement, and in a queue that holds seconds of
 * reading at full speed it lives long enough for V8 to promote it to the old
 * generation, whose marking and sweeping (on V8's worker threads) were a
 * third of the agent's CPU. At 2 MiB (about 3,800 lines of 170 bytes with
 * their bookkeeping, seven calls of 500) they die young: plain PutRecords
 * over TLS used 27 % less CPU per line at 30 % more lines/s than at 8 MiB,
 * peak RSS 150 MB instead of 170 (docs/performance.md, "Sixth round"; 3 MiB
 * cost 10 % more CPU than 2). At AWS's latencies seven calls of 500 lines
 * in flight at 20-50 ms each carry 70-175k lines/s per flow, more than the
 * shards of most streams take; the log file is the buffer beyond it.
 */
export const QUEUE_BYTES_DEFAULT = 2 * MIB;
/**
 * `maxQueueBytes` of a flow with `aggregation` that does not give it. A KPL
 * call takes a third of what the queue holds (sink/delivery.ts: two travel
 * while the next fills), so a larger queue packs more per call: 266 calls
 * per million lines of 170 bytes at 6 MiB, as at 4 MiB when a call took
 * half. When a call took the whole queue, 4 MiB cost the CPU of 2 MiB, 15 %
 * less than 16 MiB, and peak RSS 109 MB instead of 176 (docs/performance.md,
 * "Sixth round", "Seventh round" and "Eleventh round").
 */
export const QUEUE_BYTES_AGGREGATED = 6 * MIB;

/** The default and maximum of a batch key: the destination's API limit, per destination in words. */
function perDestination(limit: 'recordsPerCall' | 'bytesPerCall'): string {
  return DESTINATION_LIST.map((d) => `${d.title} ${d.limits[limit]}`).join('; ');
}

/** Ours and the Kinesis Agent's flow keys that take effect, besides the destinations' own. */
export const FLOW = keyTable({
  name: {
    type: 'string',
    ours: true,
    defaultText: `${DESTINATION_LIST.map((d) => `\`${d.kind}:<stream>:<patterns>\``).join(' or ')} (patterns joined by \`,\`)`,
    description: 'The flow\'s id: checkpoints and reloads key on it. Must be unique.',
  },
  filePattern: {
    type: 'string-list',
    unit: 'glob',
    required: true,
    description: 'Glob of the files to tail, read as the Kinesis Agent\'s Java glob: `*`, `**`, `?`, `[abc]`, `[!abc]` and `{a,b}` are special, every other character (`(`, `)`, `+`, `@`, `!`) stands for itself. Beyond the Kinesis Agent, a list of globs. Relative globs are relative to the file that names them.',
  },
  excludePatterns: { type: 'string-list', unit: 'glob', ours: true, default: [], description: 'Globs of files never to tail, even if `filePattern` matches them.' },
  initialPosition: {
    type: 'enum',
    values: ['START_OF_FILE', 'END_OF_FILE'],
    default: 'END_OF_FILE',
    description:
      'Where to start in the files present when a flow runs for the first time (it has no checkpoint yet). Once a flow has run, a file without a checkpoint appeared while the agent was away and is read from its start.',
  },
  maxBufferAgeMillis: { type: 'int', default: 60_000, min: 1000, max: 900_000, unit: 'ms', description: 'Longest a record waits in a batch before the batch is sent.' },
  maxBufferSizeRecords: {
    type: 'int',
    min: 1,
    destinationLimit: 'recordsPerCall',
    unit: 'records',
    defaultText: `the destination's limit: ${perDestination('recordsPerCall')}`,
    description: 'Records per batch (one PutRecords / PutRecordBatch call), at most the destination\'s limit.',
  },
  maxBufferSizeBytes: {
    type: 'int',
    min: 1,
    destinationLimit: 'bytesPerCall',
    unit: 'bytes',
    defaultText: `the destination's limit: ${perDestination('bytesPerCall')}`,
    description: 'Bytes per batch, at most the destination\'s limit.',
  },
  minTimeBetweenFilePollsMillis: {
    type: 'int',
    default: 100,
    min: 1,
    belowMin: 'the Kinesis Agent polls again without a pause for 0 or less; 1 ms is the shortest pause here',
    unit: 'ms',
    description: 'How often tailed files are polled for new data.',
  },
  maxTimeBetweenFileTrackerRefreshMillis: {
    type: 'int',
    default: 10_000,
    min: 1,
    unit: 'ms',
    description: 'Longest time between rescans of `filePattern` for new and rotated files.',
  },
  retryInitialBackoffMillis: { type: 'int', default: 100, min: 0, unit: 'ms', description: 'First wait before retrying failed records.' },
  retryMaxBackoffMillis: { type: 'int', default: 10_000, min: 1, unit: 'ms', description: 'Longest wait between retries; at least `retryInitialBackoffMillis`.' },
  publishQueueCapacity: { type: 'int', default: 100, min: 1, unit: 'batches', description: 'Batches queued for sending.' },
  maxQueueBytes: {
    type: 'int',
    default: QUEUE_BYTES_DEFAULT,
    defaultText: `${QUEUE_BYTES_DEFAULT} (2 MiB); ${QUEUE_BYTES_AGGREGATED} (6 MiB) with \`aggregation\``,
    min: 1 * MIB,
    max: 1024 * MIB,
    unit: 'bytes',
    ours: true,
    description: 'Memory for records held between the tailer and the sender: each record counts its bytes plus 384 for its bookkeeping; past it, reading pauses and the file is the buffer.',
  },
  maxInFlightRequests: { type: 'int', default: 8, min: 1, max: 64, unit: 'calls', ours: true, description: 'Most concurrent send calls for this flow (upper bound of the adaptive limit).' },
  skipHeaderLines: {
    type: 'int',
    default: 0,
    min: 0,
    belowMin: 'the Kinesis Agent skips header lines only while the count is over 0 (AbstractParser), so a negative count skips none there either',
    unit: 'lines',
    description: 'Lines skipped at the start of each file.',
  },
  multiLineStartPattern: {
    type: 'regex',
    defaultText: 'one line, one record',
    description: 'Java regular expression that starts a record when it matches at a line\'s start (as Java\'s `lookingAt()`); following lines that do not match belong to it.',
  },
  multiLine: {
    type: 'enum',
    values: MULTILINE_PRESETS,
    ours: true,
    description: 'A runtime\'s stack traces travel as one record; with `multiLineStartPattern`, a trace joins the log line that reports it.',
  },
  containerFormat: {
    type: 'enum',
    values: CONTAINER_FORMATS,
    ours: true,
    description: 'Lines are written by a container runtime (`docker`: json-file; `cri`: Kubernetes): the application\'s line is taken out of the wrapper and lines the runtime split are joined.',
  },
  fileFooterPattern: {
    type: 'regex',
    description: 'Java regular expression; a line it matches whole, once trimmed (as Java\'s `matches()`), ends the file\'s processing and is not sent.',
  },
  truncatedRecordTerminator: {
    type: 'string',
    allowEmpty: true,
    default: '\n',
    description: 'Appended to a record cut at the record size limit; shorter than that limit.',
  },
  maxRecordSizeKiB: {
    type: 'int',
    min: MIN_RECORD_KIB,
    max: MAX_RECORD_KIB,
    unit: 'KiB',
    ours: true,
    defaultText: `read from the stream; ${MIN_RECORD_KIB} if it cannot be read`,
    description: 'Streams: the stream\'s `MaxRecordSizeInKiB`, for an agent without `kinesis:DescribeStreamSummary` permission. Without it the agent reads the stream\'s limit at start.',
  },
  compression: {
    type: 'enum',
    values: COMPRESSION_KINDS,
    ours: true,
    description:
      'Each API record is compressed: a line, or a whole KPL aggregate or Firehose packed record when `aggregation` / `aggregatedRecordSizeBytes` are on (zstd: Node 22.15 or later). Consumers decompress.',
  },
  dataProcessingOptions: { type: 'list', default: [], description: 'Processors applied to each record, in order (see dataProcessingOptions).' },
  afterShipping: {
    type: 'enum',
    values: AFTER_SHIPPING_ACTIONS,
    ours: true,
    defaultText: 'absent: files are left alone',
    description: 'Once a file is finished (rotated away, read to its end, every record acknowledged, quiet for `afterShippingQuietMillis`), delete it or rename it with `afterShippingSuffix`. Never the file still written at its name.',
  },
  afterShippingFiles: {
    type: 'enum',
    values: AFTER_SHIPPING_FILES,
    default: AFTER_SHIPPING_DEFAULTS.files,
    ours: true,
    description: '`rotated`: only files rotated away from their name; `quiet`: also files still at their name and quiet, but never the newest matching file of their directory (files written once).',
  },
  afterShippingQuietMillis: {
    type: 'int',
    min: 1000,
    default: AFTER_SHIPPING_DEFAULTS.quietMillis,
    unit: 'ms',
    ours: true,
    description: 'How long a finished file must have been quiet (no growth, and its mtime that old) before it is deleted or renamed.',
  },
  afterShippingSuffix: {
    type: 'string',
    default: AFTER_SHIPPING_DEFAULTS.suffix,
    ours: true,
    description: 'What `afterShipping: rename` appends to the file\'s name, in its own directory; refused when the flow\'s patterns would still match the new name.',
  },
});

/** Kinesis Agent flow keys accepted so that its agent.json loads: type-checked, warned about, changing nothing here. */
export const FLOW_NO_EFFECT = keyTable({
  waitOnFullPublishQueueMillis: {
    type: 'int',
    min: 1000,
    max: 900_000,
    unit: 'ms',
    description: 'The Kinesis Agent\'s wait on a full publish queue.',
    noEffect: 'reading pauses behind a bounded queue (`maxQueueBytes`) instead of waiting on a full publish queue',
  },
  waitOnEmptyPublishQueueMillis: {
    type: 'int',
    min: 1000,
    max: 900_000,
    unit: 'ms',
    description: 'The Kinesis Agent\'s wait on an empty publish queue.',
    noEffect: 'batches are sent when full or `maxBufferAgeMillis` old; nothing polls an empty queue',
  },
  waitOnFullRetryQueueMillis: {
    type: 'int',
    min: 0,
    unit: 'ms',
    description: 'The Kinesis Agent\'s wait on a full retry queue.',
    noEffect: 'failed records are retried in place with backoff; there is no separate retry queue',
  },
  'log.emitInternalMetrics': { type: 'bool', description: 'The Kinesis Agent\'s internal metrics.', noEffect: 'per-flow counters are always kept and served on /metrics and /status' },
});

/** A destination's `<kind>.endpoint` / `<kind>.region` row as a flow reads it: over the top-level one. */
function inFlow(row: KeyRow, title: string): KeyRow {
  return { ...row, defaultText: 'the top-level one', description: `${row.description} In a ${title} flow: this flow's own, over the top-level one.` };
}

/** Every flow key, in the order the docs list them: ours and the agent's, each destination's, then those without effect. */
export const FLOW_ROWS: readonly KeyRow[] = [
  ...rowsOf(FLOW),
  ...DESTINATION_LIST.flatMap((d) => [d.keys.stream, ...d.keys.flow, ...d.keys.service.map((row) => inFlow(row, d.title))]),
  ...rowsOf(FLOW_NO_EFFECT),
];

/** A batch key's row with the default and maximum its `destinationLimit` takes from the flow's destination. */
export function withLimit(row: KeyRow & { type: 'int'; destinationLimit: 'recordsPerCall' | 'bytesPerCall' }, limits: DestinationDescriptor['limits']): KeyRow & { type: 'int'; default: number } {
  return { ...row, default: limits[row.destinationLimit], max: limits[row.destinationLimit] };
}
