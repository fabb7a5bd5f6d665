import { describe, expect, it } from 'vitest';
import { FlowEvents } from '../../src/events/flow-events.ts';
import type { FlowState, ObservedFlow } from '../../src/metrics/observed-flow.ts';
import { checkHealth } from '../../src/status/health.ts';

const NOW = 1_000_000_000;
const AFTER = 60_000;

function flow(state: FlowState | undefined, m: Partial<Pick<FlowEvents, 'lastSendAt' | 'caughtUpAt' | 'queueBytes'>> & { bytesBehind?: number } = {}): ObservedFlow {
  const metrics = new FlowEvents();
  const { bytesBehind = 0, ...rest } = m;
  Object.assign(metrics, rest);
  metrics.bytesBehind = bytesBehind;
  // Setting 0 stamps caughtUpAt with the real clock: put the table's value back.
  metrics.caughtUpAt = m.caughtUpAt ?? 0;
  return { id: 'web', destination: { kind: 'kinesis', streamName: 's' }, metrics, ...(state ? { state } : {}), files: () => [] };
}

const running = (since = NOW - 10 * AFTER): FlowState => ({ kind: 'running', since });

describe('/healthz: every configured flow runs and delivered (or had nothing to deliver) within unhealthyAfterMillis', () => {
  const cases: Array<[string, ObservedFlow, boolean, string?]> = [
    ['running with nothing waiting, never sent', flow(running()), true],
    ['running, bytes waiting, delivered just now', flow(running(), { bytesBehind: 100, lastSendAt: NOW - 1000 }), true],
    ['running, bytes waiting, last delivery just inside the limit', flow(running(), { bytesBehind: 100, lastSendAt: NOW - AFTER }), true],
    ['running, bytes waiting, last delivery past the limit', flow(running(), { bytesBehind: 100, lastSendAt: NOW - AFTER - 1 }), false, 'not-delivering'],
    ['running, only the queue holds records, nothing delivered for long', flow(running(), { queueBytes: 10, lastSendAt: NOW - 2 * AFTER }), false, 'not-delivering'],
    ['bytes waiting, but caught up a moment ago (new data just written)', flow(running(), { bytesBehind: 100, lastSendAt: NOW - 5 * AFTER, caughtUpAt: NOW - 1000 }), true],
    ['bytes waiting, never delivered, started running a moment ago', flow(running(NOW - 1000), { bytesBehind: 100 }), true],
    ['bytes waiting, never delivered, running for long', flow(running(), { bytesBehind: 100 }), false, 'not-delivering'],
    ['failed to start (or lost in a reload)', flow({ kind: 'failed', since: NOW - 1, reason: 'LOGTOJSON: customFieldNames...' }), false, 'not-running'],
    ['starting, briefly (a reload under way)', flow({ kind: 'starting', since: NOW - 1000 }), true],
    ['starting for longer than the limit', flow({ kind: 'starting', since: NOW - AFTER - 1 }), false, 'not-running'],
    ['stopped while configured', flow({ kind: 'stopped', since: NOW - 1 }), false, 'not-running'],
    ['no state given (taken as running)', flow(undefined), true],
  ];
  it.each(cases)('%s', (_name, f, healthy, why) => {
    const h = checkHealth([f], AFTER, NOW);
    expect(h.healthy).toBe(healthy);
    if (!healthy) {
      expect(h.unhealthy[0]!.why).toBe(why);
      expect(h.reason).toContain('flow web (KinesisStream:s)');
    }
  });

  it('is unhealthy when any one flow is, and names only that one', () => {
    const good = flow(running());
    const bad = { ...flow({ kind: 'failed', since: NOW, reason: 'cannot build' }), id: 'app' };
    const h = checkHealth([good, bad], AFTER, NOW);
    expect(h.healthy).toBe(false);
    expect(h.unhealthy.map((u) => u.flow)).toEqual(['app']);
    expect(h.reason).toBe('flow app (KinesisStream:s) is not running: cannot build');
  });
});
