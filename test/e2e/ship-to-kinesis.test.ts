import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.ts';
import { KinesisLocal } from '../support/kinesis-local.ts';

let local: KinesisLocal;
let dir: string;
let streamNo = 0;

beforeAll(async () => {
  local = await KinesisLocal.start();
  dir = mkdtempSync(join(tmpdir(), 'ka-e2e-'));
});
afterAll(async () => {
  await local?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function newStream(shards = 1): Promise<string> {
  const name = `e2e-${++streamNo}`;
  await local.createStream(name, shards);
  return name;
}

function lines(from: number, to: number, prefix = 'line'): string {
  let s = '';
  for (let i = from; i < to; i++) s += `${prefix} ${i} ${'x'.repeat(i % 50)}\n`;
  return s;
}

function counts(records: { data: Buffer }[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of records) {
    const k = r.data.toString();
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

function expectEachOnce(records: { data: Buffer }[], expected: string): void {
  const want = expected.split(/(?<=\n)/).filter(Boolean);
  const got = counts(records);
  const missing = want.filter((l) => !got.has(l));
  const duplicated = [...got].filter(([, n]) => n > 1).map(([l]) => l);
  expect({ missing: missing.length, duplicated: duplicated.length, total: records.length }).toEqual({
    missing: 0,
    duplicated: 0,
    total: want.length,
  });
}

describe('shipping a file to kinesis-local', () => {
  it('ships every line of a YAML flow once, then stops cleanly on SIGTERM', async () => {
    const stream = await newStream(2);
    const sub = mkdtempSync(join(dir, 'yaml-'));
    const log = join(sub, 'app.log');
    writeFileSync(log, lines(0, 1000));
    const config = join(sub, 'agent.yaml');
    writeFileSync(
      config,
      `kinesis:\n  endpoint: ${local.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(sub, 'cp')}\n` +
        `flows:\n  - filePattern: ${join(sub, '*.log')}\n    kinesisStream: ${stream}\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n`,
    );
    const agent = AgentProcess.start(config);
    await local.waitFor(stream, (r) => r.length >= 1000);
    appendFileSync(log, lines(1000, 1500));
    const records = await local.waitFor(stream, (r) => r.length >= 1500);
    const exit = await agent.stop('SIGTERM');
    expect(exit.code, agent.stderr).toBe(0);
    expectEachOnce(records, lines(0, 1500));
  });

  it("runs a Kinesis Agent agent.json unchanged", async () => {
    const stream = await newStream();
    const sub = mkdtempSync(join(dir, 'json-'));
    const log = join(sub, 'app.log');
    writeFileSync(log, lines(0, 200, 'legacy'));
    const config = join(sub, 'agent.json');
    writeFileSync(
      config,
      JSON.stringify(
        {
          'cloudwatch.emitMetrics': false,
          'kinesis.endpoint': local.endpoint,
          checkpointFile: join(sub, 'checkpoints'),
          flows: [{ filePattern: join(sub, 'app.log*'), kinesisStream: stream, initialPosition: 'START_OF_FILE' }],
        },
        null,
        2,
      ),
    );
    // The debug level comes from the environment: the agent.json stays as the Kinesis Agent would run it.
    const agent = AgentProcess.start(config, { KINESIS_AGENT_LOG_LEVEL: 'debug' });
    // The agent's default maxBufferAgeMillis is a minute; SIGTERM flushes what is buffered.
    await agent.waitForLog((l) => l.msg === 'read to its end' && l.path === log);
    const exit = await agent.stop('SIGTERM');
    expect(exit.code, agent.stderr).toBe(0);
    expectEachOnce(await local.readAll(stream), lines(0, 200, 'legacy'));
  });

  it('sends nothing twice after a clean restart, and picks up where it stopped', async () => {
    const stream = await newStream();
    const sub = mkdtempSync(join(dir, 'restart-'));
    const log = join(sub, 'app.log');
    const config = join(sub, 'agent.yaml');
    writeFileSync(log, lines(0, 300));
    writeFileSync(
      config,
      `kinesis.endpoint: ${local.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(sub, 'cp')}\n` +
        `flows:\n  - filePattern: ${log}\n    kinesisStream: ${stream}\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n`,
    );
    let agent = AgentProcess.start(config);
    await local.waitFor(stream, (r) => r.length >= 300);
    expect((await agent.stop()).code).toBe(0);
    expect(readFileSync(join(sub, 'cp'), 'utf8').length).toBeGreaterThan(0);

    appendFileSync(log, lines(300, 400));
    agent = AgentProcess.start(config);
    const records = await local.waitFor(stream, (r) => r.length >= 400);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await agent.stop()).code).toBe(0);
    expectEachOnce(await local.readAll(stream), lines(0, 400));
    expect(records.length).toBe(400);
  });
});
