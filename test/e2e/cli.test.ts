import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentProcess, CLI, runCli } from '../support/agent-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'ka-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('the command line', () => {
  it('prints its version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^kinesis-agent \d+\.\d+\.\d+/);
  });

  it('prints help listing the commands', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const word of ['run', 'validate', '--config', 'SIGHUP']) expect(r.stdout).toContain(word);
  });

  it('rejects an unknown command with a hint and exit code 2', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    expect(r.stderr).toContain('--help');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('schema prints a draft-07 JSON Schema that passes the example config and flags what validate refuses, at the same key', async () => {
    const r = await runCli(['schema']);
    expect(r.code).toBe(0);
    const check = new Ajv({ allErrors: true }).compile(JSON.parse(r.stdout) as object);
    const example = readFileSync(new URL('../../agent.example.yaml', import.meta.url), 'utf8');
    expect(check(parse(example)) ? [] : check.errors).toEqual([]);
    const bad = 'flows:\n  - filePattern: /var/log/app/*.log\n    kinesisStream: s\n    maxBufferAgeMillis: 1.5\n';
    expect(check(parse(bad))).toBe(false);
    expect(check.errors!.map((e) => e.dataPath)).toContain('.flows[0].maxBufferAgeMillis');
    const v = await runCli(['validate', '-c', write('fraction.yaml', bad)]);
    expect(v.code).toBe(2);
    expect(v.stdout + v.stderr).toContain('flows[0].maxBufferAgeMillis');
  });

  it('schema through a pipe read late arrives whole (more than the 64 KiB a pipe holds)', () => {
    // The reader starts after the agent has written: what did not fit in the pipe is written after main() returns.
    const out = execFileSync('sh', ['-c', `"${process.execPath}" "${CLI}" schema | (sleep 1; cat)`], { encoding: 'utf8' });
    expect(out.length).toBeGreaterThan(64 * 1024);
    expect((JSON.parse(out) as { title: string }).title).toBe('kinesis-agent configuration');
  });

  it('validate accepts a good config with exit code 0', async () => {
    const p = write('good.yaml', 'flows:\n  - filePattern: /var/log/app/*.log\n    kinesisStream: s\n');
    const r = await runCli(['validate', '-c', p]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid');
  });

  it('validate prints every problem with its key, and exits 2 without a stack trace', async () => {
    const p = write(
      'bad.yaml',
      [
        'flows:',
        '  - filePattern: /var/log/a.log',
        '    kinesisStream: s',
        '    maxBufferSizeRecords: 900',
        '    initialPosition: MIDDLE_OF_FILE',
        '  - filePattern: /var/log/b.log',
        '    multiLineStartPattern: "(unclosed"',
        '    maxBuferAgeMillis: 1000',
        '',
      ].join('\n'),
    );
    const r = await runCli(['validate', '-c', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('flows[0].maxBufferSizeRecords');
    expect(r.stderr).toContain('flows[0].initialPosition');
    expect(r.stderr).toContain('flows[1].multiLineStartPattern');
    expect(r.stderr).toContain('flows[1].maxBuferAgeMillis');
    expect(r.stderr).toContain('maxBufferAgeMillis');
    expect(r.stderr).toMatch(/flows\[1\].*(kinesisStream|deliveryStream|destination)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('run with a config that has errors exits 2 with a one-line message per problem', async () => {
    const p = write('bad2.yaml', 'flows: [\n');
    const r = await runCli(['-c', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad2\.yaml:\d+:\d+/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('run with a missing config file names the file and exits 2', async () => {
    const r = await runCli(['run', '--configuration', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope.yaml');
  });

  it('stops cleanly with exit 0 on a SIGTERM that arrives while it is still starting', async () => {
    const p = write(
      'early.yaml',
      `kinesis.endpoint: http://127.0.0.1:1\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(dir, 'early-cp')}\n` +
        `flows:\n  - filePattern: ${join(dir, 'early.log')}\n    kinesisStream: s\n`,
    );
    // stop() signals once Node itself has started: while the agent's modules load.
    const agent = AgentProcess.start(p);
    const exit = await agent.stop('SIGTERM');
    expect(exit, agent.stderr).toEqual({ code: 0, signal: null });
  });
});
