import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { AgentConfig } from '../config/types.js';
import { Conditions } from '../events/conditions.js';
import type { Logger } from '../log.js';
import { credentialsFor } from '../aws/credentials.js';
import { requestHandlerFor } from '../aws/transport.js';
import { LAST_RESORT_REGION } from '../config/region.js';
import { DatumQueue } from './datum-queue.js';
import { resolveInstanceId } from './instance-id.js';
import type { ObservedFlow } from './observed-flow.js';
import { Sampler } from './sampler.js';

export interface CloudWatchReporterOptions {
  config: AgentConfig;
  flows: () => ObservedFlow[];
  log: Logger;
  /** Where an outage or a refusal is reported (once per change, listed on /status); default detached. */
  conditions?: Conditions;
  /** How often counters are read into the statistic sets; default min(1 s, metricsBufferTimeMillis). */
  sampleIntervalMillis?: number;
  /** Datums kept while CloudWatch is unreachable; beyond, the oldest are dropped. */
  maxQueuedDatums?: number;
  /** How long stop() may spend sending what is left. */
  stopTimeoutMillis?: number;
  /** A call that takes longer is abandoned and its batch retried next period. */
  callTimeoutMillis?: number;
  env?: NodeJS.ProcessEnv;
}

export interface CloudWatchStats {
  queued: number;
  dropped: number;
  datumsSent: number;
  calls: number;
  failedCalls: number;
}

const CALL_TIMEOUT_MS = 15_000;
const TWO_WEEKS_MS = 14 * 86_400_000;
/** CloudWatch refuses these for what is in the batch: resending cannot help. */
const INVALID_INPUT = /InvalidParameter|MissingParameter|MissingRequiredParameter|InvalidFormat/;

/**
 * Sends each flow's metrics to CloudWatch as statistic sets, one datum per
 * metric per metricsBufferTimeMillis. Separate from delivery on purpose: one
 * call at a time, no SDK retries (an unsent batch waits for the next
 * period), a bounded queue that drops the oldest datums. A CloudWatch outage
 * or a denied permission is logged once per change and costs log delivery
 * nothing.
 */
export class CloudWatchReporter {
  private readonly queue: DatumQueue;
  private readonly conditions: Conditions;
  private readonly timers: NodeJS.Timeout[] = [];
  private pumping: Promise<void> | undefined;
  private abort = new AbortController();
  private stopped = false;
  private droppedLogged = 0;
  private readonly stats0 = { datumsSent: 0, calls: 0, failedCalls: 0 };
  /** Looked up in the background (up to two seconds off EC2); the first flush waits for it. */
  private instanceLookup: Promise<void> = Promise.resolve();

  private constructor(
    private readonly opts: CloudWatchReporterOptions,
    private readonly client: CloudWatchClient,
    private readonly sampler: Sampler,
  ) {
    this.queue = new DatumQueue(opts.maxQueuedDatums ?? 10_000);
    this.conditions = opts.conditions ?? Conditions.detached(opts.log);
  }

  static async start(opts: CloudWatchReporterOptions): Promise<CloudWatchReporter> {
    const cw = opts.config.cloudwatch;
    const sampler = new Sampler();
    const reporter = new CloudWatchReporter(opts, createClient(opts.config, opts.env, opts.callTimeoutMillis), sampler);
    if (cw.tagInstance) reporter.instanceLookup = resolveInstanceId(opts.env).then((id) => void (sampler.instance = id));
    const every = cw.metricsBufferTimeMillis;
    const sampleEvery = opts.sampleIntervalMillis ?? Math.min(1000, every);
    reporter.timers.push(setInterval(() => reporter.sample(), sampleEvery), setInterval(() => void reporter.flush(), every));
    for (const t of reporter.timers) t.unref();
    opts.log.debug({ namespace: cw.namespace, endpoint: cw.endpoint, region: cw.region, tagInstance: cw.tagInstance, everyMillis: every }, 'CloudWatch metrics on');
    return reporter;
  }

  stats(): CloudWatchStats {
    return { queued: this.queue.length, dropped: this.queue.dropped, ...this.stats0 };
  }

  private sample(): void {
    this.sampler.sample(this.opts.flows());
  }

  /** Closes the current period and sends what is queued; resolves when that round is done. */
  async flush(): Promise<void> {
    await this.instanceLookup;
    const flows = this.opts.flows();
    this.sampler.sample(flows);
    this.queue.push(this.sampler.take(new Date(), flows));
    this.queue.dropOlderThan(Date.now() - TWO_WEEKS_MS + 3_600_000);
    this.noteDrops();
    await this.pump();
  }

  private pump(): Promise<void> {
    this.pumping ??= this.sendAll().finally(() => (this.pumping = undefined));
    return this.pumping;
  }

  private async sendAll(): Promise<void> {
    while (this.queue.length > 0 && !this.abort.signal.aborted) {
      const batch = this.queue.takeBatch();
      const outcome = await this.send(batch);
      if (outcome === 'retry') {
        this.queue.unshift(batch);
        this.noteDrops();
        return;
      }
    }
  }

  private async send(batch: MetricDatum[]): Promise<'ok' | 'retry' | 'dropped'> {
    const { log, config } = this.opts;
    this.stats0.calls += 1;
    try {
      await this.client.send(new PutMetricDataCommand({ Namespace: config.cloudwatch.namespace, MetricData: batch }), {
        abortSignal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.opts.callTimeoutMillis ?? CALL_TIMEOUT_MS)]),
      });
      this.stats0.datumsSent += batch.length;
      this.conditions.clear('PutMetricData');
      return 'ok';
    } catch (err) {
      this.stats0.failedCalls += 1;
      const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const name = e.name ?? 'Error';
      const status = e.$metadata?.httpStatusCode;
      if (status === 400 && INVALID_INPUT.test(name)) {
        this.queue.dropped += batch.length;
        log.warn({ err: e.message, code: name, datums: batch.length }, 'CloudWatch refused a batch of metrics as invalid; dropped it');
        return 'dropped';
      }
      const state = `${name}${status ? ` (HTTP ${status})` : ''}`;
      const denied = /denied|unauthori[sz]ed|forbidden|credential|security ?token|signature/i.test(`${name} ${e.message ?? ''}`);
      this.conditions.raise('PutMetricData', {
        state,
        fields: { code: name, status, err: e.message, namespace: config.cloudwatch.namespace },
        message: denied
          ? 'CloudWatch refuses metrics; they are kept (up to a bound) and retried each period. Hint: allow cloudwatch:PutMetricData for the agent\'s credentials, or set cloudwatch.emitMetrics: false'
          : 'cannot send metrics to CloudWatch; they are kept (up to a bound) and retried each period',
        clearedMessage: 'CloudWatch accepts metrics again',
      });
      return 'retry';
    }
  }

  /** Logs the start and end of dropping, not each drop. */
  private noteDrops(): void {
    const dropped = this.queue.dropped;
    if (dropped > this.droppedLogged) {
      this.conditions.raise('queue', {
        state: 'dropping',
        fields: { dropped, capacity: this.queue.capacity },
        message: 'CloudWatch metrics queue is full; dropping the oldest datums',
        clearedMessage: 'CloudWatch metrics queue drained; no longer dropping',
      });
      this.droppedLogged = dropped;
    } else if (this.queue.length === 0) {
      this.conditions.clear('queue', { dropped });
    }
  }

  /** Sends the last period, giving it stopTimeoutMillis at most, then closes the client. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.pumping) this.abort.abort();
    await this.pumping?.catch(() => undefined);
    this.abort = new AbortController();
    const timer = setTimeout(() => this.abort.abort(), this.opts.stopTimeoutMillis ?? 3000);
    try {
      await this.flush();
    } finally {
      clearTimeout(timer);
      this.client.destroy();
    }
  }
}

function createClient(config: AgentConfig, env: NodeJS.ProcessEnv = process.env, callTimeoutMillis = CALL_TIMEOUT_MS): CloudWatchClient {
  const { endpoint, region } = config.cloudwatch;
  // Config loading resolved it (src/config/region.ts); a config built in code without one gets the chain's last resort.
  const resolvedRegion = region ?? config.defaultRegion?.region ?? LAST_RESORT_REGION.region;
  return new CloudWatchClient({
    region: resolvedRegion,
    ...(endpoint ? { endpoint } : {}),
    credentials: credentialsFor(config, resolvedRegion),
    // Retries are ours: a failed batch waits for the next period.
    maxAttempts: 1,
    requestHandler: requestHandlerFor({
      endpoint,
      defaultHttp2: false,
      // Metrics need one connection, and must not hold one for long.
      // The socket timeout is left above the call timeout, whose abort is the one that acts.
      connection: { ...config.connection, maxConnections: 2, socketTimeoutMillis: callTimeoutMillis + 5000 },
      proxy: config.proxy,
      env,
    }),
  });
}
