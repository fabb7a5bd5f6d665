/** Kinesis Data Streams: how to build a PutRecords call and read its answer. */
import { KinesisClient, ListShardsCommand, PutRecordsCommand, type ListShardsCommandOutput } from '@aws-sdk/client-kinesis';
import { Conditions } from '../../events/conditions.js';
import type { Logger } from '../../log.js';
import type { DestinationAdapter, EntryFailure } from '../adapter.js';
import type { Entry } from '../entry.js';
import { allDelivered, allDeliveredCbor, entryFailure, entryResults, type EntryResult } from '../answer.js';
import { formatOfAnswer, type WireFormat } from '../../aws/wire-format.js';
import { putRecordsCbor } from './cbor-body.js';
import type { DestinationContext } from '../errors.js';
import { PUT_RECORDS } from './limits.js';
import type { ApiLimits } from '../limits.js';
import { putRecordsLimits, readRecordLimit } from './record-size.js';
import { answerObject, putExchange, sdkPut, type PutExchange, type PutTransport } from '../raw-exchange.js';
import type { KplGroup } from '../kpl-packer.js';
import { recordsBody } from '../request-body.js';
import { ShardMap, type ShardRange } from '../shard-map.js';

export interface KinesisAdapterOptions {
  client: KinesisClient;
  context: DestinationContext;
  log: Logger;
  /** Learn the shards, so KPL aggregates can be grouped by shard. */
  routing: boolean;
  /** The stream's MaxRecordSizeInKiB as configured (`maxRecordSizeKiB`); read from DescribeStreamSummary when absent. */
  maxRecordSizeKiB?: number | undefined;
  /** Where a ListShards failure is reported (once per change); default detached. */
  conditions?: Conditions;
  /** How PutRecords travels (aws/transport.ts putPathFor); ListShards and DescribeStreamSummary always go through the client. */
  transport: PutTransport;
}

/** Refresh shards at least this often, to follow resharding that nothing else revealed. */
const SHARD_REFRESH_MS = 60_000;
/** And at most this often, however many failures ask for it. */
const SHARD_REFRESH_MIN_MS = 1_000;

/**
 * The encoding of PutRecords bodies: CBOR on the own HTTP/2 path, as the AWS
 * SDKs for Java (and so the Kinesis Agent) send by default, unless the
 * environment turns it off (AWS_CBOR_DISABLE, aws/transport.ts cborAllowed);
 * JSON through the SDK (plain HTTP, proxies), whose serializer and error
 * parser speak JSON.
 */
export function putRecordsFormat(transport: PutTransport): WireFormat {
  return transport.path.kind === 'own-h2' && transport.cbor ? 'cbor' : 'json';
}

/** PutRecords and ListShards name the stream by StreamARN when the config gave an ARN (another account's stream). */
function streamTarget(ctx: DestinationContext): { StreamName: string } | { StreamARN: string } {
  return ctx.streamArn !== undefined ? { StreamARN: ctx.streamArn } : { StreamName: ctx.streamName };
}

export class KinesisAdapter implements DestinationAdapter {
  limits: ApiLimits = PUT_RECORDS;
  readonly context: DestinationContext;
  private readonly client: KinesisClient;
  private readonly log: Logger;
  private readonly routing: boolean;
  private shards: ShardMap | undefined;
  private loadedAt = -Infinity;
  private loading = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly conditions: Conditions;
  private deferred: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private readonly configuredKiB: number | undefined;
  private rereading: Promise<void> | undefined;
  private readonly put: PutExchange;
  private readonly head: { field: 'StreamName' | 'StreamARN'; value: string };
  private readonly format: WireFormat;

  constructor(opts: KinesisAdapterOptions) {
    this.client = opts.client;
    const target = streamTarget(opts.context);
    this.head = 'StreamARN' in target ? { field: 'StreamARN', value: target.StreamARN } : { field: 'StreamName', value: target.StreamName };
    this.format = putRecordsFormat(opts.transport);
    this.put = putExchange(opts.client, opts.transport, {
      target: 'Kinesis_20131202.PutRecords',
      format: this.format,
      // PutRecords' endpoint rules: a data-plane call, by ARN when one is given (the account's own endpoint).
      endpointParams: { OperationType: 'data', ...('StreamARN' in target ? { StreamARN: target.StreamARN } : {}) },
      sdk: (body, signal) => {
        const command = new PutRecordsCommand({ ...target, Records: [] });
        return sdkPut(command, body, () => opts.client.send(command, { abortSignal: signal }));
      },
    });
    this.context = opts.context;
    this.log = opts.log;
    this.routing = opts.routing;
    this.conditions = opts.conditions ?? Conditions.detached(opts.log);
    this.configuredKiB = opts.maxRecordSizeKiB;
  }

  /** Reads the stream's record size limit (DescribeStreamSummary, or the flow's `maxRecordSizeKiB`) into `limits`. */
  async learnLimits(): Promise<void> {
    const limit = await readRecordLimit(this.client, streamTarget(this.context), this.configuredKiB, (err) => {
      // Only a refusal (no permission, no such stream) is the user's to act on here; an
      // endpoint that cannot be reached is reported once by delivery, which retries it.
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const user = status !== undefined && status >= 400 && status < 500 && status !== 429;
      (user ? this.log.warn : this.log.debug).call(
        this.log,
        { err: err.message },
        'cannot read the stream\'s MaxRecordSizeInKiB (DescribeStreamSummary); records are cut at 1 MiB (set maxRecordSizeKiB in the flow for a stream with larger records)',
      );
    });
    const before = this.limits.bytesPerRecord;
    this.limits = putRecordsLimits(limit.kib);
    if (this.limits.bytesPerRecord !== before) {
      this.log.info({ maxRecordSizeKiB: limit.kib, from: limit.source }, 'stream takes records larger than 1 MiB');
    }
  }

  /**
   * A call was refused as invalid: one reason is a stream whose record size
   * limit was lowered since start. Read it again (once at a time) and say
   * what changed; records already cut to the old limit are retried as they are.
   */
  private reread(): void {
    if (this.configuredKiB !== undefined || this.rereading) return;
    const before = this.limits.bytesPerRecord;
    this.rereading = this.learnLimits()
      .then(() => {
        if (this.limits.bytesPerRecord < before) {
          this.log.error(
            { maxRecordSizeKiB: this.limits.bytesPerRecord / 1024 },
            'the stream\'s MaxRecordSizeInKiB was lowered; restart the agent so that new records are cut to it',
          );
        }
      })
      .finally(() => (this.rereading = undefined));
  }

  start(): Promise<void> {
    if (!this.routing) return Promise.resolve();
    this.timer = setInterval(() => void this.refresh(), SHARD_REFRESH_MS);
    this.timer.unref();
    return this.refresh();
  }

  /**
   * The group a partition key's records share an aggregate in: its shard.
   * Until shards are known (or when ListShards is denied), the key itself,
   * which is always correct, only packs less.
   */
  /** The KPL group of a partition key: its shard while the shard map is known, else the key itself. */
  route(key: string): Exclude<KplGroup, { kind: 'random' }> {
    const shardId = this.shards?.shardOf(key);
    return shardId === undefined ? { kind: 'key', key } : { kind: 'shard', shardId };
  }

  invalidate(): void {
    if (!this.routing || this.closed || this.deferred) return;
    const wait = this.loadedAt + SHARD_REFRESH_MIN_MS - performance.now();
    if (wait <= 0) {
      void this.refresh();
      return;
    }
    // Too soon after the last refresh: do it once the interval is over, not never.
    this.deferred = setTimeout(() => {
      this.deferred = undefined;
      void this.refresh();
    }, wait);
    this.deferred.unref();
  }

  /** Resolves when no shard refresh is running. */
  settled(): Promise<void> {
    return this.inflight ?? Promise.resolve();
  }

  private refresh(): Promise<void> {
    if (this.loading || this.closed) return this.inflight ?? Promise.resolve();
    this.inflight = this.load().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async load(): Promise<void> {
    this.loading = true;
    // Monotonic: a wall clock stepped back must not hold refreshes off.
    this.loadedAt = performance.now();
    try {
      const ranges: ShardRange[] = [];
      let token: string | undefined;
      do {
        const page: ListShardsCommandOutput = await this.client.send(
          new ListShardsCommand(token ? { NextToken: token } : streamTarget(this.context)),
        );
        for (const s of page.Shards ?? []) {
          // Closed (parent) shards take no more writes.
          if (s.SequenceNumberRange?.EndingSequenceNumber !== undefined) continue;
          if (!s.ShardId || !s.HashKeyRange?.StartingHashKey || !s.HashKeyRange.EndingHashKey) continue;
          ranges.push({ shardId: s.ShardId, start: BigInt(s.HashKeyRange.StartingHashKey), end: BigInt(s.HashKeyRange.EndingHashKey) });
        }
        token = page.NextToken;
      } while (token);
      this.shards = new ShardMap(ranges);
      this.log.debug({ shards: ranges.length }, 'shard map loaded');
      this.conditions.clear('ListShards');
    } catch (err) {
      this.conditions.raise('ListShards', {
        state: (err as Error).name ?? 'Error',
        fields: { err: (err as Error).message },
        message: 'cannot list shards; aggregating records per partition key instead of per shard (grant kinesis:ListShards to pack more)',
        clearedMessage: 'shards listed again; aggregating per shard',
      });
    } finally {
      this.loading = false;
    }
  }

  async send(entries: Entry[], signal: AbortSignal): Promise<EntryFailure[]> {
    let answered: { failures: EntryFailure[]; stale: boolean };
    const alloc = (size: number): Buffer => this.put.bodyBuffer(size);
    const cbor = this.format === 'cbor';
    try {
      const body = cbor ? putRecordsCbor(this.head.field, this.head.value, entries, alloc) : recordsBody(this.head.field, this.head.value, entries, true, alloc);
      answered = await this.put.send(body, signal, (answer) => this.failuresIn(answer, entries));
    } catch (err) {
      if ((err as Error).name === 'ValidationException') this.reread();
      throw err;
    }
    const { failures, stale } = answered;
    // An aggregate landed on another shard than it was grouped for: the stream was resharded.
    if (stale) this.invalidate();
    return failures;
  }

  /** The entries a PutRecords answer says failed, and whether an aggregate landed on another shard than it was grouped for. */
  private failuresIn(answer: Buffer, entries: Entry[]): { failures: EntryFailure[]; stale: boolean } {
    // Read in the encoding it came in, which a server that ignores the request's may not have kept.
    const format = formatOfAnswer(answer, this.format);
    // Aggregates grouped by shard are checked against the shard each landed on (below): their answers are read whole.
    const delivered = format === 'cbor' ? allDeliveredCbor : allDelivered;
    if (!entries.some((e) => e.shardId !== undefined) && delivered(answer, entries.length, 'FailedRecordCount', 'SequenceNumber')) return { failures: [], stale: false };
    const results = entryResults('PutRecords', answerObject('PutRecords', answer, format), 'Records', entries.length);
    const failures: EntryFailure[] = [];
    let stale = false;
    for (let index = 0; index < results.length; index++) {
      const failure = entryFailure(results[index], index, 'SequenceNumber');
      if (failure) failures.push(failure);
      else {
        const shard = (results[index] as EntryResult).ShardId;
        if (shard && entries[index]!.shardId && shard !== entries[index]!.shardId) stale = true;
      }
    }
    return { failures, stale };
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.deferred) clearTimeout(this.deferred);
    this.put.close();
    this.client.destroy();
  }
}
