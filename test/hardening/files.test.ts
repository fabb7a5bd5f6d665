/**
 * Bad and awkward input files, shipped by the real CLI to the protocol
 * server: binary bytes, empty lines, a 10 MB line, 10,000 files, a file the
 * agent may not read, a file replaced over and over, a directory that goes
 * away and comes back.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, chownSync, copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.ts';
import { linesByCheckpoint } from '../support/checkpoints.ts';
import {
  agentYaml,
  DROP_TO_NOBODY,
  expectExactlyOnce,
  hasMsg,
  isRoot,
  NOBODY,
  numbered,
  sleep,
  splitLines,
  startAgentVia,
  tally,
  until,
  type FlowSpec,
  useProtocolServer,
  agentOutput,
} from './support.ts';

const suite = useProtocolServer('files', { dirMode: 0o755 });

function accepted(stream: string) {
  return suite.server.streams.get(stream)!.entries;
}

/** The files of a directory, by path. */
const inDir = (dir: string) => readdirSync(dir).map((name) => join(dir, name));

function run(sub: string, flows: FlowSpec[], top: string[] = [], via?: string[]): AgentProcess {
  const config = join(sub, 'agent.yaml');
  writeFileSync(config, agentYaml({ endpoint: suite.server.endpoint, checkpointFile: join(sub, 'state', 'cp'), flows, top }));
  const agent = via ? startAgentVia(via, config) : AgentProcess.start(config);
  suite.track(agent);
  return agent;
}

describe('bad input files', () => {
  it('ships random bytes with NUL and invalid UTF-8 unchanged: the records concatenate to the file (\\r\\n read as \\n)', async () => {
    const { stream, sub } = suite.newCase();
    const parts: Buffer[] = [];
    for (let i = 0; i < 400; i++) {
      const b = randomBytes(1 + Math.floor(Math.random() * 300));
      parts.push(b, Buffer.from(i % 7 === 0 ? '\r\n' : '\n'));
    }
    parts.push(Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0x0a]));
    const bytes = Buffer.concat(parts);
    const log = join(sub, 'bin.log');
    writeFileSync(log, bytes);
    // One call at a time keeps the destination's order the file's order.
    const agent = run(sub, [{ filePattern: log, stream, extra: ['maxInFlightRequests: 1'] }]);
    const expected = Buffer.from(bytes.toString('latin1').replaceAll('\r\n', '\n'), 'latin1');
    await until(() => Buffer.concat(accepted(stream).map((e) => e.data)).length >= expected.length, 'all bytes', 30_000, agentOutput(agent));
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    const got = Buffer.concat(accepted(stream).map((e) => e.data));
    expect(got.equals(expected)).toBe(true);
    expect(accepted(stream).every((e) => e.data.at(-1) === 0x0a)).toBe(true);
  });

  it('runs binary garbage through a processor chain without stopping: every line sent or skipped, the checkpoint at the end', async () => {
    const { stream, sub } = suite.newCase();
    const parts: Buffer[] = [];
    for (let i = 0; i < 300; i++) parts.push(randomBytes(1 + Math.floor(Math.random() * 200)), Buffer.from('\n'));
    parts.push(Buffer.from('127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326\n'));
    const bytes = Buffer.concat(parts);
    const log = join(sub, 'garbage.log');
    writeFileSync(log, bytes);
    const agent = run(sub, [
      {
        filePattern: log,
        stream,
        extra: [
          'dataProcessingOptions: [{optionName: SINGLELINE}, {optionName: LOGTOJSON, logFormat: COMMONAPACHELOG}, {optionName: ADDMETADATA, metadata: {origin: h1}}, {optionName: ADDBRACKETS}]',
        ],
      },
    ]);
    const cp = join(sub, 'state', 'cp');
    const committed = () => {
      try {
        return (JSON.parse(readFileSync(cp, 'utf8')) as { entries: { offset: number }[] }).entries[0]?.offset ?? 0;
      } catch {
        return 0;
      }
    };
    await until(() => committed() === bytes.length, 'the checkpoint at the end of the file', 30_000, agentOutput(agent));
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expect(accepted(stream).map((e) => e.data.toString()).filter((d) => d.includes('127.0.0.1') && d.includes('"origin":"h1"')).length, accepted(stream).map((e) => e.data.toString()).join('')).toBe(1);
    expect(agent.logLines().filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  });

  it('ships whole lines when the writer writes them in fragments split anywhere', async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'frag.log');
    writeFileSync(log, '');
    const agent = run(sub, [{ filePattern: log, stream, extra: ['minTimeBetweenFilePollsMillis: 5'] }]);
    await agent.waitForLog(hasMsg('agent started'));
    const text = Buffer.from(numbered('frag', 0, 500).replaceAll('\n', (m) => (Math.random() < 0.2 ? '\r\n' : m)));
    for (let at = 0; at < text.length; ) {
      const n = 1 + Math.floor(Math.random() * 40);
      appendFileSync(log, text.subarray(at, at + n));
      at += n;
      if (Math.random() < 0.3) await sleep(Math.floor(Math.random() * 15));
    }
    const lines = splitLines(numbered('frag', 0, 500));
    await until(() => accepted(stream).length >= lines.length, 'every line', 30_000, agentOutput(agent));
    await sleep(1200);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectExactlyOnce(accepted(stream), lines);
  });

  it('ships empty lines as records of one newline', async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'empty.log');
    const text = 'a\n\n\n\r\nb\n' + '\n'.repeat(200) + 'c\n';
    writeFileSync(log, text);
    const agent = run(sub, [{ filePattern: log, stream, extra: ['maxInFlightRequests: 1'] }]);
    const lines = splitLines(text.replaceAll('\r\n', '\n'));
    await until(() => accepted(stream).length >= lines.length, 'every line', 30_000, agentOutput(agent));
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expect(accepted(stream).map((e) => e.data.toString())).toEqual(lines);
  });

  for (const [kind, limit] of [
    // PutRecords' 1 MiB per record, less 256 bytes kept for the partition key.
    ['kinesis', 1024 * 1024 - 256],
    // PutRecordBatch's 1,000 KiB per record.
    ['firehose', 1000 * 1024],
  ] as const) {
    it(`cuts a 10 MB line to the ${kind} record limit ending in the terminator, and goes on with the next lines`, async () => {
      const { stream, sub } = suite.newCase();
      if (kind === 'firehose') suite.server.createDeliveryStream(stream);
      const log = join(sub, 'huge.log');
      const huge = Buffer.alloc(10 * 1024 * 1024, 'h');
      huge.write('start-of-huge-line', 0);
      const before = numbered('before', 0, 50);
      const after = numbered('after', 0, 50);
      writeFileSync(log, Buffer.concat([Buffer.from(before), huge, Buffer.from('\n'), Buffer.from(after)]));
      const agent = run(sub, [{ filePattern: log, stream, firehose: kind === 'firehose', extra: ['truncatedRecordTerminator: "<cut>\\n"'] }]);
      const records = () => (kind === 'firehose' ? suite.server.deliveryStreams.get(stream)! : accepted(stream));
      await until(() => records().length >= 101, 'every record', 60_000, agentOutput(agent));
      expect((await agent.stop()).code, agent.stderr).toBe(0);
      const big = records().filter((e) => e.data.length > 1000);
      expect(big.length).toBe(1);
      expect(big[0]!.data.length).toBe(limit);
      expect(big[0]!.data.subarray(0, 18).toString()).toBe('start-of-huge-line');
      expect(big[0]!.data.subarray(-6).toString()).toBe('<cut>\n');
      expectExactlyOnce(records().filter((e) => e.data.length <= 1000), splitLines(before + after));
    });
  }

  // Past the open-file cap (1024) idle files give their descriptor back, so every file gets its turn.
  it('ships every line of 10,000 tiny files under one pattern', async () => {
    const { stream, sub } = suite.newCase();
    const files = join(sub, 'many');
    mkdirSync(files);
    const expected: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const line = `file ${String(i).padStart(5, '0')}\n`;
      expected.push(line);
      writeFileSync(join(files, `f${i}.log`), line);
    }
    const agent = run(sub, [{ filePattern: join(files, '*.log'), stream, extra: ['maxBufferAgeMillis: 1000', 'maxTimeBetweenFileTrackerRefreshMillis: 1000'] }]);
    await until(() => accepted(stream).length >= expected.length, 'every file', 90_000, () => `${accepted(stream).length}/10000\n${agentOutput(agent)()}`);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectExactlyOnce(accepted(stream), expected);
  }, 120_000);

  it.skipIf(!isRoot)('logs a file it may not read once, ships the others, and reads it once permitted (run as nobody)', async () => {
    const { stream, sub } = suite.newCase();
    chmodSync(sub, 0o755);
    const logs = join(sub, 'logs');
    mkdirSync(logs, { mode: 0o755 });
    chmodSync(logs, 0o755);
    const state = join(sub, 'state');
    mkdirSync(state, { mode: 0o700 });
    chownSync(state, NOBODY.uid, NOBODY.gid);
    const secret = join(logs, 'secret.log');
    writeFileSync(secret, 'not for nobody\n', { mode: 0o600 });
    chmodSync(secret, 0o600);
    const open = join(logs, 'open.log');
    writeFileSync(open, numbered('open', 0, 100), { mode: 0o644 });
    const agent = run(sub, [{ filePattern: join(logs, '*.log'), stream, extra: ['maxTimeBetweenFileTrackerRefreshMillis: 100'] }], [], DROP_TO_NOBODY);
    await until(() => accepted(stream).length >= 100, 'the readable file', 30_000, agentOutput(agent));
    // Rescans (every 100 ms) meet the denied file again and again meanwhile.
    for (let round = 1; round <= 3; round++) {
      appendFileSync(open, numbered('open', round * 100, round * 100 + 100));
      await until(() => accepted(stream).length >= 100 + round * 100, 'more of the readable file', 30_000, agentOutput(agent));
      await sleep(300);
    }
    const about = agent.logLines().filter((l) => JSON.stringify(l).includes('secret.log'));
    // Once the permission is fixed, the file is read from its start.
    chmodSync(secret, 0o644);
    await until(() => accepted(stream).length >= 401, 'the file once readable', 30_000, agentOutput(agent));
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectExactlyOnce(accepted(stream), [...splitLines(numbered('open', 0, 400)), 'not for nobody\n']);
    expect(about.length, agentOutput(agent)()).toBe(1);
    expect(about[0]).toMatchObject({ level: 'warn' });
    expect(String(about[0]!.err)).toContain('EACCES');
  });

  // Found here (a file in a directory the agent may not enter was taken for
  // "gone" and skipped without a word, by a glob or a plain path).
  it.skipIf(!isRoot)('says once why it cannot see files in a directory it may not enter, and ships the rest (run as nobody)', async () => {
    const { stream, sub } = suite.newCase();
    chmodSync(sub, 0o755);
    const closed = join(sub, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    chmodSync(closed, 0o700);
    writeFileSync(join(closed, 'a.log'), 'hidden\n');
    const open = join(sub, 'open.log');
    writeFileSync(open, numbered('open', 0, 20), { mode: 0o644 });
    const state = join(sub, 'state');
    mkdirSync(state, { mode: 0o700 });
    chownSync(state, NOBODY.uid, NOBODY.gid);
    const agent = run(
      sub,
      [
        { filePattern: join(closed, '*.log'), stream, extra: ['name: glob', 'maxTimeBetweenFileTrackerRefreshMillis: 100'] },
        { filePattern: join(closed, 'a.log'), stream, extra: ['name: plain', 'maxTimeBetweenFileTrackerRefreshMillis: 100'] },
        { filePattern: open, stream, extra: ['name: open'] },
      ],
      [],
      DROP_TO_NOBODY,
    );
    await until(() => accepted(stream).length >= 20, 'the readable file', 30_000, agentOutput(agent));
    await sleep(1000);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    for (const flow of ['glob', 'plain']) {
      const about = agent.logLines().filter((l) => l.flow === flow && l.level === 'warn');
      expect(about.length, `${flow}\n${agentOutput(agent)()}`).toBe(1);
      expect(JSON.stringify(about[0])).toContain('EACCES');
    }
  });

  it('reads each version of a file renamed over again and again whole, never mixing versions', async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    writeFileSync(log, numbered('v0', 0, 10));
    const agent = run(sub, [{ filePattern: log, stream, extra: ['minTimeBetweenFilePollsMillis: 1', 'maxTimeBetweenFileTrackerRefreshMillis: 20'] }]);
    await agent.waitForLog(hasMsg('agent started'));
    const versions = 300;
    const all: string[] = splitLines(numbered('v0', 0, 10));
    for (let v = 1; v <= versions; v++) {
      const text = numbered(`v${v}`, 0, 1 + (v % 13));
      all.push(...splitLines(text));
      const tmp = join(sub, `next.tmp`);
      writeFileSync(tmp, text);
      renameSync(tmp, log);
      if (v % 25 === 0) await sleep(5);
    }
    const last = splitLines(numbered(`v${versions}`, 0, 1 + (versions % 13)));
    const lastSeen = () => {
      const got = new Set(accepted(stream).map((e) => e.data.toString()));
      return last.every((l) => got.has(l));
    };
    await until(lastSeen, 'the last version', 30_000, agentOutput(agent));
    await sleep(1500);
    expect(agent.child.exitCode).toBeNull();
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    const t = tally(accepted(stream), all);
    // Versions replaced before the agent opened them are gone with their
    // inode; every record that did arrive is a whole line of one version, once.
    expect({ duplicated: t.duplicated, unexpected: t.unexpected }).toEqual({ duplicated: 0, unexpected: 0 });
    // A version that was read at all was read from its first line.
    const byVersion = new Map<string, number[]>();
    for (const line of t.counts.keys()) {
      const [v, i] = line.trim().split(' ');
      byVersion.set(v!, [...(byVersion.get(v!) ?? []), Number(i)]);
    }
    for (const [v, idx] of byVersion) expect(Math.min(...idx), v).toBe(0);
  });

  it('ships every line exactly once while the file is rotated by rename every 100 ms under constant writes', async () => {
    const { stream, sub } = suite.newCase();
    const logs = join(sub, 'rot');
    mkdirSync(logs);
    const log = join(logs, 'app.log');
    writeFileSync(log, '');
    const agent = run(sub, [{ filePattern: join(logs, 'app.log*'), stream, extra: ['maxTimeBetweenFileTrackerRefreshMillis: 200'] }]);
    await agent.waitForLog(hasMsg('agent started'));
    let written = 0;
    let rotations = 0;
    const deadline = Date.now() + 4000;
    while (Date.now() < deadline) {
      appendFileSync(log, numbered('rot', written, written + 50));
      written += 50;
      if (written % 100 === 0) renameSync(log, join(logs, `app.log.${++rotations}`));
      await sleep(50);
    }
    const all = splitLines(numbered('rot', 0, written));
    await until(() => tally(accepted(stream), all).missing === 0, 'every line', 30_000, () => `${tally(accepted(stream), all).missing} missing\n${agentOutput(agent)()}`);
    await sleep(1200);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expect(rotations).toBeGreaterThan(20);
    expectExactlyOnce(accepted(stream), all);
  });

  it('ships every line exactly once while the file is rotated by copy and truncate every 200 ms (no write between the two)', async () => {
    const { stream, sub } = suite.newCase();
    const logs = join(sub, 'ct');
    mkdirSync(logs);
    const log = join(logs, 'app.log');
    writeFileSync(log, '');
    const agent = run(sub, [{ filePattern: join(logs, 'app.log*'), stream, extra: ['maxTimeBetweenFileTrackerRefreshMillis: 200'] }]);
    await agent.waitForLog(hasMsg('agent started'));
    let written = 0;
    let rotations = 0;
    const deadline = Date.now() + 4000;
    while (Date.now() < deadline) {
      appendFileSync(log, numbered('ct', written, written + 50));
      written += 50;
      if (written % 200 === 0) {
        copyFileSync(log, join(logs, `app.log.${++rotations}`));
        truncateSync(log, 0);
      }
      await sleep(50);
    }
    const all = splitLines(numbered('ct', 0, written));
    await until(() => tally(accepted(stream), all).missing === 0, 'every line', 30_000, () => `${tally(accepted(stream), all).missing} missing\n${agentOutput(agent)()}`);
    await sleep(1200);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expect(rotations).toBeGreaterThan(10);
    expectExactlyOnce(accepted(stream), all);
  });

  it('ships every line exactly once when copy-and-truncate rotations happen while the destination is down and reading is paused', async () => {
    const { stream, sub } = suite.newCase();
    const logs = join(sub, 'ct-down');
    mkdirSync(logs);
    const log = join(logs, 'app.log');
    writeFileSync(log, '');
    suite.server.setFaults({ kind: 'status', status: 503, type: 'ServiceUnavailable' });
    try {
      const agent = run(sub, [{ filePattern: join(logs, 'app.log*'), stream, extra: ['maxTimeBetweenFileTrackerRefreshMillis: 200', 'maxQueueBytes: 1048576'] }]);
      await agent.waitForLog(hasMsg('agent started'));
      const pad = 'x'.repeat(1000);
      let written = 0;
      let rotations = 0;
      const lines: string[] = [];
      for (let round = 0; round < 12; round++) {
        let text = '';
        for (let i = 0; i < 300; i++) text += `ct-down ${String(written++).padStart(7, '0')} ${pad}\n`;
        lines.push(...splitLines(text));
        appendFileSync(log, text);
        if (round % 2 === 1) {
          copyFileSync(log, join(logs, `app.log.${++rotations}`));
          truncateSync(log, 0);
        }
        await sleep(100);
      }
      await sleep(500);
      suite.server.clearFaults();
      await until(() => tally(accepted(stream), lines).missing === 0, 'every line', 60_000, () => `${tally(accepted(stream), lines).missing} missing\n${agentOutput(agent)()}`);
      await sleep(1200);
      expect((await agent.stop()).code, agent.stderr).toBe(0);
      expectExactlyOnce(accepted(stream), lines);
    } finally {
      suite.server.clearFaults();
    }
  });

  /**
   * SIGKILL the agent again and again while a writer appends and `rotate`
   * turns the file over every 200 lines. A kill may cost duplicates only of
   * the lines its checkpoint on disk did not cover (docs/guarantees.md): each
   * line may arrive once, plus once per kill that left it uncovered. That is
   * counted per line, from the checkpoint and the files read while the agent
   * is dead, not guessed from throughput: after a restart the agent catches
   * up on a backlog, and under load one 200 ms checkpoint interval covers
   * thousands of lines.
   */
  async function killLoopWhileRotating(prefix: string, rotate: (log: string, rotated: string) => void): Promise<void> {
    const { stream, sub } = suite.newCase();
    const logs = join(sub, `${prefix}-kill`);
    mkdirSync(logs);
    const log = join(logs, 'app.log');
    writeFileSync(log, '');
    const flows = [{ filePattern: join(logs, 'app.log*'), stream, extra: ['maxTimeBetweenFileTrackerRefreshMillis: 200', 'maxBufferSizeRecords: 100', 'maxInFlightRequests: 2'] }];
    let written = 0;
    let rotations = 0;
    let writing = true;
    // Held while a killed agent's checkpoint and files are read, so the files match the moment of the kill.
    let hold: Promise<void> | undefined;
    const writer = (async () => {
      while (writing) {
        if (hold) await hold;
        if (!writing) break;
        appendFileSync(log, numbered(prefix, written, written + 20));
        written += 20;
        if (written % 200 === 0) rotate(log, join(logs, `app.log.${++rotations}`));
        await sleep(20);
      }
    })();
    const kills = 4;
    const mayRepeat = new Map<string, number>();
    try {
      for (let k = 0; k < kills; k++) {
        const agent = run(sub, flows);
        await sleep(700 + Math.floor(Math.random() * 700));
        let release!: () => void;
        hold = new Promise<void>((r) => (release = r));
        expect((await agent.stop('SIGKILL')).signal).toBe('SIGKILL');
        for (const line of linesByCheckpoint(inDir(logs), join(sub, 'state', 'cp')).uncovered) mayRepeat.set(line, (mayRepeat.get(line) ?? 0) + 1);
        hold = undefined;
        release();
      }
    } finally {
      writing = false;
      await writer;
    }
    const agent = run(sub, flows);
    const all = splitLines(numbered(prefix, 0, written));
    // Every line may already have arrived from a killed agent; the last one
    // must still send again what the last kill's checkpoint left uncovered,
    // and a stop before it has would leave that for a next start. So wait
    // for its own checkpoint to cover the files too.
    const uncovered = () => linesByCheckpoint(inDir(logs), join(sub, 'state', 'cp')).uncovered;
    await until(
      () => tally(accepted(stream), all).missing === 0 && uncovered().size === 0,
      'every line, and the checkpoint past it',
      60_000,
      () => `${tally(accepted(stream), all).missing} missing, ${uncovered().size} not checkpointed\n${agentOutput(agent)()}`,
    );
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    // A stop writes the checkpoint: nothing is left for a next start to send again.
    expect([...uncovered()].slice(0, 5)).toEqual([]);
    const t = tally(accepted(stream), all);
    expect({ missing: t.missing, unexpected: t.unexpected }).toEqual({ missing: 0, unexpected: 0 });
    const beyond = [...t.counts].filter(([line, n]) => n > 1 + (mayRepeat.get(line) ?? 0));
    expect(beyond.slice(0, 5), `${beyond.length} lines repeated more often than the kills left them uncovered (${t.total - all.length} repeats in all)`).toEqual([]);
    expect(rotations).toBeGreaterThan(5);
  }

  it('loses nothing when SIGKILLed repeatedly while the file is rotated by rename under writes', async () => {
    await killLoopWhileRotating('rk', (log, rotated) => renameSync(log, rotated));
  }, 90_000);

  it('loses nothing when SIGKILLed repeatedly while the file is rotated by copy and truncate under writes', async () => {
    await killLoopWhileRotating('ck', (log, rotated) => {
      copyFileSync(log, rotated);
      truncateSync(log, 0);
    });
  }, 90_000);

  it('gives back the descriptors of deleted files (no descriptor leak)', async () => {
    const { stream, sub } = suite.newCase();
    const logs = join(sub, 'fds');
    mkdirSync(logs);
    const agent = run(sub, [{ filePattern: join(logs, '*.log'), stream, extra: ['maxTimeBetweenFileTrackerRefreshMillis: 200'] }]);
    await agent.waitForLog(hasMsg('agent started'));
    const fds = () => readdirSync(`/proc/${agent.child.pid}/fd`).length;
    const baseline = fds();
    const expected: string[] = [];
    for (let i = 0; i < 300; i++) {
      const line = `fd ${String(i).padStart(4, '0')}\n`;
      expected.push(line);
      writeFileSync(join(logs, `f${i}.log`), line);
    }
    await until(() => accepted(stream).length >= 300, 'every file', 30_000, agentOutput(agent));
    for (let i = 0; i < 300; i++) rmSync(join(logs, `f${i}.log`));
    // Deleted files are let go after the grace period (5 s) of quiet.
    await until(() => fds() <= baseline + 5, `descriptors back near ${baseline}`, 20_000, () => `${fds()} open\n${agentOutput(agent)()}`);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectExactlyOnce(accepted(stream), expected);
  });

  it('picks up files again in a directory that was deleted and created again', async () => {
    const { stream, sub } = suite.newCase();
    const logs = join(sub, 'logs');
    mkdirSync(logs);
    writeFileSync(join(logs, 'a.log'), numbered('first', 0, 100));
    const agent = run(sub, [{ filePattern: join(logs, '*.log'), stream, extra: ['maxTimeBetweenFileTrackerRefreshMillis: 500'] }]);
    await until(() => accepted(stream).length >= 100, 'the first generation', 30_000, agentOutput(agent));
    rmSync(logs, { recursive: true });
    await sleep(700);
    mkdirSync(logs);
    writeFileSync(join(logs, 'a.log'), numbered('second', 0, 100));
    writeFileSync(join(logs, 'b.log'), numbered('third', 0, 100));
    await until(() => accepted(stream).length >= 300, 'the files of the new directory', 30_000, agentOutput(agent));
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectExactlyOnce(accepted(stream), splitLines(numbered('first', 0, 100) + numbered('second', 0, 100) + numbered('third', 0, 100)));
  });

  it('ships files whose names hold spaces, quotes, glob characters, newlines and non-ASCII letters', async () => {
    const { stream, sub } = suite.newCase();
    const logs = join(sub, 'odd names');
    mkdirSync(logs);
    const names = ['with space.log', "quote'd \"x\".log", 'brackets[1]{a,b}*?.log', 'new\nline.log', 'café-日本.log', '-dash.log'];
    const expected: string[] = [];
    names.forEach((name, i) => {
      const text = numbered(`name${i}`, 0, 5);
      expected.push(...splitLines(text));
      writeFileSync(join(logs, name), text);
    });
    const agent = run(sub, [{ filePattern: join(logs, '*.log'), stream }]);
    await until(() => accepted(stream).length >= expected.length, 'every file', 30_000, () => `${accepted(stream).length}\n${agentOutput(agent)()}`);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectExactlyOnce(accepted(stream), expected);
  });

  // Found here (such names came back from the listing with U+FFFD and were
  // skipped without a word); fixed in 393fb9e, read by their raw bytes.
  it('ships a file reachable through a symlink loop under a ** pattern once, and keeps going', async () => {
    const { stream, sub } = suite.newCase();
    const logs = join(sub, 'logs');
    mkdirSync(join(logs, 'sub'), { recursive: true });
    symlinkSync(logs, join(logs, 'sub', 'loop'));
    symlinkSync(join(logs, 'sub'), join(logs, 'back'));
    const log = join(logs, 'sub', 'a.log');
    writeFileSync(log, numbered('loop', 0, 50));
    const agent = run(sub, [{ filePattern: join(logs, '**', '*.log'), stream, extra: ['maxTimeBetweenFileTrackerRefreshMillis: 200'] }]);
    await until(() => accepted(stream).length >= 50, 'the file', 30_000, agentOutput(agent));
    appendFileSync(log, numbered('loop', 50, 100));
    await until(() => accepted(stream).length >= 100, 'more of the file', 30_000, agentOutput(agent));
    await sleep(1000);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectExactlyOnce(accepted(stream), splitLines(numbered('loop', 0, 100)));
  });

  it('ships a file whose name is not valid UTF-8', async () => {
    const { stream, sub } = suite.newCase();
    const logs = join(sub, 'latin1');
    mkdirSync(logs);
    writeFileSync(Buffer.concat([Buffer.from(`${logs}/caf`), Buffer.from([0xe9]), Buffer.from('.log')]), numbered('latin1', 0, 5));
    writeFileSync(join(logs, 'plain.log'), numbered('plain', 0, 5));
    const agent = run(sub, [{ filePattern: join(logs, '*.log'), stream }]);
    await until(() => accepted(stream).length >= 5, 'the plain file', 30_000, agentOutput(agent));
    await until(() => accepted(stream).length >= 10, 'the latin1-named file', 30_000, agentOutput(agent));
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectExactlyOnce(accepted(stream), splitLines(numbered('latin1', 0, 5) + numbered('plain', 0, 5)));
  });
});

