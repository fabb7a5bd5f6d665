/**
 * Issue #14's kinds tried again with other members, through the real CLI,
 * real files and real logrotate, against the protocol server: a new file at
 * a tailed path (dateext, copy then delete, an application's own rotation
 * in a tight loop, a kubelet symlink chain, a directory created after
 * start), restarts (two rotations while stopped, SIGKILL in a rotation
 * burst), look-alikes (many files with one CSV header, copytruncate of a
 * large file) and multi-line start patterns (alternation, case-insensitive,
 * a pattern that matches the empty string).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.ts';
import { agentOutput, agentYaml, hasMsg, numbered, sleep, splitLines, tally, until, useProtocolServer, type FlowSpec } from './support.ts';

const suite = useProtocolServer('field-more', { dirMode: 0o755 });

let logrotate = true;
try {
  execFileSync('logrotate', ['--version'], { stdio: 'ignore' });
} catch {
  logrotate = false;
}
if (!logrotate && process.env.CI) throw new Error('logrotate is not installed: apt-get install -y logrotate');

const accepted = (stream: string) => suite.server.streams.get(stream)!.entries;

function start(sub: string, flows: FlowSpec[]): AgentProcess {
  const config = join(sub, 'agent.yaml');
  writeFileSync(config, agentYaml({ endpoint: suite.server.endpoint, checkpointFile: join(sub, 'state', 'cp'), flows }));
  return suite.track(AgentProcess.start(config));
}

/** An agent on `flows`, once it says it started (its watchers are set). */
async function started(sub: string, flows: FlowSpec[]): Promise<AgentProcess> {
  const agent = start(sub, flows);
  await agent.waitForLog(hasMsg('agent started'));
  return agent;
}

/** A numbered block appended to `file` and remembered in `expected`. */
function append(file: string, expected: string[], prefix: string, from: number, to: number): void {
  const text = numbered(prefix, from, to);
  expected.push(...splitLines(text));
  appendFileSync(file, text);
}

/** Waits for every expected line, lets duplicates show, stops the agent; returns the tally. */
async function settle(agent: AgentProcess, stream: string, expected: string[], timeoutMs = 60_000) {
  await until(() => tally(accepted(stream), expected).missing === 0, 'every line', timeoutMs, () => `${JSON.stringify(counts(stream, expected))}\n${agentOutput(agent)()}`);
  await sleep(1500);
  expect((await agent.stop()).code, agent.stderr).toBe(0);
  return counts(stream, expected);
}

function counts(stream: string, expected: string[]) {
  const { missing, duplicated, unexpected, total } = tally(accepted(stream), expected);
  return { missing, duplicated, unexpected, total };
}

const once = (n: number) => ({ missing: 0, duplicated: 0, unexpected: 0, total: n });

function rotate(conf: string, state: string): void {
  execFileSync('logrotate', ['-f', '-s', state, conf], { stdio: 'pipe' });
}

describe.skipIf(!logrotate)('a new file at a tailed path, other members', () => {
  it('logrotate create + dateext (exact-name pattern), 3 rotations under writes: every line once', async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    writeFileSync(log, '');
    const conf = join(sub, 'lr.conf');
    // dateformat with seconds so each forced run makes a new name.
    writeFileSync(conf, `${log} {\n  rotate 100\n  create\n  dateext\n  dateformat -%Y%m%d-%s\n  missingok\n}\n`, { mode: 0o644 });
    const agent = await started(sub, [{ filePattern: log, stream }]);
    const expected: string[] = [];
    for (let i = 0; i < 3; i++) {
      for (let b = 0; b < 10; b++) {
        append(log, expected, `d${i}`, b * 100, b * 100 + 100);
        await sleep(10);
      }
      rotate(conf, join(sub, 'lr.state'));
      await sleep(1100);
    }
    append(log, expected, 'tail', 0, 100);
    expect(await settle(agent, stream, expected)).toEqual(once(expected.length));
  });

  it('logrotate copy (not copytruncate) then the copy deleted by hand, writer continues: every line once', async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    writeFileSync(log, '');
    const agent = await started(sub, [{ filePattern: join(sub, 'app.log*'), stream }]);
    const expected: string[] = [];
    for (let i = 0; i < 5; i++) {
      append(log, expected, `c${i}`, 0, 500);
      copyFileSync(log, `${log}.1`);
      await sleep(200);
      rmSync(`${log}.1`);
      // The original is not truncated: the agent must read on from where it was.
      await sleep(300);
    }
    expect(await settle(agent, stream, expected)).toEqual(once(expected.length));
  });

  // Rotated names that match (app.*): even a generation that lives 30 ms
  // is found, at its new name if not at its old one.
  it("an application's own rotation (rename + create at once), 20 times 30 ms apart, pattern app.*: every line once", async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    writeFileSync(log, '');
    const agent = await started(sub, [{ filePattern: join(sub, 'app.*'), stream, extra: ['maxTimeBetweenFileTrackerRefreshMillis: 60000'] }]);
    const expected: string[] = [];
    for (let i = 0; i < 20; i++) {
      append(log, expected, `g${i}`, 0, 200);
      renameSync(log, join(sub, `app.${i}.old`));
      writeFileSync(log, '');
      await sleep(30);
    }
    append(log, expected, 'last', 0, 200);
    expect(await settle(agent, stream, expected, 40_000)).toEqual(once(expected.length));
  }, 90_000);

  // An exact-name pattern: each generation must be opened while it is at
  // the tailed path; written to for 600 ms, as an application rotating by
  // size under load would.
  it("an application's own rotation (rename + create at once), 20 times 600 ms apart under writes, exact-name pattern: every line once", async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    writeFileSync(log, '');
    const agent = await started(sub, [{ filePattern: log, stream, extra: ['maxTimeBetweenFileTrackerRefreshMillis: 60000'] }]);
    const expected: string[] = [];
    for (let i = 0; i < 20; i++) {
      for (let b = 0; b < 6; b++) {
        append(log, expected, `g${i}`, b * 50, b * 50 + 50);
        await sleep(100);
      }
      renameSync(log, join(sub, `app.${i}.old`));
      writeFileSync(log, '');
    }
    append(log, expected, 'last', 0, 200);
    expect(await settle(agent, stream, expected, 40_000)).toEqual(once(expected.length));
  }, 120_000);

  it('kubelet symlink chain: containers/x.log -> pods/.../0.log, 0.log rotated to 0.log.<ts> and a new 0.log, 5 times: every line once', async () => {
    const { stream, sub } = suite.newCase();
    const pods = join(sub, 'pods', 'ns_pod_uid', 'app');
    const containers = join(sub, 'containers');
    mkdirSync(pods, { recursive: true });
    mkdirSync(containers);
    const target = join(pods, '0.log');
    writeFileSync(target, '');
    symlinkSync(target, join(containers, 'pod_ns_app-abc.log'));
    const agent = await started(sub, [{ filePattern: join(containers, '*.log'), stream, extra: ['maxTimeBetweenFileTrackerRefreshMillis: 60000'] }]);
    const expected: string[] = [];
    for (let i = 0; i < 5; i++) {
      for (let b = 0; b < 5; b++) {
        append(target, expected, `k${i}`, b * 100, b * 100 + 100);
        await sleep(20);
      }
      renameSync(target, `${target}.2026113013${String(i).padStart(4, '0')}`);
      writeFileSync(target, '');
      await sleep(300);
    }
    append(target, expected, 'klast', 0, 100);
    expect(await settle(agent, stream, expected)).toEqual(once(expected.length));
  });

  it('a directory created after start that matches the pattern (no rescan for a minute): its files read whole', async () => {
    const { stream, sub } = suite.newCase();
    const base = join(sub, 'apps');
    mkdirSync(base);
    const agent = await started(sub, [{ filePattern: join(base, '*', 'app.log'), stream, extra: ['maxTimeBetweenFileTrackerRefreshMillis: 60000'] }]);
    const expected: string[] = [];
    for (let i = 0; i < 3; i++) {
      const dir = join(base, `svc${i}`);
      mkdirSync(dir);
      append(join(dir, 'app.log'), expected, `s${i}`, 0, 100);
      await sleep(200);
      append(join(dir, 'app.log'), expected, `s${i}b`, 0, 100);
    }
    expect(await settle(agent, stream, expected, 30_000)).toEqual(once(expected.length));
  });
});

describe.skipIf(!logrotate)('restarts in the middle of rotations', () => {
  it('stopped, rotated twice (create, app.log*), started: every line once', async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    writeFileSync(log, '');
    const conf = join(sub, 'lr.conf');
    writeFileSync(conf, `${log} {\n  rotate 100\n  create\n  missingok\n}\n`, { mode: 0o644 });
    const flows = [{ filePattern: join(sub, 'app.log*'), stream }];
    let agent = await started(sub, flows);
    const expected: string[] = [];
    append(log, expected, 'a', 0, 300);
    await until(() => accepted(stream).length >= 300, 'first lines', 30_000, agentOutput(agent));
    expect((await agent.stop()).code).toBe(0);
    append(log, expected, 'b', 0, 50);
    rotate(conf, join(sub, 'lr.state'));
    append(log, expected, 'c', 0, 50);
    rotate(conf, join(sub, 'lr.state'));
    append(log, expected, 'd', 0, 50);
    agent = start(sub, flows);
    expect(await settle(agent, stream, expected)).toEqual(once(expected.length));
  });

  it('stopped, rotated twice out of an exact-name pattern by rename + create, started: the new file read from its start', async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    writeFileSync(log, '');
    const flows = [{ filePattern: log, stream }];
    let agent = await started(sub, flows);
    const expected: string[] = [];
    append(log, expected, 'a', 0, 300);
    await until(() => accepted(stream).length >= 300, 'first lines', 30_000, agentOutput(agent));
    expect((await agent.stop()).code).toBe(0);
    renameSync(log, `${log}.1`);
    writeFileSync(log, '');
    renameSync(log, `${log}.2`);
    writeFileSync(log, '');
    append(log, expected, 'd', 0, 50);
    agent = start(sub, flows);
    expect(await settle(agent, stream, expected)).toEqual(once(expected.length));
  });

  it('SIGKILL in the middle of a rotation burst (app.log*), restarted: no line lost, duplicates only of the unacked tail', async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    writeFileSync(log, '');
    const flows = [{ filePattern: join(sub, 'app.log*'), stream }];
    let agent = await started(sub, flows);
    const expected: string[] = [];
    for (let i = 0; i < 10; i++) {
      append(log, expected, `r${i}`, 0, 500);
      renameSync(log, `${log}.${i}`);
      writeFileSync(log, '');
      if (i === 5) await agent.stop('SIGKILL');
      await sleep(30);
    }
    append(log, expected, 'after', 0, 100);
    agent = start(sub, flows);
    const c = await settle(agent, stream, expected);
    expect({ missing: c.missing, unexpected: c.unexpected }).toEqual({ missing: 0, unexpected: 0 });
    console.log(`SIGKILL in a rotation burst: ${c.total} records for ${expected.length} lines, ${c.duplicated} lines sent twice`);
  });
});

describe.skipIf(!logrotate)('look-alike files', () => {
  it('20 files created at once, all beginning with the same CSV header: every line once', async () => {
    const { stream, sub } = suite.newCase();
    const dir = join(sub, 'csv');
    mkdirSync(dir);
    const agent = await started(sub, [{ filePattern: join(dir, '*.csv'), stream }]);
    const expected: string[] = [];
    const header = 'timestamp,host,level,message\n';
    for (let i = 0; i < 20; i++) {
      const body = numbered(`f${i},row`, 0, 50);
      writeFileSync(join(dir, `part-${i}.csv`), header + body);
      expected.push(header, ...splitLines(body));
    }
    const c = await settle(agent, stream, expected, 60_000);
    // The header is written 20 times: 1 distinct line sent 20 times, nothing more.
    const headers = accepted(stream).filter((e) => e.data.toString() === header).length;
    expect({ ...c, headers }).toEqual({ missing: 0, duplicated: 1, unexpected: 0, total: expected.length, headers: 20 });
  });

  // b.csv is found holding only the header, so it is held as a possible
  // copy of a.csv; a.csv is then rewritten in place and b.csv grows apart in
  // the same moment. b.csv must be read from its start, not as a.csv's copy.
  it('a new CSV holding only the shared header while the other is rewritten in place: the new one read whole', async () => {
    const { stream, sub } = suite.newCase();
    const a = join(sub, 'a.csv');
    const b = join(sub, 'b.csv');
    const header = 'timestamp,host,level,message\n';
    writeFileSync(a, header);
    const expected: string[] = [header];
    append(a, expected, 'a,row', 0, 100);
    const agent = await started(sub, [{ filePattern: join(sub, '*.csv'), stream }]);
    await until(() => accepted(stream).length >= 101, 'a read', 30_000, agentOutput(agent));
    writeFileSync(b, header);
    expected.push(header);
    await sleep(300);
    writeFileSync(a, header);
    expected.push(header);
    append(b, expected, 'b,row', 0, 100);
    append(a, expected, 'a2,row', 0, 10);
    // The header is in three places: one distinct line sent three times.
    expect(await settle(agent, stream, expected, 30_000)).toEqual({ missing: 0, duplicated: 1, unexpected: 0, total: expected.length });
  });

  it('real copytruncate of a large file (40 MB, rotated while the agent is still reading it), writer paused: zero duplicates, zero loss', async () => {
    // 8 shards: a shard takes 1 MB/s and 1,000 records/s.
    const { stream, sub } = suite.newCase(8);
    const log = join(sub, 'big.log');
    writeFileSync(log, '');
    const conf = join(sub, 'lr.conf');
    writeFileSync(conf, `${log} {\n  rotate 10\n  copytruncate\n  missingok\n}\n`, { mode: 0o644 });
    const agent = await started(sub, [{ filePattern: join(sub, 'big.log*'), stream, }]);
    const expected: string[] = [];
    const pad = 'x'.repeat(990);
    const parts: string[] = [];
    for (let i = 0; i < 40_000; i++) parts.push(`L ${String(i).padStart(7, '0')} ${pad}\n`);
    for (const l of parts) expected.push(l);
    appendFileSync(log, parts.join(''));
    rotate(conf, join(sub, 'lr.state'));
    append(log, expected, 'after', 0, 1000);
    const c = await settle(agent, stream, expected, 240_000);
    expect(c).toEqual(once(expected.length));
  }, 300_000);
});

describe('multi-line start patterns, other members', () => {
  async function records(text: string, extra: string[], want: number): Promise<string[]> {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    writeFileSync(log, text);
    const agent = start(sub, [{ filePattern: log, stream, extra }]);
    await until(() => accepted(stream).length >= want, `${want} records`, 20_000, agentOutput(agent));
    await sleep(1500);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    return accepted(stream).map((e) => e.data.toString());
  }

  it('"^a|b" anchors both alternatives: a continuation line containing b stays in its record', async () => {
    const recs = ['a 1 start\n  has b inside\n', 'b 2 start\n', 'a 3\n xb\n'];
    expect(await records(recs.join(''), ['multiLineStartPattern: "^a|b"'], 3)).toEqual(recs);
  });

  it('"(?i)error" matches ERROR and Error at the line start, not in the middle', async () => {
    const recs = ['ERROR one\n  trace error here\n', 'Error two\n', 'error three\n'];
    expect(await records(recs.join(''), ['multiLineStartPattern: "(?i)error"'], 3)).toEqual(recs);
  });

  it('a start pattern that matches the empty string ("x*"): every line is a record, nothing lost', async () => {
    const recs = ['one\n', 'two\n', '\n', 'three\n'];
    expect(await records(recs.join(''), ['multiLineStartPattern: "x*"'], 4)).toEqual(recs);
  });
});
