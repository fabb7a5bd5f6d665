import { hostname } from 'node:os';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchReporter } from '../../src/metrics/cloudwatch.ts';
import { MAX_DATUMS_PER_CALL } from '../../src/metrics/datum-queue.ts';
import { CloudWatchServer } from '../servers/cloudwatch-server.ts';
import { agentConfig, eventually, observedFlow, TEST_ENV } from './fixtures.ts';
import { memoryLogger } from './memory-log.ts';

beforeAll(() => {
  Object.assign(process.env, TEST_ENV);
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/**
 * A reporter against a CloudWatchServer. The server records a call when it
 * reads it, so a call the reporter abandons at `callTimeoutMillis` after the
 * server took it is sent again with the next period, counted twice (what the
 * reporter allows: an unanswered call is retried). Only a test of a hung
 * endpoint sets a short one; the others keep the reporter's default, which a
 * loaded machine does not reach, so their sums are exact.
 */
async function setup(opts: { tagInstance?: boolean; bufferMs?: number; maxQueuedDatums?: number; callTimeoutMillis?: number; flows?: ReturnType<typeof observedFlow>[] } = {}) {
  const server = await CloudWatchServer.start();
  cleanups.push(() => server.close());
  const flows = opts.flows ?? [observedFlow('web', 'kinesis', 'web-logs'), observedFlow('app', 'firehose', 'app-delivery')];
  const config = agentConfig({
    cloudwatch: {
      emitMetrics: true,
      endpoint: server.endpoint,
      region: 'us-east-1',
      namespace: 'TestAgent',
      tagInstance: opts.tagInstance ?? false,
      metricsBufferTimeMillis: opts.bufferMs ?? 200,
    },
  });
  const mem = memoryLogger('debug');
  const reporter = await CloudWatchReporter.start({
    config,
    flows: () => flows,
    log: mem.log,
    sampleIntervalMillis: 20,
    ...(opts.callTimeoutMillis ? { callTimeoutMillis: opts.callTimeoutMillis } : {}),
    ...(opts.maxQueuedDatums ? { maxQueuedDatums: opts.maxQueuedDatums } : {}),
    env: TEST_ENV,
  });
  cleanups.push(() => reporter.stop());
  return { server, flows, reporter, mem };
}

describe('CloudWatch reporter', () => {
  it('sends per-flow statistic sets of counter changes with the Kinesis Agent names and Destination dimension', async () => {
    const { server, flows } = await setup();
    const [web, app] = flows;
    web!.metrics.bytesSent = 1000;
    web!.metrics.recordsSent = 10;
    web!.metrics.recordSendAttempts = 12;
    web!.metrics.recordSendErrors = 2;
    web!.metrics.serviceErrors = 1;
    web!.metrics.bytesBehind = 4096;
    web!.metrics.filesBehind = 1;
    web!.metrics.recordsSkipped = 3;
    web!.metrics.recordsTruncated = 4;
    web!.metrics.processingErrors = 5;
    app!.metrics.recordsSent = 7;

    // Sum over every period equals the counter's total.
    const sumOf = (name: string, dest: string) =>
      server
        .datums()
        .filter((d) => d.MetricName === name && d.Dimensions?.some((x) => x.Name === 'Destination' && x.Value === dest))
        .reduce((s, d) => s + (d.StatisticValues?.Sum ?? 0), 0);
    await eventually(() => (sumOf('RecordsSent', 'KinesisStream:web-logs') === 10 && sumOf('RecordsSent', 'DeliveryStream:app-delivery') === 7 ? true : undefined), 'datums');

    expect(server.calls[0]!.namespace).toBe('TestAgent');
    expect(server.calls[0]!.protocol).toBe('json');
    expect(server.calls[0]!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTESTTESTTEST\//);
    const names = new Set(server.datums().map((d) => d.MetricName));
    for (const n of ['BytesSent', 'RecordSendAttempts', 'RecordSendErrors', 'RecordsSent', 'ServiceErrors', 'BytesBehind', 'FilesBehind', 'RecordsSkipped', 'RecordsTruncated', 'ProcessingErrors']) {
      expect(names.has(n), n).toBe(true);
    }
    expect(sumOf('BytesSent', 'KinesisStream:web-logs')).toBe(1000);
    expect(sumOf('RecordSendAttempts', 'KinesisStream:web-logs')).toBe(12);
    expect(sumOf('RecordSendErrors', 'KinesisStream:web-logs')).toBe(2);
    expect(sumOf('ServiceErrors', 'KinesisStream:web-logs')).toBe(1);
    expect(sumOf('RecordsSkipped', 'KinesisStream:web-logs')).toBe(3);
    expect(sumOf('RecordsTruncated', 'KinesisStream:web-logs')).toBe(4);
    expect(sumOf('ProcessingErrors', 'KinesisStream:web-logs')).toBe(5);

    const bytesSent = server.datums().find((d) => d.MetricName === 'BytesSent' && d.StatisticValues!.Sum === 1000)!;
    expect(bytesSent.Unit).toBe('Bytes');
    expect(bytesSent.Dimensions).toEqual([{ Name: 'Destination', Value: 'KinesisStream:web-logs' }]);
    const s = bytesSent.StatisticValues!;
    expect(s.SampleCount).toBeGreaterThanOrEqual(1);
    expect(s.Maximum).toBe(1000);
    expect(s.Minimum).toBeGreaterThanOrEqual(0);
    expect(typeof bytesSent.Timestamp).toBe('number');

    // Gauges are sampled values, not changes.
    const behind = server.datums().filter((d) => d.MetricName === 'BytesBehind' && d.Dimensions![0]!.Value === 'KinesisStream:web-logs');
    expect(behind.every((d) => d.StatisticValues!.Maximum === 4096 && d.StatisticValues!.Minimum === 4096)).toBe(true);

    // Later changes arrive as further deltas, never double-counted.
    web!.metrics.recordsSent = 25;
    await eventually(() => (sumOf('RecordsSent', 'KinesisStream:web-logs') === 25 ? true : undefined), 'second delta');
  });

  it('adds the Instance dimension (host name off EC2) when tagInstance is on', async () => {
    const { server } = await setup({ tagInstance: true });
    const d = await eventually(() => server.datums()[0], 'a datum');
    expect(d.Dimensions).toContainEqual({ Name: 'Instance', Value: hostname() });
    expect(d.Dimensions).toContainEqual({ Name: 'Destination', Value: 'KinesisStream:web-logs' });
  });

  it('splits a large period into calls within PutMetricData limits (1000 datums, gzip body)', async () => {
    const flows = Array.from({ length: 150 }, (_, i) => observedFlow(`f${i}`, 'kinesis', `stream-${i}`));
    const { server, reporter } = await setup({ flows, bufferMs: 60_000 });
    for (const f of flows) f.metrics.recordsSent = 1;
    await reporter.flush();
    expect(server.datums().length).toBe(150 * 10);
    expect(server.calls.length).toBe(2);
    expect(server.calls.every((c) => c.datums.length <= MAX_DATUMS_PER_CALL)).toBe(true);
    expect(server.calls.some((c) => c.gzip)).toBe(true);
  });

  for (const mode of ['5xx', 'denied', 'hang'] as const) {
    it(`keeps delivery unblocked and memory bounded while CloudWatch is ${mode}, dropping the oldest and logging once`, async () => {
      // A hung call is abandoned after 300 ms; the server never stores it, so nothing counts twice.
      const { server, flows, reporter, mem } = await setup({ maxQueuedDatums: 50, bufferMs: 60_000, ...(mode === 'hang' ? { callTimeoutMillis: 300 } : {}) });
      server.failWith(mode);
      // A hung call must not hold up the next flush, nor anything else:
      // the hung mode's flushes are not awaited, and still each takes its period.
      for (let i = 0; i < 8; i++) {
        flows[0]!.metrics.recordsSent += 1;
        const done = reporter.flush();
        if (mode !== 'hang') await done;
      }
      // 8 periods x 2 flows x 10 metrics = 160 datums into a queue of 50.
      await eventually(() => (reporter.stats().dropped > 0 ? true : undefined), 'drops');
      const stats = reporter.stats();
      expect(stats.queued).toBeLessThanOrEqual(50);
      expect(stats.dropped).toBeGreaterThanOrEqual(160 - 50 - 20);
      const failureLines = mem.lines().filter((l) => /CloudWatch (refuses|cannot send)|cannot send metrics/.test(String(l.msg)));
      const dropLines = mem.lines().filter((l) => /dropping the oldest/.test(String(l.msg)));
      if (mode !== 'hang') expect(failureLines.length).toBe(1);
      expect(dropLines.length).toBe(1);
      if (mode === 'denied') expect(String(failureLines[0]!.msg)).toMatch(/cloudwatch:PutMetricData/);

      // Recovery: the queue drains and it says so once.
      server.failWith('none');
      if (mode === 'hang') await reporter.stop();
      else await reporter.flush();
      await eventually(() => (server.datums().length > 0 ? true : undefined), 'datums after recovery');
      if (mode !== 'hang') {
        expect(reporter.stats().queued).toBe(0);
        expect(mem.lines().filter((l) => /accepts metrics again/.test(String(l.msg))).length).toBe(1);
      }
    });
  }

  it('sends what is left when stopped', async () => {
    const { server, flows, reporter } = await setup({ bufferMs: 60_000 });
    flows[0]!.metrics.recordsSent = 42;
    await reporter.stop();
    const sent = server.datums().filter((d) => d.MetricName === 'RecordsSent').reduce((s, d) => s + d.StatisticValues!.Sum, 0);
    expect(sent).toBe(42);
  });
});

describe('startObservability and CloudWatch', () => {
  it('reports to CloudWatch when cloudwatch.emitMetrics is on, and makes no call when it is off', async () => {
    const { startObservability } = await import('../../src/observability.ts');
    const server = await CloudWatchServer.start();
    cleanups.push(() => server.close());
    const flow = observedFlow('web', 'kinesis', 'web-logs');
    flow.metrics.recordsSent = 5;
    const cw = (emitMetrics: boolean) => ({ emitMetrics, endpoint: server.endpoint, region: 'us-east-1', namespace: 'AWSKinesisAgent', tagInstance: false, metricsBufferTimeMillis: 1000 });
    const off = await startObservability({ config: agentConfig({ cloudwatch: cw(false) }), log: memoryLogger('silent').log, flows: () => [flow], env: TEST_ENV });
    await off.stop();
    expect(server.calls.length).toBe(0);

    const on = await startObservability({ config: agentConfig({ cloudwatch: cw(true) }), log: memoryLogger('silent').log, flows: () => [flow], env: TEST_ENV });
    cleanups.push(() => on.stop());
    await eventually(() => (server.datums().some((d) => d.MetricName === 'RecordsSent' && d.StatisticValues!.Sum === 5) ? true : undefined), 'RecordsSent via startObservability');
    expect(server.calls[0]!.namespace).toBe('AWSKinesisAgent');
  });
});

describe('CloudWatch reporter restarted (reload)', () => {
  it('does not report a running flow\'s totals twice', async () => {
    const server = await CloudWatchServer.start();
    cleanups.push(() => server.close());
    const flow = observedFlow('web', 'kinesis', 'web-logs');
    const config = agentConfig({ cloudwatch: { emitMetrics: true, endpoint: server.endpoint, region: 'us-east-1', namespace: 'T', tagInstance: false, metricsBufferTimeMillis: 60_000 } });
    const sent = () => server.datums().filter((d) => d.MetricName === 'RecordsSent').reduce((s, d) => s + d.StatisticValues!.Sum, 0);
    flow.metrics.recordsSent = 10;
    const first = await CloudWatchReporter.start({ config, flows: () => [flow], log: memoryLogger('silent').log, env: TEST_ENV });
    await first.stop();
    expect(sent()).toBe(10);
    flow.metrics.recordsSent = 15;
    const second = await CloudWatchReporter.start({ config, flows: () => [flow], log: memoryLogger('silent').log, env: TEST_ENV });
    await second.stop();
    expect(sent()).toBe(15);
  });
});
