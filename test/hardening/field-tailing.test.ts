/**
 * Tailing as production hosts do it (issue #14), through the real CLI and
 * real logrotate, against the protocol server: files created where tailed
 * files were, files created while the agent was stopped, files that begin
 * like other files, and multi-line start and footer patterns as the Kinesis
 * Agent reads them. Each kind has the example and one other member.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.ts';
import { freePort } from '../support/free-port.ts';
import { agentOutput, agentYaml, countBy, hasMsg, logrotate, numbered, sleep, splitLines, until, useProtocolServer, type FlowSpec } from './support.ts';

const suite = useProtocolServer('field', { dirMode: 0o755 });


function accepted(stream: string) {
  return suite.server.streams.get(stream)!.entries;
}
const texts = (stream: string) => accepted(stream).map((e) => e.data.toString());

function start(sub: string, flows: FlowSpec[], top: string[] = [], env: NodeJS.ProcessEnv = {}): AgentProcess {
  const config = join(sub, 'agent.yaml');
  writeFileSync(config, agentYaml({ endpoint: suite.server.endpoint, checkpointFile: join(sub, 'state', 'cp'), flows, top }));
  return suite.track(AgentProcess.start(config, env));
}

/** How long the agent held copy candidates, from its "not a copy" log lines (ms). */
function heldMs(agent: AgentProcess): number[] {
  return agent
    .logLines()
    .filter(hasMsg('not a copy'))
    .map((l) => Number(l.heldMs));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Every expected line arrived as often as expected (a line written to two files twice), nothing else. */
function expectCounts(stream: string, expected: string[], context = ''): void {
  const want = new Map<string, number>();
  for (const l of expected) want.set(l, (want.get(l) ?? 0) + 1);
  const got = countBy(accepted(stream));
  const wrong = [...new Set([...want.keys(), ...got.keys()])]
    .filter((l) => want.get(l) !== got.get(l))
    .slice(0, 5)
    .map((l) => `${JSON.stringify(l)}: want ${want.get(l) ?? 0}, got ${got.get(l) ?? 0}`);
  expect({ wrong, total: accepted(stream).length }, context).toEqual({ wrong: [], total: expected.length });
}

/** Waits for every expected line, stops the agent cleanly and checks the counts. */
async function expectAllOnce(agent: AgentProcess, stream: string, expected: string[], timeoutMs: number): Promise<void> {
  await until(() => accepted(stream).length >= expected.length, 'every line', timeoutMs, agentOutput(agent));
  // Anything sent twice would arrive by now.
  await sleep(500);
  expect((await agent.stop()).code, agent.stderr).toBe(0);
  expectCounts(stream, expected);
}

/** Runs logrotate once with its own state file (forced, as cron's daily run would). */
function rotate(conf: string, state: string): void {
  execFileSync('logrotate', ['-f', '-s', state, conf], { stdio: 'pipe' });
}

function logrotateConf(sub: string, body: string): { conf: string; state: string } {
  const conf = join(sub, 'logrotate.conf');
  writeFileSync(conf, body, { mode: 0o644 });
  return { conf, state: join(sub, 'logrotate.state') };
}

describe.skipIf(!logrotate)('a new file at a path already tailed is opened at once (events coalesced, for the directory, or none)', () => {
  it('exact-name pattern, logrotate create, 10 rotations 350 ms apart under writes: 30,300 of 30,300 lines once', async () => {
    const { stream, sub } = suite.newCase();
    const logs = join(sub, 'logs');
    mkdirSync(logs);
    const log = join(logs, 'app.log');
    writeFileSync(log, '');
    const { conf, state } = logrotateConf(sub, `${log} {\n  rotate 1000\n  create\n  missingok\n}\n`);
    // The default rescan (10 s) is far longer than the whole run: only
    // prompt detection can find the middle files.
    const agent = start(sub, [{ filePattern: log, stream, extra: [] }]);
    await agent.waitForLog(hasMsg('agent started'));
    const expected: string[] = [];
    let n = 0;
    const write = async (lines: number) => {
      for (let done = 0; done < lines; done += 100) {
        const text = numbered('app', n, n + 100);
        n += 100;
        expected.push(...splitLines(text));
        appendFileSync(log, text);
        await sleep(10);
      }
    };
    for (let i = 0; i < 10; i++) {
      await write(3000);
      rotate(conf, state);
    }
    await write(300);
    expect(expected.length).toBe(30_300);
    await expectAllOnce(agent, stream, expected, 60_000);
  });

  it('logrotate olddir with a writer that reopens 1 s after each rotation (postrotate), pattern json_log*: 3,250 of 3,250 once', async () => {
    const { stream, sub } = suite.newCase();
    const logs = join(sub, 'logs');
    mkdirSync(join(logs, 'archive'), { recursive: true });
    const log = join(logs, 'json_log');
    const flag = join(sub, 'reopen');
    writeFileSync(log, '');
    const { conf, state } = logrotateConf(
      sub,
      `${log} {\n  rotate 10\n  olddir archive\n  create\n  missingok\n  postrotate\n    touch ${flag}\n  endscript\n}\n`,
    );
    const agent = start(sub, [{ filePattern: join(logs, 'json_log*'), stream, extra: [] }]);
    await agent.waitForLog(hasMsg('agent started'));
    // An application holding its log open, reopening it when told to.
    let fd = openSync(log, 'a');
    const expected: string[] = [];
    let n = 0;
    const write = async (lines: number, ms: number) => {
      const batch = 50;
      for (let done = 0; done < lines; done += batch) {
        const text = numbered('json', n, n + batch);
        n += batch;
        expected.push(...splitLines(text));
        writeSync(fd, text);
        await sleep(ms / (lines / batch));
      }
    };
    await write(250, 200);
    for (let i = 0; i < 3; i++) {
      rotate(conf, state);
      expect(existsSync(flag)).toBe(true);
      rmSync(flag);
      // Told to reopen, it goes on writing to the moved file for a second.
      await write(500, 1000);
      closeSync(fd);
      fd = openSync(log, 'a');
      await write(500, 1000);
    }
    closeSync(fd);
    expect(expected.length).toBe(3250);
    await expectAllOnce(agent, stream, expected, 30_000);
  });

  it('a symlink swapped to a new file (no rescan for a minute) is followed within seconds, each file read whole once', async () => {
    const { stream, sub } = suite.newCase();
    const link = join(sub, 'current.log');
    const target = (i: number) => join(sub, `v${i}.data`);
    writeFileSync(target(0), '');
    symlinkSync(target(0), link);
    const port = await freePort();
    const agent = start(sub, [{ filePattern: link, stream, extra: ['maxTimeBetweenFileTrackerRefreshMillis: 60000'] }], [`http.listen: "127.0.0.1:${port}"`]);
    await agent.waitForLog(hasMsg('agent started'));
    const expected: string[] = [];
    const openedAfter: number[] = [];
    for (let i = 0; i < 4; i++) {
      if (i > 0) {
        writeFileSync(target(i), '');
        const ino = String(statSync(target(i)).ino);
        // Swapped atomically, as deployment tools do (ln -sfn through a rename).
        symlinkSync(target(i), `${link}.tmp`);
        const swappedAt = performance.now();
        renameSync(`${link}.tmp`, link);
        await until(async () => (await tailedInodes(port)).includes(ino), `v${i} opened`, 20_000, agentOutput(agent));
        openedAfter.push(Math.round(performance.now() - swappedAt));
      }
      const text = numbered(`v${i}`, 0, 200);
      expected.push(...splitLines(text));
      appendFileSync(target(i), text);
      await sleep(100);
    }
    await until(() => accepted(stream).length >= expected.length, 'every line', 10_000, agentOutput(agent));
    await sleep(300);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectCounts(stream, expected);
    console.log(`symlink swap: new target opened after ${openedAfter.join(', ')} ms (rescan every 60 s)`);
  });

  // The figure docs/tailing.md quotes: from a rename and create at a tailed
  // path to the new file being tailed (on /status), with events and without.
  for (const mode of ['events', 'poll'] as const) {
    it(`opens a file created where a tailed file was renamed from, 15 times, well before any rescan (${mode})`, async () => {
      const { stream, sub } = suite.newCase();
      const log = join(sub, 'app.log');
      writeFileSync(log, 'first\n');
      const port = await freePort();
      const agent = start(sub, [{ filePattern: log, stream, extra: ['maxTimeBetweenFileTrackerRefreshMillis: 60000'] }], [`http.listen: "127.0.0.1:${port}"`], mode === 'poll' ? { KINESIS_AGENT_WATCH: 'poll' } : {});
      await agent.waitForLog(hasMsg('agent started'));
      const expected = ['first\n'];
      const openedAfter: number[] = [];
      for (let i = 0; i < 15; i++) {
        renameSync(log, join(sub, `app.old.${i}`));
        const line = `generation ${i}\n`;
        writeFileSync(log, line);
        expected.push(line);
        const createdAt = performance.now();
        const ino = String(statSync(log).ino);
        await until(async () => (await tailedInodes(port)).includes(ino), `generation ${i} opened`, 20_000, agentOutput(agent));
        openedAfter.push(Math.round(performance.now() - createdAt));
        await sleep(50 + Math.random() * 200);
      }
      await until(() => accepted(stream).length >= expected.length, 'every line', 15_000, agentOutput(agent));
      expect((await agent.stop()).code, agent.stderr).toBe(0);
      expectCounts(stream, expected);
      console.log(`${mode}: rename+create opened after median ${median(openedAfter)} ms, max ${Math.max(...openedAfter)} ms (${openedAfter.join(' ')})`);
    });
  }
});

/** The inodes the agent tails now, from /status. */
async function tailedInodes(port: number): Promise<string[]> {
  try {
    const body = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { flows: { files: { identity: { ino: string } }[] }[] };
    return body.flows.flatMap((f) => f.files.map((x) => x.identity.ino));
  } catch {
    return [];
  }
}

describe('files that appeared while the agent was stopped are read from their start (the flow has run)', () => {
  it('events-17.json shipping; stopped; 20 lines appended and events-18.json created with 25: all 45 once', async () => {
    const { stream, sub } = suite.newCase();
    const f17 = join(sub, 'events-17.json');
    const f18 = join(sub, 'events-18.json');
    writeFileSync(f17, numbered('{"old":', 0, 5));
    const flows = [{ filePattern: join(sub, 'events-*.json'), stream, extra: ['initialPosition: END_OF_FILE'] }];
    let agent = start(sub, flows);
    await agent.waitForLog(hasMsg('agent started'));
    await sleep(300);
    appendFileSync(f17, numbered('e17', 0, 10));
    await until(() => accepted(stream).length >= 10, 'the first 10 lines', 15_000, agentOutput(agent));
    expect((await agent.stop()).code, agent.stderr).toBe(0);

    appendFileSync(f17, numbered('e17', 10, 30));
    writeFileSync(f18, numbered('e18', 0, 25));
    agent = start(sub, flows);
    const expected = [...splitLines(numbered('e17', 0, 30)), ...splitLines(numbered('e18', 0, 25))];
    // The 5 lines there before the flow's first run stay skipped (END_OF_FILE).
    await expectAllOnce(agent, stream, expected, 15_000);
  });

  it.skipIf(!logrotate)('logrotate create while stopped (pattern app.log*): the rest of the rotated file and the whole new file, once', async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    writeFileSync(log, numbered('before-first-run', 0, 3));
    const { conf, state } = logrotateConf(sub, `${log} {\n  rotate 5\n  create\n  missingok\n}\n`);
    const flows = [{ filePattern: `${log}*`, stream, extra: ['initialPosition: END_OF_FILE'] }];
    let agent = start(sub, flows);
    await agent.waitForLog(hasMsg('agent started'));
    await sleep(300);
    appendFileSync(log, numbered('g1', 0, 50));
    await until(() => accepted(stream).length >= 50, 'the first 50 lines', 15_000, agentOutput(agent));
    expect((await agent.stop()).code, agent.stderr).toBe(0);

    appendFileSync(log, numbered('g1', 50, 80));
    rotate(conf, state);
    appendFileSync(log, numbered('g2', 0, 40));
    agent = start(sub, flows);
    const expected = [...splitLines(numbered('g1', 0, 80)), ...splitLines(numbered('g2', 0, 40))];
    await expectAllOnce(agent, stream, expected, 15_000);
  });
});

describe('a new file that begins like another live file is held only briefly, then read', () => {
  it.skipIf(!logrotate)('kern.log and ufw.log rotated together, one firewall line to both: all 7 lines within 15 s', async () => {
    const { stream, sub } = suite.newCase();
    const kern = join(sub, 'kern.log');
    const ufw = join(sub, 'ufw.log');
    writeFileSync(kern, '');
    writeFileSync(ufw, '');
    const { conf, state } = logrotateConf(sub, `${kern} ${ufw} {\n  rotate 5\n  create\n  missingok\n  sharedscripts\n}\n`);
    const agent = start(sub, [{ filePattern: join(sub, '*.log'), stream, extra: [] }]);
    await agent.waitForLog(hasMsg('agent started'));
    const k1 = 'Nov 30 10:00:01 host kernel: [  1.0] eth0: link up\n';
    const k2 = 'Nov 30 10:00:02 host kernel: [  2.0] usb 1-1: new device\n';
    const u1 = 'Nov 30 10:00:03 host kernel: [UFW BLOCK] IN=eth0 SRC=10.0.0.1\n';
    appendFileSync(kern, k1 + k2);
    appendFileSync(ufw, u1);
    await until(() => accepted(stream).length >= 3, 'the lines before rotation', 15_000, agentOutput(agent));
    rotate(conf, state);
    const fw = 'Nov 30 10:05:00 host kernel: [UFW BLOCK] IN=eth0 SRC=203.0.113.9 DST=10.0.0.2\n';
    const k3 = 'Nov 30 10:05:01 host kernel: [ 301.0] eth0: link down\n';
    const k4 = 'Nov 30 10:05:02 host kernel: [ 302.0] eth0: link up\n';
    const wroteAt = performance.now();
    appendFileSync(kern, fw);
    appendFileSync(ufw, fw);
    appendFileSync(kern, k3 + k4);
    const expected = [k1, k2, u1, fw, fw, k3, k4];
    await until(() => accepted(stream).length >= expected.length, 'all 7 lines', 15_000, agentOutput(agent));
    console.log(`look-alike kern.log/ufw.log: all 7 lines at the destination ${Math.round(performance.now() - wroteAt)} ms after the write; held ${heldMs(agent).join(', ')} ms`);
    await sleep(500);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectCounts(stream, expected);
  });

  it('rsyslog fan-out: two new files written with the same lines side by side are both read whole (bounded hold)', async () => {
    const { stream, sub } = suite.newCase();
    const a = join(sub, 'all.log');
    const b = join(sub, 'auth.log');
    const agent = start(sub, [{ filePattern: join(sub, '*.log'), stream, extra: [] }]);
    await agent.waitForLog(hasMsg('agent started'));
    const expected: string[] = [];
    const startedAt = performance.now();
    // Both files grow alike for 12 s: neither grows apart nor goes quiet,
    // so only the bound on the hold (10 s) lets them be read.
    for (let i = 0; i < 60; i++) {
      const text = numbered('sshd[42]: Accepted publickey for deploy', i * 2, i * 2 + 2);
      appendFileSync(a, text);
      appendFileSync(b, text);
      expected.push(...splitLines(text), ...splitLines(text));
      await sleep(200);
    }
    await until(() => accepted(stream).length >= expected.length, 'both files whole', 30_000, agentOutput(agent));
    console.log(`fan-out: both files whole at the destination ${Math.round(performance.now() - startedAt)} ms after the first write; held ${heldMs(agent).join(', ')} ms`);
    await sleep(500);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectCounts(stream, expected);
  });
});

describe('multiLineStartPattern and fileFooterPattern as the Kinesis Agent reads them', () => {
  /** Ships `text` with the flow keys in `extra` and expects exactly `records` at the destination. */
  async function expectRecords(text: string, extra: string[], records: string[]): Promise<void> {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    writeFileSync(log, text);
    const agent = start(sub, [{ filePattern: log, stream, extra }]);
    await until(() => accepted(stream).length >= records.length, `${records.length} records`, 15_000, agentOutput(agent));
    // Longer than multiLineFlushMillis: a record split wrongly would show by now.
    await sleep(1500);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expect(texts(stream)).toEqual(records);
  }

  it('multiLineStartPattern "ProjectName:ComponentName" matched at the line start only: 3 records, not 4', async () => {
    const records = [
      'ProjectName:ComponentName 2024-01-01 ERROR request failed\n' +
        'java.lang.IllegalStateException: handler for ProjectName:ComponentName is closed\n' +
        '\tat com.example.Handler.run(Handler.java:42)\n',
      'ProjectName:ComponentName 2024-01-01 INFO retrying\n',
      'ProjectName:ComponentName 2024-01-01 INFO done\n',
    ];
    await expectRecords(records.join(''), ['multiLineStartPattern: "ProjectName:ComponentName"'], records);
  });

  it('an alternation start pattern (INFO|ERROR) anchors every alternative: a stack line quoting ERROR stays in its record', async () => {
    const records = ['ERROR 1 failed\n  caused by: upstream said ERROR 503\n  INFO is not a start here\n', 'INFO 2 ok\n', 'ERROR 3 failed again\n'];
    await expectRecords(records.join(''), ['multiLineStartPattern: "INFO|ERROR"'], records);
  });

  it('fileFooterPattern END: SENDING is not a footer; a trimmed "  END " line is, and nothing after it is read', async () => {
    await expectRecords(
      'START batch 7\nSENDING 3 items\nEND OF LINE is a record too\n  END \r\nafter the footer\n',
      ['fileFooterPattern: "END"'],
      ['START batch 7\n', 'SENDING 3 items\n', 'END OF LINE is a record too\n'],
    );
  });
});
