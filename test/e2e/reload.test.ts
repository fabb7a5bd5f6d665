import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.ts';
import { freePort } from '../support/free-port.ts';
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

describe('SIGHUP while the agent is still starting', () => {
  it('is kept and acted on once started, instead of killing the process (systemctl reload right after a start)', async () => {
    await local.createStream('r-early');
    const log = join(dir, 'early.log');
    writeFileSync(log, numbered('early', 0, 20));
    const config = join(dir, 'early.yaml');
    writeFileSync(
      config,
      `kinesis.endpoint: ${local.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(dir, 'early-cp')}\n` +
        `flows:\n  - filePattern: ${log}\n    kinesisStream: r-early\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n`,
    );
    const agent = AgentProcess.start(config);
    // While the agent's modules load: before the agent itself listens for SIGHUP.
    await agent.signalOnceNodeStarted('SIGHUP');
    await agent.waitForLog((l) => l.msg === 'configuration reloaded');
    expect(agent.logLines().find((l) => l.msg === 'configuration reloaded')).toMatchObject({ stopped: 0, started: 0, running: 1 });
    appendFileSync(log, numbered('early', 20, 40));
    await local.waitFor('r-early', (r) => r.length >= 40);
    expect(await agent.stop('SIGTERM'), agent.stderr).toEqual({ code: 0, signal: null });
    const seen = (await local.readAll('r-early')).map((r) => r.data.toString());
    expect(seen.sort()).toEqual(numbered('early', 0, 40).split(/(?<=\n)/).sort());
  }, 60_000);
});

describe('SIGHUP that changes only what the agent reports (log.level, http.listen)', () => {
  it('keeps every flow in its place, applies the level, keeps /status on its port while the new one is taken, and moves it once free', async () => {
    await local.createStream('r-report');
    const logDir = join(dir, 'report');
    mkdirSync(logDir);
    writeFileSync(join(logDir, 'a.log'), numbered('a', 0, 20));
    const [oldPort, newPort] = [await freePort(), await freePort()];
    // Another program holds the new port when the reload asks for it.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(newPort, '127.0.0.1', resolve));
    const config = join(dir, 'report.yaml');
    const write = (port: number, level: string, extra = '') =>
      writeFileSync(
        config,
        `kinesis.endpoint: ${local.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(dir, 'report-cp')}\n` +
          `http.listen: 127.0.0.1:${port}\nlog.level: ${level}\n${extra}` +
          `flows:\n  - name: app\n    filePattern: ${logDir}/*.log\n    kinesisStream: r-report\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n`,
      );
    write(oldPort, 'info');
    // Without KINESIS_AGENT_LOG_LEVEL, which would win over log.level.
    const agent = AgentProcess.start(config, { KINESIS_AGENT_LOG_LEVEL: '' });
    const problemsOn = async (port: number) => ((await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as StatusAnswer).problems;
    const reloads = () => agent.logLines().filter((l) => l.msg === 'configuration reloaded').length;
    const reload = async () => {
      const before = reloads();
      agent.child.kill('SIGHUP');
      await agent.waitForLog(() => reloads() > before);
    };
    try {
      await local.waitFor('r-report', (r) => r.length >= 20);
      expect(await problemsOn(oldPort)).toEqual([]);

      // 1. The new port is taken: the reload applies the rest, /status stays on the old port and says why.
      write(newPort, 'debug', 'unknownKeyForTheWarning: 1\n');
      await reload();
      expect(agent.logLines().findLast((l) => l.msg === 'configuration reloaded')).toMatchObject({ stopped: 0, started: 0, running: 1 });
      expect(await problemsOn(oldPort)).toEqual([expect.objectContaining({ scope: 'agent', key: 'observability', state: 'HTTP_LISTEN' })]);
      expect((await fetch(`http://127.0.0.1:${oldPort}/healthz`)).status).toBe(200);
      // The reloaded config's warnings are logged, though no agent-wide setting the flows use changed.
      expect(agent.logLines().some((l) => l.level === 'warn' && String(l.msg).includes('unknownKeyForTheWarning'))).toBe(true);
      // The level applies to the running flow: a new file's placement is logged at debug.
      writeFileSync(join(logDir, 'b.log'), numbered('b', 0, 10));
      await agent.waitForLog((l) => l.level === 'debug' && String(l.path).endsWith('b.log'));
      await local.waitFor('r-report', (r) => r.length >= 30);

      // 2. The port is free again: the same configuration, reloaded, moves /status there and clears the problem.
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
      await reload();
      expect(await problemsOn(newPort)).toEqual([]);
      await expect(fetch(`http://127.0.0.1:${oldPort}/status`)).rejects.toThrow();
      // The flow never restarted: one start.
      expect(agent.logLines().filter((l) => l.msg === 'flow started').length).toBe(1);

      // 3. The old port taken now, with a setting the flows use changed too (it restarts them): /status stays on the new port.
      const squatter2 = createServer();
      await new Promise<void>((resolve) => squatter2.listen(oldPort, '127.0.0.1', resolve));
      try {
        write(oldPort, 'debug', 'shutdownTimeoutMillis: 9000\n');
        await reload();
        expect(await problemsOn(newPort)).toEqual([expect.objectContaining({ key: 'observability', state: 'HTTP_LISTEN' })]);
        // 4. Back to what it serves with: the flows restart (a setting they use changed), and so must /status, where it was.
        write(newPort, 'debug');
        await reload();
        expect(await problemsOn(newPort)).toEqual([]);
      } finally {
        squatter2.close();
      }
    } finally {
      squatter.close();
    }
    expect(await agent.stop('SIGTERM'), agent.stderr).toEqual({ code: 0, signal: null });
    const seen = (await local.readAll('r-report')).map((r) => r.data.toString());
    expect(seen.sort()).toEqual([...numbered('a', 0, 20).split(/(?<=\n)/), ...numbered('b', 0, 10).split(/(?<=\n)/)].sort());
  }, 90_000);
});

interface StatusAnswer {
  problems: Array<{ scope: string; key: string; state: string; message: string }>;
  flows: Array<{ id: string; state: string; counters: Record<string, number> }>;
}

describe('SIGHUP with a configuration that cannot be used', () => {
  it('keeps the running flow shipping, reports the failure until a reload works, and the next SIGHUP and SIGTERM work', async () => {
    await local.createStream('r-fail');
    const log = join(dir, 'fail.log');
    const cp = join(dir, 'fail-cp');
    writeFileSync(log, numbered('line', 0, 100));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const config = join(dir, 'fail.yaml');
    const head =
      `kinesis.endpoint: ${local.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${cp}\nhttp.listen: 127.0.0.1:${port}\n` +
      `flows:\n  - name: app\n    filePattern: ${log}\n    kinesisStream: r-fail\n    initialPosition: START_OF_FILE\n`;
    writeFileSync(config, `${head}    maxBufferAgeMillis: 1000\n`);

    const agent = AgentProcess.start(config);
    let written = 100;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        appendFileSync(log, numbered('line', written, written + 5));
        written += 5;
        await sleep(100);
      }
    })();
    // The status server listens once the flows have started: asked earlier, wait for it.
    const get = async (path: string): Promise<Response> => {
      for (let tries = 0; ; tries++) {
        try {
          return await fetch(`${base}${path}`);
        } catch (err) {
          if (tries >= 100) throw err;
          await sleep(100);
        }
      }
    };
    const status = async () => (await (await get('/status')).json()) as StatusAnswer;
    const healthz = async () => (await get('/healthz')).status;
    const arrived = (n: number) => local.waitFor('r-fail', (r) => r.length >= n, 30_000);
    try {
      // 1. A good configuration: running, healthy, no problem.
      await arrived(100);
      expect(await healthz()).toBe(200);
      let s = await status();
      expect(s.problems).toEqual([]);
      expect(s.flows.map((f) => [f.id, f.state])).toEqual([['app', 'running']]);

      // 2. The flow that could not be built (7 COMMONAPACHELOG fields, 2 names). Since
      // `validate` means "will start" (#15) the load already refuses it, as `validate` does; the
      // reload fails before building anything, and nothing stops.
      writeFileSync(
        config,
        `${head}    maxBufferAgeMillis: 2000\n    dataProcessingOptions:\n      - optionName: LOGTOJSON\n        logFormat: COMMONAPACHELOG\n        customFieldNames: [a, b]\n`,
      );
      agent.child.kill('SIGHUP');
      await agent.waitForLog((l) => l.level === 'error' && String(l.msg).startsWith('reload:'));
      const failure = agent.logLines().filter((l) => l.level === 'error');
      expect(failure.length, agent.stdout).toBe(1);
      expect(String(failure[0]!.err)).toContain('customFieldNames');
      expect(String(failure[0]!.err)).toContain('flows[0]');
      s = await status();
      expect(s.problems).toEqual([expect.objectContaining({ scope: 'agent', key: 'reload', state: expect.stringMatching(/^load:CONFIG_/) })]);
      expect(s.flows.map((f) => [f.id, f.state])).toEqual([['app', 'running']]);
      expect(await healthz()).toBe(200);
      const mark = written;
      await arrived(mark);

      // 3. A good configuration again (the flow changes: it drains and resumes from its checkpoint).
      writeFileSync(config, `${head}    maxBufferAgeMillis: 1500\n`);
      agent.child.kill('SIGHUP');
      await agent.waitForLog((l) => l.msg === 'configuration reloaded');
      expect(agent.logLines().find((l) => l.msg === 'configuration reloaded')).toMatchObject({ stopped: 1, started: 1, running: 1 });
      s = await status();
      expect(s.problems).toEqual([]);
      expect(s.flows.map((f) => [f.id, f.state])).toEqual([['app', 'running']]);
      expect(await healthz()).toBe(200);
      await arrived(written);
    } finally {
      writing = false;
      await writer;
    }
    const all = await arrived(written);
    expect((await agent.stop('SIGTERM')).code, agent.stderr).toBe(0);

    const seen = (await local.readAll('r-fail')).map((r) => r.data.toString());
    expect(all.length).toBeGreaterThanOrEqual(written);
    expect(seen.length).toBe(written);
    expect(new Set(seen)).toEqual(new Set(numbered('line', 0, written).split(/(?<=\n)/)));
    // The checkpoint written at the stop covers the whole file.
    const saved = JSON.parse(readFileSync(cp, 'utf8')) as { entries: Array<{ offset: number }> };
    expect(saved.entries.map((e) => e.offset)).toContain(statSync(log).size);
  }, 180_000);
});
