import { describe, expect, it } from 'vitest';
import type { DeliveryCore } from '../../src/sink/index.ts';
import { makeAgent, makeFlow, makeRecords, pushAll, RecordingAcker, startDelivery, until, useProtocolServer } from './helpers.ts';

describe('retries', () => {
  const aws = useProtocolServer({ kinesis: { test: 4 } });

  it('with 30% of records failing inside answers, every record arrives once and retries carry only the failed records', async () => {
    aws.server.setFaults({ kind: 'failRecords', fraction: 0.3 });
    const acker = new RecordingAcker();
    const records = makeRecords(3000, acker);
    const { delivery, metrics } = aws.start({ maxBufferSizeRecords: 100 });
    await pushAll(delivery, records);
    expect(await until(() => acker.acked.length === 3000, 30_000)).toBe(true);
    await delivery.close(1000);

    const stored = aws.server.streams.get('test')!.entries.map((e) => e.data.toString());
    expect(stored.length).toBe(3000);
    expect(new Set(stored).size).toBe(3000);
    expect([...acker.counts().values()].every((n) => n === 1)).toBe(true);

    // Each record is in flight in one call at a time: after a call that failed some
    // of its records, those records, and no others, appear in exactly one later call.
    const calls = aws.server.calls('PutRecords');
    const pendingRetry = new Map<string, number>();
    for (const call of calls) {
      const lines = call.entries.map((e) => e.data.toString());
      const retried = lines.filter((l) => pendingRetry.has(l));
      // A call is either all first tries or all retries.
      expect(retried.length === 0 || retried.length === lines.length).toBe(true);
      for (const l of retried) pendingRetry.delete(l);
      for (const i of call.failedIndexes) pendingRetry.set(lines[i]!, 1);
    }
    expect(pendingRetry.size).toBe(0);
    const failedInAnswers = calls.reduce((n, c) => n + c.failedIndexes.length, 0);
    expect(failedInAnswers).toBeGreaterThan(0);
    expect(metrics.recordSendErrors).toBe(failedInAnswers);
    expect(metrics.retries).toBeGreaterThan(0);
  });

  it('connection resets, 5xx and malformed answers are retried until delivered', async () => {
    aws.server.setFaults({ kind: 'reset', times: 3 }, { kind: 'malformed', times: 3 }, { kind: 'status', status: 500, times: 3 });
    const acker = new RecordingAcker();
    const { delivery, metrics } = aws.start({ maxBufferSizeRecords: 50 });
    await pushAll(delivery, makeRecords(500, acker));
    expect(await until(() => acker.acked.length === 500)).toBe(true);
    await delivery.close(1000);
    const stored = aws.server.streams.get('test')!.entries.map((e) => e.data.toString());
    expect(new Set(stored).size).toBe(500);
    expect(metrics.serviceErrors).toBeGreaterThanOrEqual(3);
    expect(metrics.failingSince).toBe(0);
  });

  it('a call that outlives socketTimeoutMillis is abandoned and retried; every record is acknowledged once', async () => {
    aws.server.setFaults({ kind: 'delay', ms: 3_000, times: 1 });
    const acker = new RecordingAcker();
    const agent = makeAgent(aws.server.endpoint, { connection: { connectionTimeoutMillis: 1000, socketTimeoutMillis: 300, maxConnections: 10 } });
    const { delivery, metrics } = startDelivery(makeFlow({ maxBufferSizeRecords: 50 }), agent);
    await pushAll(delivery, makeRecords(200, acker));
    expect(await until(() => acker.acked.length === 200)).toBe(true);
    expect([...acker.counts().values()].every((n) => n === 1)).toBe(true);
    expect(metrics.serviceErrors).toBeGreaterThanOrEqual(1);
    await delivery.close(1000);
    // At least once: the slow call may still have been stored by the server.
    expect(new Set(aws.server.streams.get('test')!.entries.map((e) => e.data.toString())).size).toBe(200);
  });

  it('a throttling storm shrinks concurrency to one; it grows back and delivery resumes by itself', async () => {
    aws.server.setFaults({ kind: 'delay', ms: 20 });
    const acker = new RecordingAcker();
    const flow = makeFlow({ maxBufferSizeRecords: 10, maxInFlightRequests: 8, retryMaxBackoffMillis: 100 });
    const { delivery, metrics } = aws.start(flow);
    const core = delivery as DeliveryCore;
    const first = makeRecords(4000, acker, 0, 'a');
    const pushing = pushAll(delivery, first);

    expect(await until(() => aws.server.requests.some((r) => r.concurrent >= 4))).toBe(true);
    aws.server.setFaults({ kind: 'delay', ms: 20 }, { kind: 'throttle' });
    expect(await until(() => core.concurrencyLimit === 1)).toBe(true);
    const stormStart = aws.server.requests.length;
    expect(await until(() => aws.server.requests.length > stormStart + 5)).toBe(true);
    expect(metrics.failingSince).toBeGreaterThan(0);

    aws.server.setFaults({ kind: 'delay', ms: 20 });
    const recoveredAt = aws.server.requests.length;
    await pushing;
    expect(await until(() => acker.acked.length === 4000, 30_000)).toBe(true);
    expect(core.concurrencyLimit).toBeGreaterThan(1);
    expect(aws.server.requests.slice(recoveredAt).some((r) => r.concurrent > 1)).toBe(true);
    expect(metrics.failingSince).toBe(0);
    await delivery.close(1000);
    expect(new Set(aws.server.streams.get('test')!.entries.map((e) => e.data.toString())).size).toBe(4000);
  });

  it('a 503 storm is weathered the same way', async () => {
    aws.server.setFaults({ kind: 'status', status: 503, type: 'ServiceUnavailableException' });
    const acker = new RecordingAcker();
    const { delivery } = aws.start({ maxBufferSizeRecords: 20 });
    const core = delivery as DeliveryCore;
    const pushing = pushAll(delivery, makeRecords(400, acker));
    expect(await until(() => aws.server.requests.length >= 5 && core.concurrencyLimit === 1)).toBe(true);
    expect(acker.acked.length).toBe(0);
    aws.server.clearFaults();
    await pushing;
    expect(await until(() => acker.acked.length === 400)).toBe(true);
    await delivery.close(1000);
  });
});
