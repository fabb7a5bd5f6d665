import { destinationLabel, type ObservedFlow } from '../metrics/observed-flow.js';

export interface FailingFlow {
  flow: string;
  destination: string;
  failingSince: string;
  failingForMillis: number;
}

export interface Health {
  healthy: boolean;
  /** One sentence for a person or a probe's log; absent when healthy. */
  reason?: string;
  failing: FailingFlow[];
}

/**
 * Healthy while every flow delivers: a flow counts against health once it
 * has failed without a single success for longer than unhealthyAfterMillis,
 * so a throttling blip or a short outage never restarts the agent.
 */
export function checkHealth(flows: ObservedFlow[], unhealthyAfterMillis: number, now = Date.now()): Health {
  const failing: FailingFlow[] = [];
  for (const f of flows) {
    const since = f.metrics.failingSince;
    if (since > 0 && now - since > unhealthyAfterMillis) {
      failing.push({ flow: f.id, destination: destinationLabel(f.destination), failingSince: new Date(since).toISOString(), failingForMillis: now - since });
    }
  }
  if (failing.length === 0) return { healthy: true, failing };
  const reason = failing
    .map((x) => `flow ${x.flow} (${x.destination}) has not delivered for ${Math.round(x.failingForMillis / 1000)} s`)
    .join('; ');
  return { healthy: false, reason, failing };
}
