/**
 * Taking over from the Kinesis Agent: its checkpoint database (written here
 * the way its SQLiteFileCheckpointStore writes it), logs that grew after it
 * was written, and the real CLI shipping to kinesis-local.
 */
import { appendFileSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentProcess, runCli } from '../support/agent-process.ts';
import { useKinesisLocal } from '../support/kinesis-local.ts';
import { javaFileKey, writeKinesisAgentDb } from '../migrate/kinesis-agent-db.ts';

const env = useKinesisLocal('ka-migrate-');

const lines = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${prefix} ${from + i}\n`);

/** A host mid-migration: a rotated file the Kinesis Agent finished, a current file it read part of, then more lines. */
function javaHost(name: string, stream: string) {
  const logs = join(env.dir, name);
  mkdirSync(logs);
  const rotated = join(logs, 'app.log.1');
  const current = join(logs, 'app.log');
  writeFileSync(rotated, lines('old', 0, 50).join(''));
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(rotated, past, past);
  const sent = lines('cur', 0, 30);
  const unsent = lines('cur', 30, 40);
  writeFileSync(current, sent.join('') + unsent.join(''));
  const db = join(env.dir, `${name}.db`);
  const offset = Buffer.byteLength(sent.join(''));
  // The Kinesis Agent's flow id (KinesisFileFlow.java) and file key (UnixFileKey).
  writeKinesisAgentDb(db, [{ flow: `kinesis:${stream}:${logs}/app.log*`, path: current, fileId: javaFileKey(current), offset, size: offset + 100 }]);
  // Written after the Kinesis Agent stopped: these too must be sent, once.
  const later = lines('cur', 40, 60);
  appendFileSync(current, later.join(''));
  return { logs, db, expected: [...unsent, ...later] };
}

function config(name: string, stream: string, logs: string, extra: string): string {
  const path = join(env.dir, `${name}.yaml`);
  writeFileSync(
    path,
    `kinesis.endpoint: ${env.local.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(env.dir, `${name}.checkpoints`)}\n${extra}` +
      `flows:\n  - filePattern: ${logs}/app.log*\n    kinesisStream: ${stream}\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n`,
  );
  return path;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('migrating from the Kinesis Agent', () => {
  it('sends exactly the lines after its recorded offsets, imports once, and logs the import', async () => {
    const stream = 'migrate-run';
    await env.local.createStream(stream, 1);
    const host = javaHost('run', stream);
    const cfg = config('run', stream, host.logs, `importCheckpointsFrom: ${host.db}\n`);

    let agent = AgentProcess.start(cfg);
    await env.local.waitFor(stream, (r) => r.length >= host.expected.length, 30_000);
    // Anything that should not be sent (the old file, the lines already sent) would come with them.
    await sleep(2500);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    const records = await env.local.readAll(stream);
    expect(records.map((r) => r.data.toString())).toEqual(host.expected);
    const imports = agent.logLines().filter((l) => l.msg === "imported the Kinesis Agent's checkpoints for this flow");
    expect(imports).toHaveLength(1);
    expect(imports[0]).toMatchObject({ resumed: 1, done: 1, fromStart: 0, kinesisAgentFlow: `kinesis:${stream}:${host.logs}/app.log*` });

    // Once: a restart resumes from this agent's own checkpoints, without a second import.
    appendFileSync(join(host.logs, 'app.log'), 'after restart\n');
    agent = AgentProcess.start(cfg);
    await env.local.waitFor(stream, (r) => r.length >= host.expected.length + 1, 30_000);
    await sleep(1500);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expect(agent.logLines().some((l) => l.msg === "imported the Kinesis Agent's checkpoints for this flow")).toBe(false);
    expect((await env.local.readAll(stream)).map((r) => r.data.toString())).toEqual([...host.expected, 'after restart\n']);
  }, 90_000);

  it('`kinesis-agent import-checkpoints FILE` imports explicitly, says what it did, and the agent then sends only the rest', async () => {
    const stream = 'migrate-cli';
    await env.local.createStream(stream, 1);
    const host = javaHost('cli', stream);
    // "" turns the import at start off: only the command imports.
    const cfg = config('cli', stream, host.logs, 'importCheckpointsFrom: ""\n');
    const out = await runCli(['import-checkpoints', host.db, '-c', cfg]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`imported from kinesis:${stream}:${host.logs}/app.log*: 1 file(s) resume at the Kinesis Agent's offset, 1 older file(s) done`);
    const file = JSON.parse(readFileSync(join(env.dir, 'cli.checkpoints'), 'utf8')) as { version: number; imported: Record<string, { from: string }> };
    expect(file.version).toBe(2);
    expect(Object.values(file.imported)[0]!.from).toBe(host.db);
    // A second run changes nothing.
    const again = await runCli(['import-checkpoints', host.db, '-c', cfg]);
    expect(again.stdout).toContain(`already imported from ${host.db}; unchanged`);

    const agent = AgentProcess.start(cfg);
    await env.local.waitFor(stream, (r) => r.length >= host.expected.length, 30_000);
    await sleep(2500);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expect((await env.local.readAll(stream)).map((r) => r.data.toString())).toEqual(host.expected);
  }, 90_000);

  it('an importCheckpointsFrom that cannot be read stops the start with exit 2 and a hint', async () => {
    const cfg = config('bad', 'nowhere', join(env.dir, 'none'), `importCheckpointsFrom: ${join(env.dir, 'no-such.db')}\n`);
    const agent = AgentProcess.start(cfg);
    const exit = await agent.exited;
    expect(exit.code).toBe(2);
    expect(agent.stderr).toMatch(/cannot read the Kinesis Agent's checkpoints at .*no-such\.db: .*\(hint: /);
  });
});
