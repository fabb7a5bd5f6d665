import type { Logger } from '../log.js';
import { destinationLabel, type ObservedFlow } from './observed-flow.js';

export interface ProgressLog {
  /** Logs one line per flow now (also used for the last line at stop). */
  report(): void;
  stop(): void;
}

/**
 * Every log.statusReportingPeriodSeconds, one info line per flow with the
 * totals the Kinesis Agent's "Progress:" lines give, as fields a log
 * pipeline can chart, and a sentence a person can read.
 */
export function startProgressLog(opts: { flows: () => ObservedFlow[]; log: Logger; periodSeconds: number }): ProgressLog {
  const lastSent = new Map<string, number>();
  const report = () => {
    for (const f of opts.flows()) {
      const m = f.metrics;
      const sentInPeriod = m.recordsSent - (lastSent.get(f.id) ?? 0);
      lastSent.set(f.id, m.recordsSent);
      const sendErrors = m.recordSendErrors + m.serviceErrors;
      opts.log.info(
        {
          flow: f.id,
          destination: destinationLabel(f.destination),
          recordsParsed: m.recordsParsed,
          bytesParsed: m.bytesParsed,
          recordsSent: m.recordsSent,
          bytesSent: m.bytesSent,
          recordsSentInPeriod: Math.max(0, sentInPeriod),
          recordsSkipped: m.recordsSkipped,
          recordsTruncated: m.recordsTruncated,
          processingErrors: m.processingErrors,
          sendErrors,
          bytesBehind: m.bytesBehind,
          filesBehind: m.filesBehind,
          filesTracked: m.filesTracked,
        },
        `progress: ${m.recordsParsed} records parsed (${m.bytesParsed} bytes), ${m.recordsSent} sent to ${destinationLabel(f.destination)}, ` +
          `${m.recordsSkipped} skipped, ${sendErrors} send errors; ${m.bytesBehind} bytes behind in ${m.filesTracked} tracked files`,
      );
    }
  };
  const timer = opts.periodSeconds > 0 ? setInterval(report, opts.periodSeconds * 1000) : undefined;
  timer?.unref();
  return { report, stop: () => clearInterval(timer) };
}
