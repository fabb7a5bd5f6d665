import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchServer } from '../servers/cloudwatch-server.ts';
import { AgentProcess, runCli } from '../support/agent-process.ts';
import { freePort } from '../support/free-port.ts';
import { KinesisLocal } from '../support/kinesis-local.ts';

let local: KinesisLocal;
let cloudwatch: CloudWatchServer;
let dir: string;
beforeAll(async () => {
  local = await KinesisLocal.start();
  cloudwatch = await CloudWatchServer.start();
  dir = mkdtempSync(join(tmpdir(), 'ka-obs-'));
});
afterAll(async () => {
  await local?.stop();
  await cloudwatch?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Prometheus text: `name{labels} value` lines to a map of name -> sum over label sets. */
function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[3]));
  }
  return out;
}

describe('observing the running agent', () => {
  it('reports what the destination received on /metrics, /status, the status command and CloudWatch', async () => {
    await local.createStream('obs');
    const log = join(dir, 'app.log');
    writeFileSync(log, Array.from({ length: 250 }, (_, i) => `line ${i}\n`).join(''));
    const port = await freePort();
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      `kinesis.endpoint: ${local.endpoint}\ncheckpointFile: ${join(dir, 'cp')}\nhttp.listen: ${port}\n` +
        `cloudwatch:\n  endpoint: ${cloudwatch.endpoint}\n  metricsBufferTimeMillis: 1000\n  namespace: KinesisAgentTest\n` +
        `flows:\n  - filePattern: ${log}\n    kinesisStream: obs\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n`,
    );
    const agent = AgentProcess.start(config);
    const records = await local.waitFor('obs', (r) => r.length >= 250);
    expect(records.length).toBe(250);

    const base = `http://127.0.0.1:${port}`;
    let metrics = new Map<string, number>();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      metrics = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
      if (metrics.get('kinesis_agent_records_sent_total') === 250) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(metrics.get('kinesis_agent_records_sent_total')).toBe(records.length);
    expect(metrics.get('kinesis_agent_records_parsed_total')).toBe(250);

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);

    const status = (await (await fetch(`${base}/status`)).json()) as { flows: Array<{ files: Array<Record<string, unknown>> }> };
    expect(status.flows[0]!.files[0]).toMatchObject({ path: log });

    const table = await runCli(['status', '-c', config]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(log);

    const sent = async () =>
      cloudwatch
        .datums()
        .filter((d) => d.MetricName === 'RecordsSent')
        .reduce((n, d) => n + (d.StatisticValues?.Sum ?? d.Value ?? 0), 0);
    const cwDeadline = Date.now() + 15_000;
    while ((await sent()) < 250 && Date.now() < cwDeadline) await new Promise((r) => setTimeout(r, 200));
    expect(await sent()).toBe(250);
    const datum = cloudwatch.datums().find((d) => d.MetricName === 'RecordsSent')!;
    expect(datum.Dimensions).toContainEqual({ Name: 'Destination', Value: 'KinesisStream:obs' });
    expect(cloudwatch.calls[0]!.namespace).toBe('KinesisAgentTest');

    expect((await agent.stop()).code, agent.stderr).toBe(0);
  });
});
