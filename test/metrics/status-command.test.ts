import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startObservability, type Observability } from '../../src/observability.ts';
import { statusCommand, urlFor } from '../../src/status/command.ts';
import { freePort } from '../support/free-port.ts';
import { agentConfig, observedFlow, TEST_ENV } from './fixtures.ts';
import { memoryLogger } from './memory-log.ts';

beforeAll(() => {
  Object.assign(process.env, TEST_ENV);
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ka-status-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function writeConfig(dir: string, httpListen?: string): Promise<string> {
  const path = join(dir, 'agent.yaml');
  await writeFile(
    path,
    [`checkpointFile: ${join(dir, 'checkpoints')}`, 'cloudwatch.emitMetrics: false', ...(httpListen ? [`http.listen: ${httpListen}`] : []), 'flows:', `  - filePattern: ${dir}/*.log`, '    kinesisStream: web-logs', '    name: web', ''].join('\n'),
  );
  return path;
}

function capture() {
  let out = '';
  let err = '';
  return { io: { stdout: (t: string) => (out += t), stderr: (t: string) => (err += t) }, out: () => out, err: () => err };
}

async function runningAgent(port: number) {
  const flow = observedFlow('web', 'kinesis', 'web-logs', [{ path: '/var/log/web/access.log', identity: { dev: '1', ino: '2' }, size: 5000, committedOffset: 4000, bytesBehind: 1000 }]);
  Object.assign(flow.metrics, { recordsSent: 100, recordSendErrors: 2, serviceErrors: 1, bytesBehind: 1000, filesTracked: 1, lastSendAt: Date.now() - 2000 });
  const config = agentConfig({
    cloudwatch: { emitMetrics: false, namespace: 'x', tagInstance: false, metricsBufferTimeMillis: 30_000 },
    http: { host: '127.0.0.1', port, unhealthyAfterMillis: 60_000 },
  });
  const obs: Observability = await startObservability({ config, log: memoryLogger('silent').log, flows: () => [flow] });
  cleanups.push(() => obs.stop());
  return flow;
}

describe('kinesis-agent status', () => {
  it("prints the running agent's flows and files as tables, found through the config's http.listen", async () => {
    const port = await freePort();
    await runningAgent(port);
    const dir = await tempDir();
    const c = capture();
    const code = await statusCommand(['status', '-c', await writeConfig(dir, `127.0.0.1:${port}`)], c.io);
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    const out = c.out();
    expect(out).toMatch(/^kinesis-agent \d+\.\d+\.\d+, pid \d+, up \d+s \(http:\/\/127\.0\.0\.1:\d+\)/);
    expect(out).toMatch(/FLOW +DESTINATION +SENT +ERRORS +BEHIND +FILES +LAST SEND +HEALTH/);
    expect(out).toMatch(/web +KinesisStream:web-logs +100 +3 +1000 +1 +\d+s ago +ok/);
    expect(out).toMatch(/web +\/var\/log\/web\/access\.log +5000 +4000 +1000 +\d+s ago/);
  });

  it('takes --url and prints JSON with --json', async () => {
    const port = await freePort();
    await runningAgent(port);
    const c = capture();
    const code = await statusCommand(['--url', `http://127.0.0.1:${port}`, '--json'], c.io);
    expect(code).toBe(0);
    const report = JSON.parse(c.out()) as { flows: Array<{ id: string; files: Array<{ path: string }> }> };
    expect(report.flows[0]!.files[0]!.path).toBe('/var/log/web/access.log');
  });

  it('reads the checkpoint file when the agent is not running', async () => {
    const dir = await tempDir();
    const log = join(dir, 'app.log');
    await writeFile(log, 'x'.repeat(300));
    const st = await stat(log, { bigint: true });
    await writeFile(
      join(dir, 'checkpoints'),
      JSON.stringify({
        version: 1,
        entries: [
          { flowId: 'web', path: log, dev: String(st.dev), ino: String(st.ino), fingerprint: '', fingerprintBytes: 0, offset: 120, updatedAt: Date.now() - 60_000 },
          { flowId: 'web', path: join(dir, 'old.log'), dev: '1', ino: '2', fingerprint: '', fingerprintBytes: 0, offset: 10, updatedAt: Date.now() - 60_000 },
        ],
      }),
    );
    const port = await freePort(); // nothing listens here
    const c = capture();
    const code = await statusCommand(['-c', await writeConfig(dir, `127.0.0.1:${port}`)], c.io);
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    const out = c.out();
    expect(out).toMatch(/not running here \(no answer at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\)/);
    expect(out).toMatch(new RegExp(`web +${log.replaceAll('/', '\\/')} +300 +120 +180 +1m0\\ds ago`));
    expect(out).toMatch(/old\.log +gone +10 +-/);
  });

  it('reads the file through the store\'s codec: a newer format or a corrupt file is reported, never misread', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'checkpoints'), JSON.stringify({ version: 99, entries: [], somethingNew: {} }));
    let c = capture();
    expect(await statusCommand(['-c', await writeConfig(dir)], c.io)).toBe(1);
    expect(c.err()).toMatch(/format version 99, newer than this kinesis-agent reads \(2\) \(hint: /);
    // A bare list is not a checkpoint file: the agent would move it aside.
    await writeFile(join(dir, 'checkpoints'), JSON.stringify([{ flowId: 'web', path: '/a.log', offset: 7 }]));
    c = capture();
    expect(await statusCommand(['-c', await writeConfig(dir)], c.io)).toBe(1);
    expect(c.err()).toMatch(/is corrupt \(not a JSON object\)/);
  });

  it('fails with a hint when there is neither a running agent nor a checkpoint file', async () => {
    const dir = await tempDir();
    const c = capture();
    expect(await statusCommand(['-c', await writeConfig(dir)], c.io)).toBe(1);
    expect(c.err()).toMatch(/not running .* no checkpoint file at .*checkpoints \(hint: /);
  });

  it('rejects unknown options as a usage error', async () => {
    const c = capture();
    expect(await statusCommand(['--bogus'], c.io)).toBe(2);
    expect(c.err()).toMatch(/bogus/);
  });

  it('turns a wildcard listen address into one it can connect to', () => {
    expect(urlFor({ host: '0.0.0.0', port: 9090 })).toBe('http://127.0.0.1:9090');
    expect(urlFor({ host: '::', port: 9090 })).toBe('http://[::1]:9090');
    expect(urlFor({ host: '127.0.0.1', port: 9090 })).toBe('http://127.0.0.1:9090');
  });
});
