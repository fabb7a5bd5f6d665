import { connect } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clearSecrets, registerSecret } from '../../src/log.ts';
import { startObservability, type Observability } from '../../src/observability.ts';
import type { ObservedFlow } from '../../src/metrics/observed-flow.ts';
import { freePort } from '../support/free-port.ts';
import { agentConfig, eventually, observedFlow, TEST_ENV } from './fixtures.ts';
import { memoryLogger } from './memory-log.ts';
import { parsePrometheus } from './prometheus-parse.ts';
import { ConditionBoard } from '../../src/events/conditions.ts';

beforeAll(() => {
  Object.assign(process.env, TEST_ENV);
});

const running: Observability[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop();
  clearSecrets();
});

async function start(flows: ObservedFlow[], over: { unhealthyAfterMillis?: number; http?: boolean; conditions?: ConditionBoard } = {}) {
  const port = await freePort();
  const mem = memoryLogger('trace');
  const config = agentConfig({
    cloudwatch: { emitMetrics: false, namespace: 'AWSKinesisAgent', tagInstance: false, metricsBufferTimeMillis: 30_000 },
    log: { level: 'trace', statusReportingPeriodSeconds: 3600 },
    ...(over.http === false ? {} : { http: { host: '127.0.0.1', port, unhealthyAfterMillis: over.unhealthyAfterMillis ?? 60_000 } }),
  });
  const obs = await startObservability({ config, log: mem.log, flows: () => flows, env: TEST_ENV, ...(over.conditions ? { conditions: over.conditions } : {}) });
  running.push(obs);
  return { obs, port, mem, url: `http://127.0.0.1:${port}` };
}

function busyFlow(): ObservedFlow {
  const f = observedFlow('web "main"', 'kinesis', 'web-logs', [
    { path: '/var/log/web/access.log', identity: { dev: '2049', ino: '1234', fingerprint: 'ab12' }, size: 5000, committedOffset: 4000, bytesBehind: 1000, lastReadAt: Date.now() },
  ]);
  Object.assign(f.metrics, {
    recordsParsed: 120,
    bytesParsed: 12_000,
    recordsSent: 100,
    bytesSent: 10_000,
    recordSendAttempts: 110,
    recordSendErrors: 10,
    serviceErrors: 2,
    processingErrors: 3,
    recordsSkipped: 4,
    recordsTruncated: 5,
    requests: 9,
    retries: 2,
    bytesBehind: 1000,
    filesBehind: 1,
    filesTracked: 1,
    queueBytes: 2048,
    queueCapacityBytes: 8_388_608,
    inFlightRequests: 2,
    lastSendAt: Date.now() - 1000,
    lastCheckpointAt: Date.now() - 5000,
  });
  return f;
}

describe('status server', () => {
  it('serves /metrics as Prometheus text whose values equal the flow counters', async () => {
    const web = busyFlow();
    const app = observedFlow('app', 'firehose', 'app-delivery');
    app.metrics.recordsSent = 7;
    const { url } = await start([web, app]);
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(await res.text());
    const get = (name: string, flow: string) => samples.find((s) => s.name === name && s.labels.flow === flow)?.value;

    const m = web.metrics;
    expect(get('kinesis_agent_records_parsed_total', 'web "main"')).toBe(m.recordsParsed);
    expect(get('kinesis_agent_records_sent_total', 'web "main"')).toBe(m.recordsSent);
    expect(get('kinesis_agent_bytes_sent_total', 'web "main"')).toBe(m.bytesSent);
    expect(get('kinesis_agent_retries_total', 'web "main"')).toBe(m.retries);
    expect(get('kinesis_agent_record_send_errors_total', 'web "main"')).toBe(m.recordSendErrors);
    expect(get('kinesis_agent_service_errors_total', 'web "main"')).toBe(m.serviceErrors);
    expect(get('kinesis_agent_processing_errors_total', 'web "main"')).toBe(m.processingErrors);
    expect(get('kinesis_agent_records_skipped_total', 'web "main"')).toBe(m.recordsSkipped);
    expect(get('kinesis_agent_records_truncated_total', 'web "main"')).toBe(m.recordsTruncated);
    expect(get('kinesis_agent_bytes_behind', 'web "main"')).toBe(m.bytesBehind);
    expect(get('kinesis_agent_files_behind', 'web "main"')).toBe(m.filesBehind);
    expect(get('kinesis_agent_queue_bytes', 'web "main"')).toBe(m.queueBytes);
    expect(get('kinesis_agent_queue_capacity_bytes', 'web "main"')).toBe(m.queueCapacityBytes);
    expect(get('kinesis_agent_in_flight_requests', 'web "main"')).toBe(m.inFlightRequests);
    expect(get('kinesis_agent_checkpoint_age_seconds', 'web "main"')).toBeGreaterThanOrEqual(5);
    expect(get('kinesis_agent_failing_seconds', 'web "main"')).toBe(0);
    expect(get('kinesis_agent_records_sent_total', 'app')).toBe(7);
    // Never checkpointed: no sample rather than a misleading age.
    expect(get('kinesis_agent_checkpoint_age_seconds', 'app')).toBeUndefined();
    expect(samples.find((s) => s.name === 'kinesis_agent_records_sent_total' && s.labels.flow === 'app')!.labels.destination).toBe('DeliveryStream:app-delivery');
    expect(samples.find((s) => s.name === 'kinesis_agent_info')!.labels.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers /healthz 503 with the reason while a flow with bytes waiting has not delivered past the threshold, and 200 again after', async () => {
    const web = busyFlow();
    const { url } = await start([web], { unhealthyAfterMillis: 1000 });
    web.metrics.lastSendAt = Date.now();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    web.metrics.lastSendAt = Date.now() - 500; // not delivering, but not for long enough
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    web.metrics.lastSendAt = Date.now() - 5000;
    const bad = await fetch(`${url}/healthz`);
    expect(bad.status).toBe(503);
    const body = (await bad.json()) as { status: string; reason: string; unhealthy: Array<{ flow: string; why: string }> };
    expect(body.status).toBe('unhealthy');
    expect(body.reason).toMatch(/web "main" \(KinesisStream:web-logs\) has not delivered for 5 s with 2048 bytes waiting/);
    expect(body.unhealthy[0]).toMatchObject({ flow: 'web "main"', why: 'not-delivering' });

    web.metrics.lastSendAt = Date.now();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('lists each tailed file on /status with path, identity, size, committed offset, bytes behind and last send', async () => {
    const web = busyFlow();
    const { url } = await start([web]);
    const res = await fetch(`${url}/status`);
    expect(res.status).toBe(200);
    const report = (await res.json()) as {
      version: string;
      uptimeSeconds: number;
      flows: Array<{ id: string; destination: { label: string }; files: Array<Record<string, unknown>> }>;
    };
    expect(report.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(report.flows[0]!.destination.label).toBe('KinesisStream:web-logs');
    const file = report.flows[0]!.files[0]!;
    expect(file).toMatchObject({ path: '/var/log/web/access.log', identity: { dev: '2049', ino: '1234' }, size: 5000, committedOffset: 4000, bytesBehind: 1000 });
    expect(file.lastSendAt).toBe(new Date(web.metrics.lastSendAt).toISOString());
  });

  it('shows the conditions raised on the agent\'s board on /status until they clear', async () => {
    const board = new ConditionBoard();
    const { url, mem } = await start([busyFlow()], { conditions: board });
    const web = board.scope('flow web', mem.log);
    web.raise('delivery', { state: 'DESTINATION_NOT_FOUND', message: 'stream web-logs does not exist' });
    const report = (await (await fetch(`${url}/status`)).json()) as { problems: Array<Record<string, unknown>> };
    expect(report.problems).toEqual([
      expect.objectContaining({ scope: 'flow web', key: 'delivery', state: 'DESTINATION_NOT_FOUND', message: 'stream web-logs does not exist' }),
    ]);
    web.clear('delivery');
    const after = (await (await fetch(`${url}/status`)).json()) as { problems: unknown[] };
    expect(after.problems).toEqual([]);
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    const { url } = await start([busyFlow()]);
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('opens no listening socket when http is absent', async () => {
    const port = await freePort();
    const { obs } = await start([busyFlow()], { http: false });
    expect(obs.statusUrl).toBeUndefined();
    // Nothing answers on the port it would have used, nor is anything listening at all from us.
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('connect', () => (s.destroy(), resolve(false)));
      s.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
    expect(handles.some((h) => h?.constructor?.name === 'Server')).toBe(false);
  });

  it('keeps secrets out of /status', async () => {
    registerSecret('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    const web = observedFlow('web', 'kinesis', 'web-logs', [
      { path: '/var/log/wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.log', size: 1, committedOffset: 0, bytesBehind: 1, sessionToken: 'tok-123456789' },
    ]);
    const { url } = await start([web]);
    const text = await (await fetch(`${url}/status`)).text();
    expect(text).not.toContain('wJalrXUtnFEMI');
    expect(text).not.toContain('tok-123456789');
  });

  it('fails with a hint when the port is taken', async () => {
    const { port } = await start([busyFlow()]);
    const mem = memoryLogger('silent');
    const config = agentConfig({
      cloudwatch: { emitMetrics: false, namespace: 'x', tagInstance: false, metricsBufferTimeMillis: 30_000 },
      http: { host: '127.0.0.1', port, unhealthyAfterMillis: 60_000 },
    });
    await expect(startObservability({ config, log: mem.log, flows: () => [] })).rejects.toMatchObject({ code: 'HTTP_LISTEN', hint: expect.stringMatching(/http\.listen/) });
  });
});

describe('progress log', () => {
  it('logs one line per flow at the configured period', async () => {
    const web = busyFlow();
    const app = observedFlow('app', 'firehose', 'app-delivery');
    const mem = memoryLogger('info');
    const config = agentConfig({
      cloudwatch: { emitMetrics: false, namespace: 'x', tagInstance: false, metricsBufferTimeMillis: 30_000 },
      log: { level: 'info', statusReportingPeriodSeconds: 1 },
    });
    const obs = await startObservability({ config, log: mem.log, flows: () => [web, app] });
    running.push(obs);
    const progress = () => mem.lines().filter((l) => l.component === 'progress');
    await eventually(() => (progress().length >= 4 ? true : undefined), 'two periods of progress lines', 15_000);
    const first = progress().find((l) => l.flow === 'web "main"')!;
    expect(first).toMatchObject({ level: 'info', destination: 'KinesisStream:web-logs', recordsParsed: 120, recordsSent: 100, recordsSkipped: 4, sendErrors: 12, bytesBehind: 1000, filesTracked: 1 });
    expect(String(first.msg)).toMatch(/120 records parsed .* 100 sent to KinesisStream:web-logs/);
    // Lines come in pairs, one per flow, a period apart.
    const times = progress()
      .filter((l) => l.flow === 'app')
      .map((l) => Date.parse(String(l.time)));
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(900);
  });
});

describe('observe()', () => {
  it("adapts a Flow (config, metrics, status().files) into what the reporters read", async () => {
    const { observe } = await import('../../src/metrics/index.ts');
    const { FlowEvents } = await import('../../src/events/flow-events.ts');
    const metrics = new FlowEvents();
    const files = [{ path: '/a.log', size: 3, committedOffset: 1, bytesBehind: 2 }];
    const o = observe({ config: { id: 'web', destination: { kind: 'firehose', streamName: 'd' } }, metrics, status: () => ({ files }) });
    expect(o.id).toBe('web');
    expect(o.metrics).toBe(metrics);
    expect(o.files()).toEqual(files);
  });
});
