/**
 * The delivery core shared by every destination: a bounded queue in front,
 * batches cut to the API's limits, several calls in flight under an adaptive
 * limit, and retries of exactly the entries that failed. Destinations only
 * build and send a call and read its answer (kinesis.ts, firehose.ts).
 *
 * Memory: a record counts against `maxQueueBytes` from push() until it is
 * acknowledged, whether it waits in a batch, in flight or for a retry, so
 * an outage of any length holds at most that much (DESIGN invariant 2). It
 * counts its data and the heap its bookkeeping takes (RECORD_OVERHEAD_BYTES).
 */
import type { FlowConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { FlowEvents } from '../events/flow-events.js';
import { dataLength } from '../pipeline/line.js';
import type { RecordSink, SourceRecord } from '../pipeline/types.js';
import { backoffDelay } from './backoff.js';
import { Batcher } from './batcher.js';
import { AdaptiveConcurrency } from './concurrency.js';
import type { DestinationAdapter, EntryFailure } from './adapter.js';
import { acknowledge } from './ack-ranges.js';
import { recordCount, releasePacked, type Entry, type Packer } from './entry.js';
import type { ApiLimits } from './limits.js';
import { classifyCode, classifyError, type Failure } from './errors.js';

export interface Delivery extends RecordSink {
  start(): void;
  /** The destination's limits as known now. */
  readonly limits: ApiLimits;
  /** Learns the destination's limits (a stream's record size, see kinesis/record-size.ts) before records flow. */
  learnLimits(): Promise<ApiLimits>;
  /**
   * Stops taking records, sends what is buffered and waits for calls in
   * flight, up to `timeoutMs`; records not acknowledged by then never are,
   * so the checkpoint does not cover them and they are read again.
   */
  close(timeoutMs: number): Promise<void>;
}

export interface DeliveryCoreOptions {
  flow: FlowConfig;
  destination: DestinationAdapter;
  packer: Packer;
  /** Partition key of a record's data; absent: '' for every record (random keys, or an API without keys), and its bytes are not read. */
  keyOf?: ((data: Buffer) => string) | undefined;
  metrics: FlowEvents;
  log: Logger;
  /** Upper bound on one call, a backstop behind the SDK's own timeouts. */
  callTimeoutMs: number;
}

/**
 * Heap a queued record is counted for besides its data (bytes), so that
 * short lines do not hold several times the bound: at full speed the reader
 * keeps the queue full, and everything in it lives long enough for V8 to
 * move it to the old generation, which then grows with it (docs/performance.md,
 * Memory). 377 was measured when a line was a record, a Buffer view into the
 * read chunk and a batch entry; a Line (pipeline/line.ts) takes 97 with its
 * slot in the batch. The count stays 384: it also sets how many lines the
 * default queue holds (about 3,800 of 170 bytes), which the sixth round of
 * docs/performance.md tuned, and a bound that overstates is still a bound.
 */
export const RECORD_OVERHEAD_BYTES = 384;

/**
 * A batch is sent once its records hold this fraction of `maxQueueBytes`
 * (1/3): two calls travel while the next batch fills. A batch that could
 * hold the whole queue (KPL aggregates, packed Firehose records: thousands
 * of lines a call) was sent only when the queue was full, and reading then
 * waited for its answer: one call at a time, the reader idle while it
 * travelled, the sender idle while the reader refilled the queue. At half
 * the queue, one call travelled while the next filled, and with the second
 * sent the queue was full again: at full speed over TLS the reader still
 * waited for an answer (6-7 ms each) before every batch, 0.4 s of a KPL
 * run's 1.8. At a third it waits about 30 ms in all (docs/performance.md,
 * "Eleventh round"). Plain PutRecords batches of short lines (500 records)
 * hold far less than a third of the queue and are cut by the API's limits,
 * as before.
 */
export const BATCHES_IN_QUEUE = 3;

interface Batch {
  entries: Entry[];
  /** Sends of these entries so far that failed. */
  attempt: number;
  /** Not to be sent before this time (monotonic ms, performance.now()): a wall clock stepped back must not hold it. */
  notBefore: number;
}

function userRecords(entries: Entry[]): number {
  let n = 0;
  for (const e of entries) n += recordCount(e);
  return n;
}

export class DeliveryCore implements Delivery {
  private readonly flow: FlowConfig;
  private readonly destination: DestinationAdapter;
  private readonly keyOf: ((data: Buffer) => string) | undefined;
  private readonly metrics: FlowEvents;
  private readonly log: Logger;
  private readonly callTimeoutMs: number;
  private readonly batcher: Batcher;
  private readonly concurrency: AdaptiveConcurrency;
  /** Calls in flight, to abort at the shutdown deadline. */
  private readonly calls = new Set<AbortController>();
  private startup: Promise<void> = Promise.resolve();

  private batches: Batch[] = [];
  private queueBytes = 0;
  private queueRecords = 0;
  private inFlight = 0;
  private started = false;
  private closing = false;
  private abandoned = false;
  private ageTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = 0;
  /** Whole-call failures pause the flow: every call would likely meet the same fate. */
  private pausedUntil = 0;
  private callFailures = 0;
  private lastFailTicket = 0;
  private roomWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(opts: DeliveryCoreOptions) {
    this.flow = opts.flow;
    this.destination = opts.destination;
    this.keyOf = opts.keyOf;
    this.metrics = opts.metrics;
    this.log = opts.log;
    this.callTimeoutMs = opts.callTimeoutMs;
    const limits = opts.destination.limits;
    this.batcher = new Batcher(
      opts.packer,
      {
        entries: Math.max(1, Math.min(opts.flow.maxBufferSizeRecords, limits.recordsPerCall)),
        bytes: Math.max(1, Math.min(opts.flow.maxBufferSizeBytes, limits.bytesPerCall)),
        held: opts.flow.maxQueueBytes / BATCHES_IN_QUEUE,
        heldPerRecord: RECORD_OVERHEAD_BYTES,
      },
      (entries) => this.enqueue(entries),
    );
    this.concurrency = new AdaptiveConcurrency(opts.flow.maxInFlightRequests);
    this.metrics.queueCapacityBytes = opts.flow.maxQueueBytes;
  }

  /** The adaptive limit on calls in flight right now. */
  get concurrencyLimit(): number {
    return this.concurrency.limit;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.startup = this.destination.start?.() ?? Promise.resolve();
    this.pump();
  }

  /** Resolves when start-up work and any later shard refresh are done. */
  get limits(): ApiLimits {
    return this.destination.limits;
  }

  async learnLimits(): Promise<ApiLimits> {
    await this.destination.learnLimits?.();
    return this.destination.limits;
  }

  async ready(): Promise<void> {
    await this.startup;
    await this.destination.settled?.();
  }

  push(record: SourceRecord): boolean {
    // After close() records are not taken: unacknowledged, they are read again after a restart.
    if (this.closing) return false;
    this.queueBytes += dataLength(record);
    this.queueRecords++;
    this.metrics.queueBytes = this.queueBytes;
    this.batcher.add(record, this.keyOf ? this.keyOf(record.data) : '');
    if (this.batcher.pending > 0 && !this.ageTimer) {
      this.ageTimer = setTimeout(() => {
        this.ageTimer = undefined;
        this.batcher.flush();
      }, this.flow.maxBufferAgeMillis);
    }
    const room = this.hasRoom();
    this.flushIfStalled();
    return room;
  }

  /**
   * Full, with nothing waiting and nothing in flight: waiting for the open
   * batch to age would only stall. While calls are in flight their answers
   * make room and the batch grows on: sending it at once would cut KPL and
   * packed Firehose calls into small ones whenever the queue is full.
   */
  private flushIfStalled(): void {
    if (this.batcher.pending > 0 && !this.hasRoom() && this.batches.length === 0 && this.inFlight === 0) this.batcher.flush();
  }

  drained(): Promise<void> {
    if (this.hasRoom() || this.abandoned) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  async close(timeoutMs: number): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.clearAgeTimer();
      this.batcher.flush();
      this.pump();
    }
    // Never started: nothing can be sent, so there is nothing to wait for.
    if (!this.abandoned && this.started) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        timer = setTimeout(resolve, Math.max(0, timeoutMs));
        this.checkIdle();
      });
      clearTimeout(timer);
    }
    this.abandon();
  }

  private abandon(): void {
    if (this.abandoned) return;
    this.abandoned = true;
    const left = userRecords(this.batches.flatMap((b) => b.entries));
    if (left > 0 || this.inFlight > 0) {
      this.log.warn({ records: left, inFlightRequests: this.inFlight }, 'shutdown deadline reached; undelivered records will be read again after restart');
    }
    for (const c of this.calls) c.abort(new Error('shutdown deadline reached'));
    this.batches = [];
    this.clearAgeTimer();
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.destination.close();
    this.queueBytes = 0;
    this.queueRecords = 0;
    this.metrics.queueBytes = 0;
    this.metrics.inFlightRequests = 0;
    for (const w of this.roomWaiters.splice(0)) w();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private hasRoom(): boolean {
    return this.queueBytes + this.queueRecords * RECORD_OVERHEAD_BYTES < this.flow.maxQueueBytes && this.batches.length < Math.max(1, this.flow.publishQueueCapacity);
  }

  private notifyRoom(): void {
    if (this.roomWaiters.length > 0 && this.hasRoom()) for (const w of this.roomWaiters.splice(0)) w();
  }

  private checkIdle(): void {
    if (this.closing && this.batches.length === 0 && this.inFlight === 0 && this.batcher.pending === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private clearAgeTimer(): void {
    if (this.ageTimer) clearTimeout(this.ageTimer);
    this.ageTimer = undefined;
  }

  private enqueue(entries: Entry[]): void {
    this.clearAgeTimer();
    this.batches.push({ entries, attempt: 0, notBefore: 0 });
    this.pump();
  }

  private wake(at: number): void {
    if (this.wakeTimer && this.wakeAt <= at) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.pump();
    }, Math.max(0, at - performance.now()));
  }

  /** Starts every call the limit allows and whose time has come. */
  private pump(): void {
    if (!this.started || this.abandoned) return;
    while (this.inFlight < this.concurrency.limit && this.batches.length > 0) {
      const now = performance.now();
      if (now < this.pausedUntil) {
        this.wake(this.pausedUntil);
        break;
      }
      let pick = -1;
      let soonest = Infinity;
      for (let i = 0; i < this.batches.length; i++) {
        const at = this.batches[i]!.notBefore;
        if (at <= now) {
          pick = i;
          break;
        }
        if (at < soonest) soonest = at;
      }
      if (pick < 0) {
        this.wake(soonest);
        break;
      }
      const [batch] = this.batches.splice(pick, 1);
      this.call(batch!).catch((err: unknown) => {
        // Only a bug gets here (an acker that throws); say so rather than crash the agent.
        this.log.error({ err }, 'delivery bookkeeping failed');
      });
    }
    this.notifyRoom();
    this.flushIfStalled();
  }

  private async call(batch: Batch): Promise<void> {
    this.inFlight++;
    this.metrics.inFlightRequests = this.inFlight;
    const ticket = this.concurrency.begin();
    this.metrics.requests++;
    if (batch.attempt > 0) this.metrics.retries++;
    this.metrics.recordSendAttempts += userRecords(batch.entries);
    let failures: EntryFailure[] | undefined;
    let error: unknown;
    // One controller per call, aborted by its own deadline or by shutdown; a
    // long-lived parent signal with a dependent per call would only pile up listeners.
    const controller = new AbortController();
    this.calls.add(controller);
    const deadline = setTimeout(() => controller.abort(new Error(`call took over ${this.callTimeoutMs} ms`)), this.callTimeoutMs);
    try {
      failures = await this.destination.send(batch.entries, controller.signal);
    } catch (err) {
      error = err;
    } finally {
      clearTimeout(deadline);
      this.calls.delete(controller);
    }
    if (this.abandoned) return;
    this.inFlight--;
    this.metrics.inFlightRequests = this.inFlight;
    if (failures) this.answered(batch, failures, ticket);
    else this.failed(batch, error, ticket);
    this.pump();
    this.checkIdle();
  }

  /** Acknowledges delivered entries (coalesced per file, ack-ranges.ts) and releases their room in the queue. */
  private deliver(entries: readonly Entry[]): void {
    const { records, bytes } = acknowledge(entries);
    releasePacked(entries);
    this.metrics.recordsSent += records;
    this.metrics.bytesSent += bytes;
    this.queueBytes -= bytes;
    this.queueRecords -= records;
    this.metrics.queueBytes = this.queueBytes;
  }

  /** The call was answered; some entries may have failed inside it. */
  private answered(batch: Batch, failures: EntryFailure[], ticket: number): void {
    const now = Date.now();
    if (failures.length === 0) {
      this.deliver(batch.entries);
      this.concurrency.succeeded();
      this.healthy(now);
      return;
    }
    const failedAt = new Set(failures.map((f) => f.index));
    const retry: Entry[] = [];
    const delivered: Entry[] = [];
    batch.entries.forEach((e, i) => (failedAt.has(i) ? retry : delivered).push(e));
    this.deliver(delivered);
    this.metrics.recordSendErrors += userRecords(retry);

    let throttled = false;
    let userFailure: Failure | undefined;
    let first: Failure | undefined;
    for (const f of failures) {
      const c = classifyCode(f.code, f.message, this.destination.context);
      first ??= c;
      if (c.kind === 'throttle') throttled = true;
      if (c.kind === 'user') userFailure ??= c;
    }
    if (throttled) this.concurrency.throttled(ticket);
    this.destination.invalidate?.();
    const someDelivered = retry.length < batch.entries.length;
    if (someDelivered) {
      this.metrics.lastSendAt = now;
      if (!throttled) this.concurrency.succeeded();
    }
    // A user error inside answers keeps the flow failing even when other entries
    // pass; otherwise the state would flip, and log, on every call.
    if (userFailure) this.failing(userFailure, now);
    else if (someDelivered) this.healthy(now);
    else this.failing(first!, now);

    const attempt = batch.attempt + 1;
    const delay = userFailure
      ? this.flow.retryMaxBackoffMillis
      : backoffDelay(attempt, this.flow.retryInitialBackoffMillis, this.flow.retryMaxBackoffMillis);
    this.log.debug({ failed: retry.length, of: batch.entries.length, code: first!.code, retryInMs: delay }, 'records failed; retrying them');
    // Retries go first: they hold the oldest data.
    this.batches.unshift({ entries: retry, attempt, notBefore: performance.now() + delay });
  }

  /** The call failed as a whole: no entry was delivered. */
  private failed(batch: Batch, err: unknown, ticket: number): void {
    const now = Date.now();
    const f = classifyError(err, this.destination.context);
    this.metrics.serviceErrors++;
    if (f.kind === 'user') this.concurrency.collapse();
    else this.concurrency.throttled(ticket);
    // Calls that were in flight together fail together; count them as one failure.
    if (ticket > this.lastFailTicket) {
      this.callFailures++;
      this.lastFailTicket = this.concurrency.lastTicket;
    }
    const delay =
      f.kind === 'user'
        ? this.flow.retryMaxBackoffMillis
        : backoffDelay(this.callFailures, this.flow.retryInitialBackoffMillis, this.flow.retryMaxBackoffMillis);
    this.pausedUntil = Math.max(this.pausedUntil, performance.now() + delay);
    this.destination.invalidate?.();
    this.failing(f, now);
    this.log.debug({ code: f.code, err: f.message, retryInMs: delay }, 'call failed; retrying');
    batch.attempt++;
    batch.notBefore = 0;
    this.batches.unshift(batch);
  }

  private healthy(now: number): void {
    this.metrics.lastSendAt = now;
    this.callFailures = 0;
    const failingForMs = this.metrics.failingSince ? now - this.metrics.failingSince : 0;
    this.metrics.conditions.clear('delivery', { destination: this.destination.context.streamName, failingForMs });
    this.metrics.failingSince = 0;
  }

  /** Reported once per change of what fails (conditions.ts), and listed on /status while it lasts. */
  private failing(f: Failure, now: number): void {
    if (this.metrics.failingSince === 0) this.metrics.failingSince = now;
    const state = f.userError ? f.userError.code : `${f.kind}:${f.code}`;
    this.metrics.conditions.raise(
      'delivery',
      f.userError
        ? {
            state,
            level: 'error',
            fields: { code: f.userError.code, awsError: f.code, hint: f.userError.hint, detail: f.message },
            message: `${f.userError.message}; retrying every ${this.flow.retryMaxBackoffMillis} ms`,
            clearedMessage: 'delivery resumed',
          }
        : {
            state,
            fields: { destination: this.destination.context.streamName, error: f.code, detail: f.message, ...(f.hint ? { hint: f.hint } : {}) },
            message: f.kind === 'throttle' ? 'destination is throttling; slowing down and retrying' : 'delivery failing; retrying',
            clearedMessage: 'delivery resumed',
          },
    );
  }
}
