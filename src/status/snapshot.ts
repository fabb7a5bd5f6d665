import { REDACTED } from '../log.js';
import type { Problem } from '../events/conditions.js';
import { destinationLabel, type ObservedFlow } from '../metrics/index.js';

export interface StatusFile {
  path: string;
  size?: number;
  committedOffset?: number;
  bytesBehind?: number;
  lastSendAt?: string | null;
  [key: string]: unknown;
}

export interface StatusFlow {
  id: string;
  destination: { kind: string; streamName: string; label: string };
  /** running, starting, stopping, stopped, or failed (with its reason). */
  state: string;
  stateReason?: string;
  failingSince: string | null;
  lastSendAt: string | null;
  lastCheckpointAt: string | null;
  counters: Record<string, number>;
  files: StatusFile[];
  /** With `afterShipping`: files deleted or renamed once finished, newest first (`at` ISO time). */
  finished?: Array<Record<string, unknown>>;
}

export interface StatusReport {
  agent: 'kinesis-agent';
  version: string;
  pid: number;
  startedAt: string;
  uptimeSeconds: number;
  /** Conditions a person must fix, listed while they last (src/events/conditions.ts). */
  problems: Problem[];
  flows: StatusFlow[];
}

const SECRET_KEY = /secret|token|password|accesskey|credential/i;

const iso = (ms: unknown) => (typeof ms === 'number' && ms > 0 ? new Date(ms).toISOString() : null);

/** What GET /status answers and `kinesis-agent status` prints. */
export function statusReport(flows: ObservedFlow[], problems: Problem[], info: { version: string; startedAt: number }, now = Date.now()): StatusReport {
  return {
    agent: 'kinesis-agent',
    version: info.version,
    pid: process.pid,
    startedAt: new Date(info.startedAt).toISOString(),
    uptimeSeconds: Math.round((now - info.startedAt) / 1000),
    problems,
    flows: flows.map((f) => {
      const m = f.metrics;
      return {
        id: f.id,
        destination: { kind: f.destination.kind, streamName: f.destination.streamName, label: destinationLabel(f.destination) },
        state: f.state?.kind ?? 'running',
        ...(f.state?.kind === 'failed' ? { stateReason: f.state.reason } : {}),
        failingSince: iso(m.failingSince),
        lastSendAt: iso(m.lastSendAt),
        lastCheckpointAt: iso(m.lastCheckpointAt),
        counters: {
          recordsParsed: m.recordsParsed,
          recordsSent: m.recordsSent,
          bytesSent: m.bytesSent,
          recordsSkipped: m.recordsSkipped,
          recordsTruncated: m.recordsTruncated,
          filesFinished: m.filesFinished,
          fileFinishErrors: m.fileFinishErrors,
          recordSendErrors: m.recordSendErrors,
          serviceErrors: m.serviceErrors,
          processingErrors: m.processingErrors,
          retries: m.retries,
          bytesBehind: m.bytesBehind,
          filesBehind: m.filesBehind,
          filesTracked: m.filesTracked,
          queueBytes: m.queueBytes,
          queueCapacityBytes: m.queueCapacityBytes,
          inFlightRequests: m.inFlightRequests,
        },
        files: safeFiles(f),
        ...finishedFiles(f),
      };
    }),
  };
}

function finishedFiles(f: ObservedFlow): { finished?: Array<Record<string, unknown>> } {
  let done: Array<Record<string, unknown>>;
  try {
    done = f.finished?.() ?? [];
  } catch {
    return {};
  }
  if (done.length === 0) return {};
  return { finished: done.map((d) => ({ ...d, at: iso(d.at) })) };
}

function safeFiles(f: ObservedFlow): StatusFile[] {
  let files: Array<Record<string, unknown>>;
  try {
    files = f.files();
  } catch {
    return [];
  }
  return files.map((file) => {
    const out = withoutSecrets(file) as StatusFile;
    // A file's own last send time when the source keeps one; else the flow's.
    out.lastSendAt = iso(file.lastSendAt) ?? (typeof file.lastSendAt === 'string' ? file.lastSendAt : iso(f.metrics.lastSendAt));
    if (typeof file.lastReadAt === 'number') out.lastReadAt = iso(file.lastReadAt);
    return out;
  });
}

function withoutSecrets(v: unknown, depth = 0): unknown {
  if (depth > 4 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => withoutSecrets(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY.test(k) ? REDACTED : withoutSecrets(x, depth + 1);
  return out;
}
