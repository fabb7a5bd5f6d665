import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../hardening/support.ts';
import { AgentProcess } from '../support/agent-process.ts';
import { checkpointAtEndOf } from '../support/checkpoints.ts';
import { KinesisLocal } from '../support/kinesis-local.ts';

let local: KinesisLocal;
let dir: string;
beforeAll(async () => {
  local = await KinesisLocal.start();
  dir = mkdtempSync(join(tmpdir(), 'ka-stop-'));
});
afterAll(async () => {
  await local?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const numbered = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${prefix} ${from + i}\n`).join('');

describe('SIGTERM when the checkpoint file cannot be written at stop', () => {
  it('says so in one error line and exits 1, not 0; the next start sends what the file misses again, losing nothing', async () => {
    await local.createStream('s-cp');
    const log = join(dir, 'app.log');
    const state = join(dir, 'state');
    mkdirSync(state);
    const cp = join(state, 'cp');
    writeFileSync(log, numbered('line', 0, 50));
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      `kinesis.endpoint: ${local.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${cp}\n` +
        `flows:\n  - filePattern: ${log}\n    kinesisStream: s-cp\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n`,
    );
    const first = AgentProcess.start(config);
    await local.waitFor('s-cp', (r) => r.length >= 50);
    await until(() => checkpointAtEndOf(cp, log), 'a checkpoint at the end of the file');

    // The state directory becomes a file (ENOTDIR, even for root): no write can succeed now.
    renameSync(state, `${state}.away`);
    writeFileSync(state, '');
    appendFileSync(log, numbered('line', 50, 60));
    await local.waitFor('s-cp', (r) => r.length >= 60);
    const exit = await first.stop('SIGTERM');
    expect(exit, first.stdout).toEqual({ code: 1, signal: null });
    const errors = first.logLines().filter((l) => l.level === 'error');
    expect(errors.map((l) => l.msg)).toEqual(['cannot write the checkpoint file at stop']);
    expect(String(errors[0]!.err)).toContain('sent again at the next start');
    expect(first.logLines().at(-1)).toMatchObject({ msg: 'agent stopped without writing its checkpoints' });

    // Put the directory back: the checkpoint there names line 50, so lines 50..59 go again (at least once), none is lost.
    rmSync(state);
    renameSync(`${state}.away`, state);
    const second = AgentProcess.start(config);
    await local.waitFor('s-cp', (r) => r.length >= 70);
    await until(() => checkpointAtEndOf(cp, log), 'a checkpoint at the end of the file after the restart');
    expect(await second.stop('SIGTERM'), second.stdout).toEqual({ code: 0, signal: null });
    const seen = (await local.readAll('s-cp')).map((r) => r.data.toString());
    expect(seen.sort()).toEqual([...numbered('line', 0, 60).split(/(?<=\n)/), ...numbered('line', 50, 60).split(/(?<=\n)/)].sort());
  }, 90_000);
});
