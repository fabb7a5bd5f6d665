/**
 * Wiring of what reads the flows' reports: the metrics readers (src/metrics/)
 * and the status server (src/status/). Here, above both, so that neither
 * folder imports the other's starter.
 */
import type { AgentConfig } from './config/types.js';
import { ConditionBoard, type Problem } from './events/conditions.js';
import { registerConfigSecrets, type Logger } from './log.js';
import { startProgressLog, type AgentSamples, type CloudWatchReporter, type ObservedFlow } from './metrics/index.js';
import { startStatusServer, type StatusServer } from './status/server.js';
import { VERSION } from './version.js';

export interface ObservabilityOptions {
  config: AgentConfig;
  log: Logger;
  /** Every configured flow, running or not (a failed one counts against /healthz). */
  flows: () => ObservedFlow[];
  /** The agent's conditions: /status `problems`, and CloudWatch's own are reported there. Default: a board of its own. */
  conditions?: ConditionBoard;
  /** Overrides for tests. */
  startedAt?: number;
  env?: NodeJS.ProcessEnv;
  cloudwatch?: { sampleIntervalMillis?: number; maxQueuedDatums?: number; callTimeoutMillis?: number };
}

export interface Observability {
  /** The status server's base URL, when http.listen is set. */
  readonly statusUrl: string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts what the config asks for: the CloudWatch reporter
 * (cloudwatch.emitMetrics), the status server (http.listen; no socket
 * otherwise) and the progress log (log.statusReportingPeriodSeconds). Call
 * after the flows start; stop before draining them. Only a status server
 * that cannot listen makes it throw (StatusListenError): CloudWatch trouble
 * is logged and never stops the agent.
 */
export async function startObservability(opts: ObservabilityOptions): Promise<Observability> {
  const { config, flows } = opts;
  // Normally done by whoever loaded the config; repeated here so /status is safe regardless.
  registerConfigSecrets(config);
  const log = opts.log.child({ component: 'metrics' });
  const startedAt = opts.startedAt ?? Date.now();
  const board = opts.conditions ?? new ConditionBoard();
  const problems = (): Problem[] => board.problems();

  const cloudwatchConditions = board.scope('cloudwatch', log);
  let cloudwatch: CloudWatchReporter | undefined;
  if (config.cloudwatch.emitMetrics) {
    try {
      // Loaded only when used: the CloudWatch client is most of this module's start-up cost.
      const { CloudWatchReporter } = await import('./metrics/cloudwatch.js');
      cloudwatch = await CloudWatchReporter.start({
        config,
        flows,
        log,
        conditions: cloudwatchConditions,
        ...opts.cloudwatch,
        ...(opts.env ? { env: opts.env } : {}),
      });
    } catch (err) {
      log.warn({ err: String(err) }, 'CloudWatch metrics are off: the reporter could not start');
    }
  }

  let server: StatusServer | undefined;
  if (config.http) {
    const extraMetrics = (): AgentSamples['extra'] => {
      if (!cloudwatch) return [];
      const s = cloudwatch.stats();
      return [
        { name: 'kinesis_agent_cloudwatch_datums_sent_total', type: 'counter', help: 'Metric datums CloudWatch accepted.', value: s.datumsSent },
        { name: 'kinesis_agent_cloudwatch_datums_dropped_total', type: 'counter', help: 'Metric datums dropped (queue full during an outage, or refused as invalid).', value: s.dropped },
        { name: 'kinesis_agent_cloudwatch_datums_queued', type: 'gauge', help: 'Metric datums waiting for CloudWatch.', value: s.queued },
        { name: 'kinesis_agent_cloudwatch_failed_calls_total', type: 'counter', help: 'PutMetricData calls that failed.', value: s.failedCalls },
      ];
    };
    try {
      server = await startStatusServer({ ...config.http, flows, problems, version: VERSION, startedAt, log, extraMetrics });
    } catch (err) {
      await cloudwatch?.stop();
      throw err;
    }
  }

  const progress = startProgressLog({ flows, log: opts.log.child({ component: 'progress' }), periodSeconds: config.log.statusReportingPeriodSeconds });

  let stopping: Promise<void> | undefined;
  return {
    statusUrl: server?.url,
    stop: () =>
      (stopping ??= (async () => {
        progress.stop();
        await Promise.all([server?.close(), cloudwatch?.stop()]);
        // A reporter that is gone has no conditions left to fix.
        cloudwatchConditions.forgetAll();
      })()),
  };
}
