/**
 * The `run` command on jemalloc when it is installed (src/allocator.ts):
 * real agent processes shipping to kinesis-local, their memory maps read
 * from /proc. CI installs Debian's libjemalloc2 (.ci/run); elsewhere
 * without it these skip, saying so.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLibrary, jemallocMapped } from '../../src/allocator.ts';
import { AgentProcess, runCli } from '../support/agent-process.ts';
import { useKinesisLocal } from '../support/kinesis-local.ts';

const LIBRARY = findLibrary();
const maybe = LIBRARY || process.env.CI ? describe : describe.skip;

const env = useKinesisLocal('ka-malloc-');

function flow(name: string): string {
  const log = join(env.dir, `${name}.log`);
  writeFileSync(log, Array.from({ length: 200 }, (_, i) => `${name} line ${i}\n`).join(''));
  const config = join(env.dir, `${name}.yaml`);
  writeFileSync(
    config,
    `kinesis.endpoint: ${env.local.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(env.dir, `${name}.cp`)}\n` +
      `flows:\n  - filePattern: ${log}\n    kinesisStream: ${name}\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n`,
  );
  return config;
}

const mapped = (pid: number) => jemallocMapped(`/proc/${pid}/maps`);

maybe(`malloc (jemalloc: ${LIBRARY ?? 'not installed'})`, () => {
  it('runs on jemalloc when installed: same PID, the library mapped, the first log line says so, every line shipped, a clean stop', async () => {
    await env.local.createStream('je');
    const agent = AgentProcess.start(flow('je'));
    await env.local.waitFor('je', (r) => r.length >= 200);
    expect(mapped(agent.child.pid!)).toBe(true);
    expect(readFileSync(`/proc/${agent.child.pid}/cmdline`, 'utf8').split('\0')).toContain('-c');
    const line = agent.logLines().find((l) => l.msg === 'malloc');
    expect(line).toMatchObject({ level: 'info', malloc: 'jemalloc', why: `LD_PRELOAD=${LIBRARY}` });
    expect(await agent.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(agent.stderr).toBe('');
  });

  it('KINESIS_AGENT_MALLOC=glibc keeps glibc: no library mapped, no LD_PRELOAD, and says why', async () => {
    await env.local.createStream('gl');
    const agent = AgentProcess.start(flow('gl'), { KINESIS_AGENT_MALLOC: 'glibc' });
    await env.local.waitFor('gl', (r) => r.length >= 200);
    expect(mapped(agent.child.pid!)).toBe(false);
    expect(readFileSync(`/proc/${agent.child.pid}/environ`, 'utf8')).not.toContain('LD_PRELOAD');
    expect(agent.logLines().find((l) => l.msg === 'malloc')).toMatchObject({ malloc: 'glibc', why: 'KINESIS_AGENT_MALLOC=glibc' });
    expect(await agent.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('a stop signal once the second image has started drains and exits 0', async () => {
    await env.local.createStream('early');
    const agent = AgentProcess.start(flow('early'));
    await agent.signalOnceNodeStarted('SIGTERM');
    expect(await agent.exited).toEqual({ code: 0, signal: null });
  });
});

describe('malloc setting', () => {
  it('an unknown KINESIS_AGENT_MALLOC is a configuration error: exit 2, one line with a hint, no stack', async () => {
    const r = await runCli(['-c', flow('bad')], { KINESIS_AGENT_MALLOC: 'tcmalloc' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'kinesis-agent: KINESIS_AGENT_MALLOC=tcmalloc is not a malloc this agent knows (hint: set KINESIS_AGENT_MALLOC to auto, jemalloc or glibc, or leave it unset)',
    ]);
  });

  it('commands other than run never re-execute: validate ignores the setting', async () => {
    const r = await runCli(['validate', flow('val')], { KINESIS_AGENT_MALLOC: 'tcmalloc' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid, 1 flow(s)');
  });
});
