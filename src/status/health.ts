import { destinationLabel, type FlowState, type ObservedFlow } from '../metrics/observed-flow.js';

export interface UnhealthyFlow {
  flow: string;
  destination: string;
  /** 'not-running' (failed, stopped, stuck starting) or 'not-delivering'. */
  why: 'not-running' | 'not-delivering';
  /** The sentence for this flow. */
  reason: string;
  /** For not-delivering: bytes waiting, and since when nothing was delivered (ISO). */
  bytesBehind?: number;
  stalledSince?: string;
  stalledForMillis?: number;
}

export interface Health {
  healthy: boolean;
  /** One sentence for a person or a probe's log; absent when healthy. */
  reason?: string;
  /** Configured flows counted. */
  flows: number;
  unhealthy: UnhealthyFlow[];
}

/** Running from the epoch: what a flow without a state (a test double) is taken for. */
const RUNNING: FlowState = { kind: 'running', since: 0 };

/**
 * The /healthz rule, for every configured flow:
 * - it is running (a flow that failed to build or start, was lost in a
 *   reload, or has been starting for over `unhealthyAfterMillis` counts
 *   against health); and
 * - it delivered, or had nothing to deliver, within `unhealthyAfterMillis`:
 *   with bytes waiting, the newest of its last acknowledged send, the last
 *   time it was caught up and the time it started running must be at most
 *   that old.
 * So a throttling blip, a short outage or a slow reload never fail a probe,
 * and a flow that reads but cannot deliver does. Times are ms since epoch.
 */
export function checkHealth(flows: ObservedFlow[], unhealthyAfterMillis: number, now = Date.now()): Health {
  const unhealthy: UnhealthyFlow[] = [];
  for (const f of flows) {
    const state = f.state ?? RUNNING;
    const destination = destinationLabel(f.destination);
    const base = { flow: f.id, destination };
    if (state.kind === 'failed') {
      unhealthy.push({ ...base, why: 'not-running', reason: `flow ${f.id} (${destination}) is not running: ${state.reason}` });
      continue;
    }
    if (state.kind === 'starting' && now - state.since <= unhealthyAfterMillis) continue;
    if (state.kind !== 'running') {
      unhealthy.push({ ...base, why: 'not-running', reason: `flow ${f.id} (${destination}) is ${state.kind}` });
      continue;
    }
    const m = f.metrics;
    const waiting = Math.max(m.bytesBehind, m.queueBytes);
    if (waiting === 0) continue;
    const lastGood = Math.max(m.lastSendAt, m.caughtUpAt, state.since);
    const stalledFor = now - lastGood;
    if (stalledFor <= unhealthyAfterMillis) continue;
    unhealthy.push({
      ...base,
      why: 'not-delivering',
      reason: `flow ${f.id} (${destination}) has not delivered for ${Math.round(stalledFor / 1000)} s with ${waiting} bytes waiting`,
      bytesBehind: waiting,
      stalledSince: new Date(lastGood).toISOString(),
      stalledForMillis: stalledFor,
    });
  }
  if (unhealthy.length === 0) return { healthy: true, flows: flows.length, unhealthy };
  return { healthy: false, reason: unhealthy.map((u) => u.reason).join('; '), flows: flows.length, unhealthy };
}
