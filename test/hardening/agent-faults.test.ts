/**
 * Faults of the agent itself and of its state: SIGTERM under load, corrupt,
 * truncated and unwritable checkpoint files, a full disk under the
 * checkpoint directory.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Handler, RecordedRequest } from '../servers/aws-protocol-server.ts';
import { AgentProcess, runCli } from '../support/agent-process.ts';
import { CloudWatchServer } from '../servers/cloudwatch-server.ts';
import { freePort } from '../support/free-port.ts';
import { checkpointAtEndOf } from '../support/checkpoints.ts';
import { agentYaml, DROP_TO_NOBODY, expectExactlyOnce, hasMsg, isRoot, NOBODY, startAgentVia, numbered, sleep, splitLines, tally, until, type FlowSpec, useProtocolServer, agentOutput } from './support.ts';

const suite = useProtocolServer('agent');

const accepted = (stream: string) => suite.server.streams.get(stream)!.entries;

function writeConfig(sub: string, flows: FlowSpec[], top: string[] = [], checkpointFile = join(sub, 'state', 'cp')): string {
  const config = join(sub, 'agent.yaml');
  writeFileSync(config, agentYaml({ endpoint: suite.server.endpoint, checkpointFile, flows, top }));
  return config;
}

function start(config: string): AgentProcess {
  const a = AgentProcess.start(config);
  suite.track(a);
  return a;
}

/** When the server answered each PutRecords call (after any injected delay). */
function trackAnswers(): { answeredAt: Map<RecordedRequest, number>; restore: () => void } {
  const key = 'Kinesis_20131202.PutRecords';
  const original = (suite.server as unknown as { handlers: Map<string, Handler> }).handlers.get(key)!;
  const answeredAt = new Map<RecordedRequest, number>();
  suite.server.handle(key, (r, srv) => {
    answeredAt.set(r, Date.now());
    return original(r, srv);
  });
  return { answeredAt, restore: () => suite.server.handle(key, original) };
}

describe('stopping under load', () => {
  it('exits 0 within shutdownTimeoutMillis on SIGTERM while busy, and a restart loses nothing', async () => {
    const { stream, sub } = suite.newCase(2);
    const log = join(sub, 'app.log');
    writeFileSync(log, '');
    const shutdownTimeoutMillis = 1500;
    const config = writeConfig(sub, [{ filePattern: log, stream, extra: ['maxBufferSizeRecords: 100', 'maxInFlightRequests: 2'] }], [
      `shutdownTimeoutMillis: ${shutdownTimeoutMillis}`,
    ]);
    // A slow destination: calls are in flight and records queued at the stop.
    suite.server.setFaults({ kind: 'delay', ms: 400, operations: ['PutRecords'] });
    const { answeredAt, restore } = trackAnswers();
    let written = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        appendFileSync(log, numbered('load', written, written + 200));
        written += 200;
        await sleep(20);
      }
    })();
    let agent = start(config);
    try {
      await until(() => accepted(stream).length >= 500, 'shipping under load', 30_000, agentOutput(agent));
    } finally {
      writing = false;
      await writer;
    }
    const t0 = Date.now();
    const exit = await agent.stop('SIGTERM');
    const took = Date.now() - t0;
    // Calls answered after the signal may have been given up on by the agent.
    const inFlightAtExit = new Set(
      suite.server.requests
        .filter((r) => r.body.StreamName === stream && (r.status === 0 || (answeredAt.get(r) ?? Infinity) >= t0))
        .flatMap((r) => r.entries.map((e) => e.data.toString('latin1'))),
    );
    restore();
    expect(exit.code, agentOutput(agent)()).toBe(0);
    expect(took).toBeLessThan(shutdownTimeoutMillis + 3000);
    expect(accepted(stream).length).toBeLessThan(written);

    suite.server.clearFaults();
    agent = start(config);
    const all = splitLines(numbered('load', 0, written));
    await until(() => tally(accepted(stream), all).missing === 0, 'every line after the restart', 60_000, agentOutput(agent));
    expect((await agent.stop('SIGTERM')).code).toBe(0);
    const t = tally(accepted(stream), all);
    expect({ missing: t.missing, unexpected: t.unexpected }).toEqual({ missing: 0, unexpected: 0 });
    // Only calls the stop gave up on (the server stored them after the agent left) repeat.
    const repeated = [...t.counts].filter(([line, c]) => c > 1 && !(c === 2 && inFlightAtExit.has(line)));
    expect(repeated.length).toBe(0);
  }, 120_000);

  it('exits 0 within shutdownTimeoutMillis on SIGTERM while the destination is down, and a restart sends everything', async () => {
    const { stream, sub } = suite.newCase(2);
    const log = join(sub, 'app.log');
    writeFileSync(log, numbered('down', 0, 500));
    const config = writeConfig(sub, [{ filePattern: log, stream }], ['shutdownTimeoutMillis: 1000']);
    suite.server.setFaults({ kind: 'status', status: 503, type: 'ServiceUnavailable', operations: ['PutRecords'] });
    let agent = start(config);
    await agent.waitForLog(hasMsg('retrying'));
    const t0 = Date.now();
    const exit = await agent.stop('SIGTERM');
    expect(exit.code, agentOutput(agent)()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(1000 + 3000);
    expect(agent.logLines().some(hasMsg('shutdown deadline reached'))).toBe(true);
    suite.server.clearFaults();
    agent = start(config);
    await until(() => accepted(stream).length >= 500, 'every line', 30_000, agentOutput(agent));
    expect((await agent.stop('SIGTERM')).code).toBe(0);
    expectExactlyOnce(accepted(stream), splitLines(numbered('down', 0, 500)));
  });
});

describe('reloading under load', () => {
  it('loses nothing when SIGHUP changes a busy flow (it drains, then starts again from its checkpoint)', async () => {
    const { stream, sub } = suite.newCase(2);
    const log = join(sub, 'app.log');
    writeFileSync(log, '');
    const flow = (age: number) => [{ filePattern: log, stream, extra: ['maxBufferSizeRecords: 100', 'maxInFlightRequests: 2', `maxBufferAgeMillis: ${age}`] }];
    const config = writeConfig(sub, flow(1000), ['shutdownTimeoutMillis: 1000']);
    suite.server.setFaults({ kind: 'delay', ms: 300, operations: ['PutRecords'] });
    let written = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        appendFileSync(log, numbered('hup', written, written + 100));
        written += 100;
        await sleep(20);
      }
    })();
    // Calls in flight during the drain may be abandoned.
    const { answeredAt, restore } = trackAnswers();
    const agent = start(config);
    let inFlightAtReload = new Set<string>();
    try {
      await until(() => accepted(stream).length >= 300, 'shipping under load', 30_000, agentOutput(agent));
      writeConfig(sub, flow(2000), ['shutdownTimeoutMillis: 1000']);
      const hupAt = Date.now();
      agent.child.kill('SIGHUP');
      await agent.waitForLog(hasMsg('configuration reloaded'));
      const reloadedAt = Date.now();
      await sleep(500);
      inFlightAtReload = new Set(
        suite.server.requests
          .filter((r) => r.body.StreamName === stream && r.at <= reloadedAt && (answeredAt.get(r) ?? Infinity) >= hupAt)
          .flatMap((r) => r.entries.map((e) => e.data.toString('latin1'))),
      );
    } finally {
      writing = false;
      await writer;
      restore();
    }
    suite.server.clearFaults();
    const all = splitLines(numbered('hup', 0, written));
    await until(() => tally(accepted(stream), all).missing === 0, 'every line after the reload', 60_000, agentOutput(agent));
    expect((await agent.stop()).code).toBe(0);
    const t = tally(accepted(stream), all);
    expect({ missing: t.missing, unexpected: t.unexpected }).toEqual({ missing: 0, unexpected: 0 });
    // Only what the drain gave up on (abandoned calls the server still stored) comes twice.
    const repeated = [...t.counts].filter(([line, c]) => c > 1 && !(c === 2 && inFlightAtReload.has(line)));
    expect(repeated.length, `${t.duplicated} duplicated, ${inFlightAtReload.size} in flight at the reload`).toBe(0);
  }, 90_000);
});

describe('flows and their checkpoints', () => {
  it('ships one file to two flows, each line once per flow, and resumes both after a restart', async () => {
    const { stream, sub } = suite.newCase(2);
    const other = `${stream}-b`;
    suite.server.createStream(other, 1);
    const log = join(sub, 'app.log');
    writeFileSync(log, numbered('two', 0, 100));
    const config = writeConfig(sub, [
      { filePattern: log, stream },
      { filePattern: log, stream: other },
    ]);
    let agent = start(config);
    await until(() => accepted(stream).length >= 100 && accepted(other).length >= 100, 'both flows', 30_000, agentOutput(agent));
    expect((await agent.stop()).code).toBe(0);
    appendFileSync(log, numbered('two', 100, 150));
    agent = start(config);
    await until(() => accepted(stream).length >= 150 && accepted(other).length >= 150, 'both flows again', 30_000, agentOutput(agent));
    await sleep(1200);
    expect((await agent.stop()).code).toBe(0);
    expectExactlyOnce(accepted(stream), splitLines(numbered('two', 0, 150)));
    expectExactlyOnce(accepted(other), splitLines(numbered('two', 0, 150)));
  });

  it('keeps a named flow\'s place when its filePattern is rewritten (the default id would change with it)', async () => {
    const { stream, sub } = suite.newCase(2);
    const log = join(sub, 'app.log');
    writeFileSync(log, numbered('named', 0, 100));
    const config = (pattern: string) => writeConfig(sub, [{ filePattern: pattern, stream, extra: ['name: web', 'initialPosition: END_OF_FILE'] }]);
    // END_OF_FILE: the first start ships only what comes after it.
    let agent = start(config(log));
    await agent.waitForLog(hasMsg('agent started'));
    appendFileSync(log, numbered('named', 100, 150));
    await until(() => accepted(stream).length >= 50, 'the new lines', 30_000, agentOutput(agent));
    expect((await agent.stop()).code).toBe(0);
    appendFileSync(log, numbered('named', 150, 200));
    agent = start(config(join(sub, '*.log')));
    await until(() => accepted(stream).length >= 100, 'the lines written while stopped', 30_000, agentOutput(agent));
    await sleep(1200);
    expect((await agent.stop()).code).toBe(0);
    expectExactlyOnce(accepted(stream), splitLines(numbered('named', 100, 200)));
  });
});

describe('CloudWatch in trouble', () => {
  for (const mode of ['hang', '5xx', 'denied'] as const) {
    it(`ships every line and stops in time while CloudWatch ${mode === 'hang' ? 'never answers' : mode === '5xx' ? 'fails' : 'denies access'}`, async () => {
      const cw = await CloudWatchServer.start();
      cw.failWith(mode);
      try {
        const { stream, sub } = suite.newCase(2);
        const log = join(sub, 'app.log');
        writeFileSync(log, numbered('cw', 0, 200));
        const config = join(sub, 'agent.yaml');
        writeFileSync(
          config,
          agentYaml({ endpoint: suite.server.endpoint, checkpointFile: join(sub, 'state', 'cp'), flows: [{ filePattern: log, stream }], top: ['shutdownTimeoutMillis: 1500'] })
            .replace('cloudwatch.emitMetrics: false', `cloudwatch.emitMetrics: true\ncloudwatch.endpoint: ${cw.endpoint}\ncloudwatch.metricsBufferTimeMillis: 300`),
        );
        const agent = start(config);
        await until(() => accepted(stream).length >= 200, 'every line', 30_000, agentOutput(agent));
        // A hanging call holds its period until it times out; the others fail at once.
        const attempts = mode === 'hang' ? 1 : 4;
        await until(() => cw.refused >= attempts, 'CloudWatch calls meeting the fault', 30_000, agentOutput(agent));
        appendFileSync(log, numbered('cw', 200, 300));
        await until(() => accepted(stream).length >= 300, 'more lines', 30_000, agentOutput(agent));
        const t0 = Date.now();
        const exit = await agent.stop();
        expect(exit.code, agentOutput(agent)()).toBe(0);
        expect(Date.now() - t0).toBeLessThan(1500 + 3000);
        expectExactlyOnce(accepted(stream), splitLines(numbered('cw', 0, 300)));
        // A CloudWatch problem is worth a line when it starts or changes (a
        // timeout under load between two 503s is a change), not one per attempt.
        const warnings = agent.logLines().filter((l) => l.component === 'metrics' && (l.level === 'warn' || l.level === 'error'));
        expect(warnings.length, agentOutput(agent)()).toBeGreaterThanOrEqual(1);
        expect(warnings.length, agentOutput(agent)()).toBeLessThanOrEqual(Math.max(2, Math.floor(cw.refused / 2)));
      } finally {
        cw.failWith('none');
        await cw.close();
      }
    });
  }
});

describe('CloudWatch hanging at shutdown', () => {
  // Found here (observability.stop(), up to 3 s with a CloudWatch that does
  // not answer, was awaited before the flows drained, against the same
  // deadline); fixed in ed53bcf: metrics stop beside the flows.
  it('leaves the flows their drain time when CloudWatch does not answer', async () => {
    const cw = await CloudWatchServer.start();
    cw.failWith('hang');
    try {
      const { stream, sub } = suite.newCase(2);
      const log = join(sub, 'app.log');
      writeFileSync(log, numbered('cwd', 0, 50));
      const config = join(sub, 'agent.yaml');
      writeFileSync(
        config,
        agentYaml({ endpoint: suite.server.endpoint, checkpointFile: join(sub, 'state', 'cp'), flows: [{ filePattern: log, stream }], top: ['shutdownTimeoutMillis: 2500'] })
          .replace('cloudwatch.emitMetrics: false', `cloudwatch.emitMetrics: true\ncloudwatch.endpoint: ${cw.endpoint}\ncloudwatch.metricsBufferTimeMillis: 300`),
      );
      const agent = start(config);
      await until(() => accepted(stream).length >= 50, 'the first lines', 30_000, agentOutput(agent));
      await until(() => cw.refused >= 1, 'a CloudWatch call hanging', 30_000, agentOutput(agent));
      // Calls the destination answers in 500 ms, and a writer that keeps going.
      suite.server.setFaults({ kind: 'delay', ms: 500, operations: ['PutRecords'] });
      let written = 50;
      let writing = true;
      const writer = (async () => {
        while (writing) {
          appendFileSync(log, numbered('cwd', written, written + 20));
          written += 20;
          await sleep(20);
        }
      })();
      try {
        const calls = suite.server.calls('PutRecords').length;
        await until(() => suite.server.calls('PutRecords').length > calls + 2, 'calls in flight', 30_000, agentOutput(agent));
        const t0 = Date.now();
        expect((await agent.stop()).code, agentOutput(agent)()).toBe(0);
        const took = Date.now() - t0;
        // Reading stops at once; the calls in flight finish well within 2.5 s.
        expect(agent.logLines().filter(hasMsg('shutdown deadline reached')), agentOutput(agent)()).toEqual([]);
        expect(took).toBeLessThan(2500 + 3000);
      } finally {
        writing = false;
        await writer;
      }
    } finally {
      cw.failWith('none');
      await cw.close();
    }
  });
});

describe('multi-line records across a restart', () => {
  it('sends a multi-line record gathering at SIGTERM once, after the restart', async () => {
    const { stream, sub } = suite.newCase(2);
    const log = join(sub, 'ml.log');
    const entry = (i: number) => `${i} start of entry\n  at frame one\n  at frame two\n`;
    let text = '';
    for (let i = 0; i < 20; i++) text += entry(i);
    writeFileSync(log, text);
    const config = writeConfig(sub, [{ filePattern: log, stream, extra: ["multiLineStartPattern: '^\\d'"] }]);
    let agent = start(config);
    // Entries 0..18 go out when the next one starts; 19 keeps growing, never quiet, until the stop.
    let tail = '';
    let growing = true;
    const grower = (async () => {
      while (growing) {
        const more = `  at frame ${tail.length}\n`;
        tail += more;
        appendFileSync(log, more);
        await sleep(100);
      }
    })();
    try {
      await until(() => accepted(stream).length >= 19, 'the closed entries', 30_000, agentOutput(agent));
      expect((await agent.stop()).code).toBe(0);
    } finally {
      growing = false;
      await grower;
    }
    expect(accepted(stream).length).toBe(19);
    appendFileSync(log, entry(20));
    agent = start(config);
    await until(() => accepted(stream).length >= 21, 'the rest', 30_000, agentOutput(agent));
    await sleep(1500);
    expect((await agent.stop()).code).toBe(0);
    expectExactlyOnce(accepted(stream), [...Array.from({ length: 19 }, (_, i) => entry(i)), entry(19) + tail, entry(20)]);
  });
});

describe('a second stop signal', () => {
  it('exits at once with code 1 on a second SIGTERM during the drain, and a restart still loses nothing', async () => {
    const { stream, sub } = suite.newCase(2);
    const log = join(sub, 'app.log');
    writeFileSync(log, numbered('twice', 0, 300));
    const config = writeConfig(sub, [{ filePattern: log, stream }], ['shutdownTimeoutMillis: 60000']);
    suite.server.setFaults({ kind: 'status', status: 503, type: 'ServiceUnavailable', operations: ['PutRecords'] });
    let agent = start(config);
    await agent.waitForLog(hasMsg('retrying'));
    agent.child.kill('SIGTERM');
    await agent.waitForLog(hasMsg('stopping'));
    const exit = await agent.stop('SIGTERM');
    expect(exit.code, agentOutput(agent)()).toBe(1);
    expect(agent.logLines().some(hasMsg('second stop signal'))).toBe(true);
    suite.server.clearFaults();
    agent = start(config);
    await until(() => accepted(stream).length >= 300, 'every line', 30_000, agentOutput(agent));
    expect((await agent.stop()).code).toBe(0);
    expectExactlyOnce(accepted(stream), splitLines(numbered('twice', 0, 300)));
  });
});

describe('checkpoint file faults', () => {
  async function firstRun(): Promise<{ stream: string; sub: string; log: string; config: string; cp: string }> {
    const { stream, sub } = suite.newCase(2);
    const log = join(sub, 'app.log');
    writeFileSync(log, numbered('cp', 0, 100));
    const config = writeConfig(sub, [{ filePattern: log, stream }]);
    const agent = start(config);
    await until(() => accepted(stream).length >= 100, 'the first run', 30_000, agentOutput(agent));
    expect((await agent.stop()).code).toBe(0);
    return { stream, sub, log, config, cp: join(sub, 'state', 'cp') };
  }

  for (const [what, damage] of [
    ['corrupt', (cp: string) => writeFileSync(cp, '\u0000\u0001garbage{{{')],
    ['truncated', (cp: string) => truncateSync(cp, Math.floor(readFileSync(cp).length / 2))],
  ] as const) {
    it(`moves a ${what} checkpoint file aside, starts per initialPosition and does not crash-loop`, async () => {
      const { stream, sub, log, config, cp } = await firstRun();
      damage(cp);
      appendFileSync(log, numbered('cp', 100, 150));
      let agent = start(config);
      // START_OF_FILE with no checkpoint: the file again from its first line (at-least-once).
      await until(() => tally(accepted(stream), splitLines(numbered('cp', 0, 150))).missing === 0, 'the file again', 30_000, agentOutput(agent));
      expect(agent.logLines().filter(hasMsg('moved it aside')).length).toBe(1);
      expect(readdirSync(join(sub, 'state')).some((f) => f.startsWith('cp.corrupt-'))).toBe(true);
      await until(() => existsSync(cp) && readFileSync(cp, 'utf8').includes('"entries"'), 'a new checkpoint file', 10_000, agentOutput(agent));
      expect((await agent.stop()).code).toBe(0);
      // The next start reads the new file: nothing moved aside, nothing sent again.
      const before = accepted(stream).length;
      appendFileSync(log, numbered('cp', 150, 160));
      agent = start(config);
      await until(() => accepted(stream).length >= before + 10, 'the appended lines', 30_000, agentOutput(agent));
      await sleep(1200);
      expect((await agent.stop()).code).toBe(0);
      expect(agent.logLines().some(hasMsg('moved it aside'))).toBe(false);
      expect(accepted(stream).length).toBe(before + 10);
    });
  }

  // Found here (a fractional offset made fs.read throw for that file for
  // good); fixed in a4ee65a: entries need safe non-negative integers.
  it('goes on from a checkpoint file that parses but holds nonsense values', async () => {
    const { stream, log, config, cp } = await firstRun();
    const saved = JSON.parse(readFileSync(cp, 'utf8')) as { entries: Record<string, unknown>[] };
    const entry = saved.entries[0]!;
    const variants: unknown[] = [{ ...entry, offset: Number(entry.offset) - 0.5 }, { ...entry, dev: '1', offset: -5 }, { flowId: 42 }, null, 'x'];
    writeFileSync(cp, JSON.stringify({ version: 1, entries: variants }));
    appendFileSync(log, numbered('cp', 100, 110));
    const agent = start(config);
    await until(() => tally(accepted(stream), splitLines(numbered('cp', 0, 110))).missing === 0, 'the appended lines', 10_000, agentOutput(agent));
    expect((await agent.stop()).code).toBe(0);
  });

  // Exit 2, as for any configuration the user must fix: the path can never
  // be written while the configuration stays as it is. (systemd's
  // RestartPreventExitStatus=2 then stops the restart loop.)
  // (Found here: CheckpointPathError had the code CHECKPOINT_PATH, mapped to
  // exit 1, which a service manager restarts forever; fixed in 9aee506.)
  for (const [what, place] of [
    ['its directory is a file', (sub: string) => {
      const blocker = join(sub, 'not-a-dir');
      writeFileSync(blocker, 'a file where a directory should be');
      return join(blocker, 'cp');
    }],
    ['it is a directory', (sub: string) => {
      const d = join(sub, 'cp-dir');
      mkdirSync(d);
      return d;
    }],
    // Found here (issue 14): Node's recursive mkdir never settles on procfs, so the
    // agent printed nothing, spun a core and ignored SIGTERM.
    ['its directory can never be created (procfs)', () => '/proc/kinesis-agent/cp'],
    ['its directory can never be created (sysfs)', () => '/sys/kinesis-agent/state/cp'],
  ] as const) {
    it(`stops at start with one line naming checkpointFile and exit code 2 when ${what}`, async () => {
      const { stream, sub } = suite.newCase(2);
      const path = place(sub);
      const config = writeConfig(sub, [{ filePattern: join(sub, '*.log'), stream }], [], path);
      const r = await runCli(['-c', config]);
      expect(r.stderr.trim().split('\n').length, r.stderr + r.stdout).toBe(1);
      expect(r.stderr).toContain('checkpointFile');
      expect(r.stderr).toContain(path);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.code).toBe(2);
    });
  }

  // Found here (the hint named the Kinesis Agent's /var/run default); fixed in edc09e7.
  it("never names the Kinesis Agent's /var/run default in its hint", async () => {
    const { stream, sub } = suite.newCase(2);
    const config = writeConfig(sub, [{ filePattern: join(sub, '*.log'), stream }], [], sub);
    const r = await runCli(['-c', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('/var/run/aws-kinesis-agent');
  });
});

describe.skipIf(!isRoot)('a checkpoint directory the agent may not create (as nobody)', () => {
  // Found here (the directory was made only in open(), so after an EACCES at
  // start no checkpoint was ever written); fixed in a4ee65a.
  it('ships meanwhile, says so once, and writes checkpoints once it is allowed to', async () => {
    const { stream, sub } = suite.newCase(2);
    chmodSync(suite.dir, 0o755);
    chmodSync(sub, 0o755);
    const parent = join(sub, 'var-lib');
    mkdirSync(parent, { mode: 0o755 });
    const cp = join(parent, 'kinesis-agent', 'cp');
    const log = join(sub, 'app.log');
    writeFileSync(log, numbered('perm', 0, 100), { mode: 0o644 });
    const config = writeConfig(sub, [{ filePattern: log, stream }], [], cp);
    chmodSync(config, 0o644);
    const agent = startAgentVia(DROP_TO_NOBODY, config);
    suite.track(agent);
    await until(() => accepted(stream).length >= 100, 'shipping without a checkpoint directory', 30_000, agentOutput(agent));
    const warnings = agent.logLines().filter((l) => l.level === 'warn' && JSON.stringify(l).includes(cp));
    // The failed mkdir, then the first failed write: no more however long it lasts.
    expect(warnings.length, agentOutput(agent)()).toBeLessThanOrEqual(2);
    chownSync(parent, NOBODY.uid, NOBODY.gid);
    appendFileSync(log, numbered('perm', 100, 110));
    // A stop drains what was read, not what is still in the file: wait for the new lines, then for their checkpoint.
    await until(() => accepted(stream).length >= 110, 'the lines appended once allowed', 30_000, agentOutput(agent));
    await until(() => checkpointAtEndOf(cp, log), 'a checkpoint at the end of the file once allowed', 30_000, agentOutput(agent));
    expect((await agent.stop()).code).toBe(0);
    expectExactlyOnce(accepted(stream), splitLines(numbered('perm', 0, 110)));
  });
});

describe.skipIf(!isRoot)('a full disk under the checkpoint directory (tmpfs, as root)', () => {
  let mnt = '';
  afterAll(() => {
    if (mnt) execFileSync('umount', ['-l', mnt]);
  });

  it('keeps shipping, logs the write failure once and lists it on /status, and writes checkpoints again once space is freed', async (ctx) => {
    const { stream, sub } = suite.newCase(2);
    mnt = join(sub, 'state');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (err) {
      mnt = '';
      ctx.skip(`cannot mount a tmpfs here: ${String(err)}`);
      return;
    }
    const filler = join(mnt, 'filler');
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4096', 'count=100'], { stdio: 'pipe' });
    } catch {
      /* ENOSPC: the disk is full, as wanted */
    }
    const log = join(sub, 'app.log');
    writeFileSync(log, numbered('full', 0, 200));
    const port = await freePort();
    const config = writeConfig(sub, [{ filePattern: log, stream }], [`http.listen: 127.0.0.1:${port}`]);
    const agent = start(config);
    await until(() => accepted(stream).length >= 200, 'shipping with a full disk', 30_000, agentOutput(agent));
    const diskFull = async () =>
      ((await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { problems: Array<{ scope: string; key: string; state: string }> }).problems.some(
        (p) => p.scope === 'checkpoint' && p.key === 'write' && p.state === 'ENOSPC',
      );
    await until(diskFull, 'ENOSPC on /status', 30_000, agentOutput(agent));
    appendFileSync(log, numbered('full', 200, 400));
    await until(() => accepted(stream).length >= 400, 'shipping on', 30_000, agentOutput(agent));
    await sleep(500);
    const failures = agent.logLines().filter(hasMsg('cannot write the checkpoint file'));
    expect(failures.length, agentOutput(agent)()).toBe(1);
    expect(failures[0]).toMatchObject({ code: 'ENOSPC' });

    rmSync(filler);
    await agent.waitForLog(hasMsg('checkpoint file written again'));
    expect(await diskFull()).toBe(false);
    appendFileSync(log, numbered('full', 400, 450));
    const cp = join(mnt, 'cp');
    await until(() => checkpointAtEndOf(cp, log), 'a checkpoint at the end of the file', 30_000, agentOutput(agent));
    expect((await agent.stop()).code).toBe(0);
    expectExactlyOnce(accepted(stream), splitLines(numbered('full', 0, 450)));
  });
});

describe('/status problems: each condition appears while it lasts and goes when it clears', () => {
  interface Problem {
    scope: string;
    key: string;
    state: string;
    message: string;
  }
  const problemsAt = async (url: string): Promise<Problem[]> => ((await (await fetch(`${url}/status`)).json()) as { problems: Problem[] }).problems;
  const healthAt = async (url: string): Promise<number> => (await fetch(`${url}/healthz`)).status;

  async function startWithStatus(sub: string, flows: FlowSpec[], via?: string[], checkpointFile?: string) {
    const port = await freePort();
    const config = writeConfig(sub, flows, [`http.listen: 127.0.0.1:${port}`], checkpointFile);
    chmodSync(config, 0o644);
    const agent = via ? suite.track(startAgentVia(via, config)) : start(config);
    const url = `http://127.0.0.1:${port}`;
    await until(async () => (await fetch(`${url}/status`).catch(() => undefined))?.status === 200, 'the status server', 30_000, agentOutput(agent));
    const expectProblem = (what: string, match: (p: Problem) => boolean) =>
      until(async () => (await problemsAt(url)).some(match), `${what} on /status`, 30_000, agentOutput(agent));
    const expectCleared = (what: string, match: (p: Problem) => boolean) =>
      until(async () => !(await problemsAt(url)).some(match), `${what} gone from /status`, 30_000, agentOutput(agent));
    return { agent, url, config, expectProblem, expectCleared };
  }

  it('a missing stream and access denied (the destination), and a failed reload (the agent)', async () => {
    const { stream, sub } = suite.newCase(1);
    const log = join(sub, 'app.log');
    writeFileSync(log, numbered('p', 0, 10));
    const { agent, url, config, expectProblem, expectCleared } = await startWithStatus(sub, [{ filePattern: log, stream }]);
    await until(() => accepted(stream).length >= 10, 'the first lines', 30_000, agentOutput(agent));
    expect(await problemsAt(url)).toEqual([]);

    const delivery = (state: string) => (p: Problem) => p.key === 'delivery' && p.state === state && p.scope.startsWith('flow ');
    for (const [type, state] of [
      ['ResourceNotFoundException', 'DESTINATION_NOT_FOUND'],
      ['AccessDeniedException', 'DESTINATION_ACCESS_DENIED'],
    ] as const) {
      suite.server.setFaults({ kind: 'userError', type, operations: ['PutRecords'] });
      const before = accepted(stream).length;
      appendFileSync(log, numbered(type, 0, 5));
      await expectProblem(state, delivery(state));
      suite.server.clearFaults();
      await expectCleared(state, delivery(state));
      await until(() => accepted(stream).length >= before + 5, 'delivery after the fault', 30_000, agentOutput(agent));
    }

    const reload = (p: Problem) => p.scope === 'agent' && p.key === 'reload';
    const good = readFileSync(config, 'utf8');
    writeFileSync(config, `${good}  - filePattern: [\n`);
    agent.child.kill('SIGHUP');
    await expectProblem('a failed reload', reload);
    expect(await healthAt(url)).toBe(200);
    writeFileSync(config, good);
    agent.child.kill('SIGHUP');
    await expectCleared('the failed reload', reload);
    expect((await agent.stop()).code).toBe(0);
  });

  it.skipIf(!isRoot)('an unreadable file (as nobody)', async () => {
    const { stream, sub } = suite.newCase(1);
    chmodSync(suite.dir, 0o755);
    chmodSync(sub, 0o777);
    const readable = join(sub, 'a.log');
    const secret = join(sub, 'b.log');
    writeFileSync(readable, numbered('a', 0, 5), { mode: 0o644 });
    writeFileSync(secret, numbered('b', 0, 5));
    chmodSync(secret, 0o600);
    const { agent, url, expectProblem, expectCleared } = await startWithStatus(
      sub,
      [{ filePattern: join(sub, '*.log'), stream, extra: ['maxTimeBetweenFileTrackerRefreshMillis: 500'] }],
      DROP_TO_NOBODY,
      join(sub, 'state', 'cp'),
    );
    const unreadable = (p: Problem) => p.key.includes(secret) && p.state === 'EACCES';
    await expectProblem('an unreadable file', unreadable);
    chmodSync(secret, 0o644);
    await expectCleared('the unreadable file', unreadable);
    await until(() => tally(accepted(stream), splitLines(numbered('a', 0, 5) + numbered('b', 0, 5))).missing === 0, 'both files', 30_000, agentOutput(agent));
    expect(await problemsAt(url)).toEqual([]);
    expect((await agent.stop()).code).toBe(0);
  });
});
