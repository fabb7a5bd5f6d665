import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.ts';
import { KinesisLocal } from '../support/kinesis-local.ts';

let local: KinesisLocal;
let dir: string;
beforeAll(async () => {
  local = await KinesisLocal.start();
  dir = mkdtempSync(join(tmpdir(), 'ka-reload-'));
});
afterAll(async () => {
  await local?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const numbered = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${prefix} ${from + i}\n`).join('');

describe('SIGHUP', () => {
  it('starts an added flow and keeps the running one without losing or repeating a line', async () => {
    await local.createStream('r-old');
    await local.createStream('r-new');
    const oldLog = join(dir, 'old.log');
    const newLog = join(dir, 'new.log');
    writeFileSync(oldLog, numbered('old', 0, 100));
    writeFileSync(newLog, numbered('new', 0, 50));
    const config = join(dir, 'agent.yaml');
    const head = `kinesis.endpoint: ${local.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(dir, 'cp')}\nflows:\n`;
    const oldFlow = `  - filePattern: ${oldLog}\n    kinesisStream: r-old\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n`;
    const newFlow = `  - filePattern: ${newLog}\n    kinesisStream: r-new\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n`;
    writeFileSync(config, head + oldFlow);

    const agent = AgentProcess.start(config);
    await local.waitFor('r-old', (r) => r.length >= 100);

    // A broken config on reload is reported and the running one stays.
    writeFileSync(config, head + oldFlow + '  - filePattern: [\n');
    agent.child.kill('SIGHUP');
    await agent.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('keeping the running one'));
    appendFileSync(oldLog, numbered('old', 100, 150));
    await local.waitFor('r-old', (r) => r.length >= 150);

    writeFileSync(config, head + oldFlow + newFlow);
    agent.child.kill('SIGHUP');
    await agent.waitForLog((l) => l.msg === 'configuration reloaded');
    expect(agent.logLines().find((l) => l.msg === 'configuration reloaded')).toMatchObject({ stopped: 0, started: 1 });
    appendFileSync(oldLog, numbered('old', 150, 200));
    const added = await local.waitFor('r-new', (r) => r.length >= 50);
    const kept = await local.waitFor('r-old', (r) => r.length >= 200);
    await sleep(1500);
    expect((await agent.stop()).code, agent.stderr).toBe(0);

    expect(added.map((r) => r.data.toString()).sort()).toEqual(numbered('new', 0, 50).split(/(?<=\n)/).sort());
    const oldSeen = (await local.readAll('r-old')).map((r) => r.data.toString());
    expect(oldSeen.length).toBe(200);
    expect(new Set(oldSeen).size).toBe(200);
    expect(kept.length).toBe(200);
  });
});
