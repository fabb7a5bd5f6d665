/**
 * `afterShipping: delete | rename` through the real CLI, real logrotate and
 * the protocol server: a rotated file is deleted (or renamed) once every
 * line of it is acknowledged and it has been quiet for the period; never
 * before the acknowledgement (an outage), never the live file (create and
 * copytruncate), and a restart does not lose the decision.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentProcess, runCli } from '../support/agent-process.ts';
import { checkpointEntries } from '../support/checkpoints.ts';
import { freePort } from '../support/free-port.ts';
import { useKinesisLocal } from '../support/kinesis-local.ts';
import {
  agentOutput,
  agentYaml,
  DROP_TO_NOBODY,
  hasMsg,
  isRoot,
  logrotate,
  NOBODY,
  numbered,
  sleep,
  splitLines,
  startAgentVia,
  tally,
  until,
  useProtocolServer,
  type FlowSpec,
} from '../hardening/support.ts';

const suite = useProtocolServer('after', { dirMode: 0o755 });


const accepted = (stream: string) => suite.server.streams.get(stream)!.entries;

function writeConfig(sub: string, flows: FlowSpec[], top: string[] = []): string {
  const config = join(sub, 'agent.yaml');
  writeFileSync(config, agentYaml({ endpoint: suite.server.endpoint, checkpointFile: join(sub, 'state', 'cp'), flows, top }));
  return config;
}

function start(sub: string, flows: FlowSpec[], top: string[] = []): AgentProcess {
  return suite.track(AgentProcess.start(writeConfig(sub, flows, top)));
}

/** Runs logrotate once, forced, with its own state file. */
function rotate(sub: string, body: string): void {
  const conf = join(sub, 'logrotate.conf');
  writeFileSync(conf, body, { mode: 0o644 });
  execFileSync('logrotate', ['-f', '-s', join(sub, 'logrotate.state'), conf], { stdio: 'pipe' });
}

/** Every expected line arrived once (at the protocol server's stream, or in `records`) and nothing else. */
function expectOnce(stream: string | { data: Buffer }[], expected: string[]): void {
  const { missing, duplicated, unexpected, total } = tally(typeof stream === 'string' ? accepted(stream) : stream, expected);
  expect({ missing, duplicated, unexpected, total }).toEqual({ missing: 0, duplicated: 0, unexpected: 0, total: expected.length });
}

const ino = (path: string) => statSync(path).ino;

const QUIET = 'afterShippingQuietMillis: 1000';

describe.skipIf(!logrotate)('afterShipping: done with a file', () => {
  it('logrotate create: the rotated file is deleted once acknowledged; the live file is never touched; /status and `status` say so', async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    const first = numbered('before', 0, 500);
    writeFileSync(log, first);
    const port = await freePort();
    const agent = start(sub, [{ filePattern: join(sub, 'app.log*'), stream, extra: ['afterShipping: delete', QUIET] }], [`http.listen: "127.0.0.1:${port}"`]);
    await until(() => accepted(stream).length >= 500, 'the first lines', 30_000, agentOutput(agent));
    rotate(sub, `${log} {\n  rotate 5\n  create\n}\n`);
    const liveIno = ino(log);
    const second = numbered('after', 0, 300);
    appendFileSync(log, second);
    await until(() => !existsSync(`${log}.1`), 'app.log.1 deleted', 30_000, agentOutput(agent));
    // Deleted only after its lines were acknowledged: they are all there.
    expect(tally(accepted(stream), splitLines(first)).missing).toBe(0);
    await agent.waitForLog(hasMsg('finished file deleted'));
    const line = agent.logLines().find(hasMsg('finished file deleted'))!;
    expect(line).toMatchObject({ path: `${log}.1`, action: 'deleted', bytes: first.length, finishedAs: 'renamed' });

    const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
      flows: { finished?: Record<string, unknown>[]; files: { path: string; afterShipping?: { state: string; why?: string } }[] }[];
    };
    expect(status.flows[0]!.finished).toEqual([expect.objectContaining({ path: `${log}.1`, action: 'deleted', bytes: first.length })]);
    const liveRow = status.flows[0]!.files.find((f) => f.path === log)!;
    expect(liveRow.afterShipping).toEqual({ state: 'live', why: 'at the name it is written under (not rotated)' });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^kinesis_agent_files_finished_total\{[^}]*\} 1$/m);
    expect(metrics).toMatch(/^kinesis_agent_file_finish_errors_total\{[^}]*\} 0$/m);
    const printed = await runCli(['status', '--url', `http://127.0.0.1:${port}`]);
    expect(printed.stdout).toContain('FINISHED FILE');
    expect(printed.stdout).toMatch(/app\.log\.1\s+deleted\s+\d+/);
    expect(printed.stdout).toContain('live: at the name it is written under (not rotated)');
    if (status.flows[0]!.files.some((f) => f.path === `${log}.1`)) expect(printed.stdout).toMatch(/app\.log\.1 .*done: deleted/);

    // The live file, quiet for three periods: still there, the same file, whole.
    await sleep(3_500);
    expect(ino(log)).toBe(liveIno);
    expect(readFileSync(log, 'utf8')).toBe(second);
    await until(() => accepted(stream).length >= 800, 'every line', 30_000, agentOutput(agent));
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectOnce(stream, [...splitLines(first), ...splitLines(second)]);
  }, 90_000);

  it('logrotate copytruncate: the copy is deleted, the live file (truncated, written again) never', async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    const first = numbered('orig', 0, 400);
    writeFileSync(log, first);
    const agent = start(sub, [{ filePattern: join(sub, 'app.log*'), stream, extra: ['afterShipping: delete', QUIET] }]);
    await until(() => accepted(stream).length >= 400, 'the first lines', 30_000, agentOutput(agent));
    const liveIno = ino(log);
    // The writer is paused during logrotate's run (the copytruncate window, docs/tailing.md).
    rotate(sub, `${log} {\n  rotate 5\n  copytruncate\n}\n`);
    const second = numbered('new', 0, 200);
    appendFileSync(log, second);
    await until(() => !existsSync(`${log}.1`), 'the copy app.log.1 deleted', 30_000, agentOutput(agent));
    await until(() => accepted(stream).length >= 600, 'every line', 30_000, agentOutput(agent));
    await sleep(2_500);
    expect(ino(log)).toBe(liveIno);
    expect(readFileSync(log, 'utf8')).toBe(second);
    await agent.waitForLog(hasMsg('finished file deleted'));
    const line = agent.logLines().find(hasMsg('finished file deleted'))!;
    expect(line).toMatchObject({ path: `${log}.1`, finishedAs: 'copy' });
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectOnce(stream, [...splitLines(first), ...splitLines(second)]);
  }, 90_000);

  it('an outage: nothing is deleted before its lines are acknowledged, then it is', async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    suite.server.setFaults({ kind: 'status', status: 503, type: 'ServiceUnavailable' });
    const lines = numbered('outage', 0, 300);
    writeFileSync(log, lines);
    const agent = start(sub, [{ filePattern: join(sub, 'app.log*'), stream, extra: ['afterShipping: delete', QUIET] }]);
    await sleep(1_000);
    rotate(sub, `${log} {\n  rotate 5\n  create\n}\n`);
    // Five periods with the destination down: the rotated file stays.
    await sleep(5_000);
    expect(existsSync(`${log}.1`)).toBe(true);
    expect(accepted(stream).length).toBe(0);
    suite.server.clearFaults();
    await until(() => !existsSync(`${log}.1`), 'app.log.1 deleted once delivered', 60_000, agentOutput(agent));
    expect(tally(accepted(stream), splitLines(lines)).missing).toBe(0);
    expect(existsSync(log)).toBe(true);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectOnce(stream, splitLines(lines));
  }, 90_000);

  it('a restart in the middle (SIGKILL): a rotated file found at start with its checkpoint at its end is deleted, nothing sent again', async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    const lines = numbered('restart', 0, 400);
    writeFileSync(log, lines);
    // A long period: the file is finished but not yet quiet long enough when the agent stops.
    const flow = (period: number): FlowSpec[] => [{ filePattern: join(sub, 'app.log*'), stream, extra: ['afterShipping: delete', `afterShippingQuietMillis: ${period}`] }];
    const a = start(sub, flow(600_000));
    await until(() => accepted(stream).length >= 400, 'every line', 30_000, agentOutput(a));
    rotate(sub, `${log} {\n  rotate 5\n  create\n}\n`);
    // Killed once the checkpoint on disk holds the file at its end: the
    // server storing the lines is not yet the agent recording them, and only
    // what is on disk carries over.
    const rotated = statSync(`${log}.1`, { bigint: true });
    const atEnd = () => checkpointEntries(join(sub, 'state', 'cp')).some((e) => e.ino === String(rotated.ino) && e.offset === Number(rotated.size));
    await until(atEnd, 'the checkpoint at the end of the file', 30_000, agentOutput(a));
    await a.stop('SIGKILL');
    expect(existsSync(`${log}.1`)).toBe(true);
    const b = start(sub, flow(1_000));
    await until(() => !existsSync(`${log}.1`), 'app.log.1 deleted after the restart', 30_000, agentOutput(b));
    // The log line follows the unlink: wait for it to be written out.
    await b.waitForLog(hasMsg('finished file deleted'));
    expect(b.logLines().find(hasMsg('finished file deleted'))).toMatchObject({ path: `${log}.1`, finishedAs: 'renamed-since-checkpoint' });
    expect(existsSync(log)).toBe(true);
    await sleep(1_000);
    expect((await b.stop()).code, b.stderr).toBe(0);
    expectOnce(stream, splitLines(lines));
  }, 90_000);

  it('a move that is no rotation leaves the live file alone: its directory renamed while stopped, a file moved into place as app.log', async () => {
    const { stream, sub } = suite.newCase();
    mkdirSync(join(sub, 'v1'));
    const first = numbered('v1', 0, 200);
    writeFileSync(join(sub, 'v1', 'app.log'), first);
    const flows: FlowSpec[] = [{ filePattern: join(sub, '*/app.log*'), stream, extra: ['afterShipping: delete', QUIET] }];
    const a = start(sub, flows);
    await until(() => accepted(stream).length >= 200, 'the first lines', 30_000, agentOutput(a));
    await sleep(1_500);
    expect((await a.stop()).code, a.stderr).toBe(0);
    renameSync(join(sub, 'v1'), join(sub, 'current'));
    const log = join(sub, 'current', 'app.log');
    const b = start(sub, flows);
    await b.waitForLog(hasMsg('flow started'));
    // A rotation of its own: the old file to app.log.1, a prepared app.log.next moved into place.
    const second = numbered('next', 0, 100);
    writeFileSync(`${log}.next`, second);
    await until(() => accepted(stream).length >= 300, 'app.log.next', 30_000, agentOutput(b));
    const nextIno = ino(`${log}.next`);
    renameSync(log, `${log}.1`);
    renameSync(`${log}.next`, log);
    await until(() => !existsSync(`${log}.1`), 'app.log.1 deleted', 30_000, agentOutput(b));
    await sleep(3_000);
    expect(ino(log)).toBe(nextIno);
    expect(b.logLines().filter(hasMsg('finished file deleted')).map((l) => [l.path, l.finishedAs])).toEqual([[`${log}.1`, 'renamed']]);
    expect((await b.stop()).code, b.stderr).toBe(0);
    expectOnce(stream, [...splitLines(first), ...splitLines(second)]);
  }, 90_000);

  it('rename: the finished file gets the suffix, whole, and is not read again; a suffix the pattern would match is refused', async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    const lines = numbered('rename', 0, 300);
    writeFileSync(log, lines);
    const bad = writeConfig(sub, [{ filePattern: join(sub, 'app.log*'), stream, extra: ['afterShipping: rename'] }]);
    const refused = await runCli(['validate', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr + refused.stdout).toContain('would still match filePattern');
    const agent = start(sub, [
      { filePattern: join(sub, 'app.log*'), stream, extra: ['afterShipping: rename', `excludePatterns: [${JSON.stringify(join(sub, '*.shipped'))}]`, QUIET] },
    ]);
    await until(() => accepted(stream).length >= 300, 'every line', 30_000, agentOutput(agent));
    rotate(sub, `${log} {\n  rotate 5\n  create\n}\n`);
    await until(() => existsSync(`${log}.1.shipped`), 'app.log.1 renamed', 30_000, agentOutput(agent));
    expect(existsSync(`${log}.1`)).toBe(false);
    expect(readFileSync(`${log}.1.shipped`, 'utf8')).toBe(lines);
    await agent.waitForLog(hasMsg('finished file renamed'));
    expect(agent.logLines().find(hasMsg('finished file renamed'))).toMatchObject({ path: `${log}.1`, to: `${log}.1.shipped` });
    await sleep(2_000);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectOnce(stream, splitLines(lines));
  }, 90_000);

  it('two flows read one file: it is deleted only once both have shipped it', async () => {
    const { stream, sub } = suite.newCase();
    const other = `${stream}-other`;
    const log = join(sub, 'app.log');
    const lines = numbered('both', 0, 200);
    writeFileSync(log, lines);
    const port = await freePort();
    // The second flow's stream does not exist yet: it cannot ship.
    const agent = start(
      sub,
      [
        { filePattern: join(sub, 'app.log*'), stream, extra: ['afterShipping: delete', QUIET] },
        { filePattern: join(sub, 'app.log*'), stream: other },
      ],
      [`http.listen: "127.0.0.1:${port}"`],
    );
    await until(() => accepted(stream).length >= 200, 'the first flow ships', 30_000, agentOutput(agent));
    rotate(sub, `${log} {\n  rotate 5\n  create\n}\n`);
    await sleep(4_000);
    expect(existsSync(`${log}.1`)).toBe(true);
    const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { flows: { files: { path: string; afterShipping?: { why?: string } }[] }[] };
    expect(status.flows[0]!.files.find((f) => f.path === `${log}.1`)?.afterShipping?.why).toMatch(/reads it too and has \d+ bytes of it to ship/);
    suite.server.createStream(other, 1);
    await until(() => !existsSync(`${log}.1`), 'deleted once the second flow shipped it', 60_000, agentOutput(agent));
    expect(tally(accepted(other), splitLines(lines)).missing).toBe(0);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectOnce(stream, splitLines(lines));
  }, 120_000);

  it('initialPosition END_OF_FILE: files whose start was skipped (never shipped) are left alone, across a restart; shipped ones go', async () => {
    const { stream, sub } = suite.newCase();
    const log = join(sub, 'app.log');
    writeFileSync(log, numbered('old', 0, 100));
    writeFileSync(`${log}.1`, numbered('older', 0, 100));
    const flows: FlowSpec[] = [{ filePattern: join(sub, 'app.log*'), stream, extra: ['initialPosition: END_OF_FILE', 'afterShipping: delete', QUIET] }];
    const conf = `${log} {\n  rotate 5\n  create\n}\n`;
    const a = start(sub, flows);
    await a.waitForLog(hasMsg('flow started'));
    await sleep(500);
    const fresh = numbered('new', 0, 50);
    appendFileSync(log, fresh);
    await until(() => accepted(stream).length >= 50, 'the new lines', 30_000, agentOutput(a));
    // app.log (100 lines skipped, 50 shipped) becomes app.log.1, the old app.log.1 app.log.2.
    rotate(sub, conf);
    const newer = numbered('newer', 0, 50);
    appendFileSync(log, newer);
    await until(() => accepted(stream).length >= 100, 'the newer lines', 30_000, agentOutput(a));
    // The file read from its start (all shipped) becomes app.log.1 and goes; the others shift to .2 and .3.
    rotate(sub, conf);
    const skippedPart = readFileSync(`${log}.2`, 'utf8');
    const skippedAll = readFileSync(`${log}.3`, 'utf8');
    await until(() => a.logLines().some(hasMsg('finished file deleted')), 'the shipped file deleted', 30_000, agentOutput(a));
    expect(a.logLines().filter(hasMsg('finished file deleted')).map((l) => l.bytes)).toEqual([newer.length]);
    await sleep(2_500);
    expect(readFileSync(`${log}.2`, 'utf8')).toBe(skippedPart);
    expect(readFileSync(`${log}.3`, 'utf8')).toBe(skippedAll);
    expect((await a.stop()).code, a.stderr).toBe(0);
    // The checkpoint keeps what was skipped: after a restart they are still left alone.
    const b = start(sub, flows);
    await b.waitForLog(hasMsg('flow started'));
    await sleep(3_500);
    expect(existsSync(`${log}.2`) && existsSync(`${log}.3`)).toBe(true);
    expect(b.logLines().some(hasMsg('finished file deleted'))).toBe(false);
    expect((await b.stop()).code, b.stderr).toBe(0);
    expectOnce(stream, [...splitLines(fresh), ...splitLines(newer)]);
  }, 120_000);

  it('afterShippingFiles: quiet: files written once are deleted when quiet, all but the newest of the directory', async () => {
    const { stream, sub } = suite.newCase();
    const batch = (n: number) => join(sub, `batch-${n}.json`);
    const expected: string[] = [];
    for (const n of [1, 2, 3]) {
      const text = numbered(`batch${n}`, 0, 100);
      writeFileSync(batch(n), text);
      // Written a minute apart, oldest first.
      const t = Date.now() / 1000 - 60 * (4 - n);
      utimesSync(batch(n), t, t);
      expected.push(...splitLines(text));
    }
    const agent = start(sub, [{ filePattern: join(sub, '*.json'), stream, extra: ['afterShipping: delete', 'afterShippingFiles: quiet', QUIET] }]);
    await until(() => !existsSync(batch(1)) && !existsSync(batch(2)), 'batch-1 and batch-2 deleted', 30_000, agentOutput(agent));
    await sleep(2_500);
    expect(existsSync(batch(3))).toBe(true);
    expect(agent.logLines().filter(hasMsg('finished file deleted')).map((l) => [l.path, l.finishedAs])).toEqual(
      expect.arrayContaining([
        [batch(1), 'quiet'],
        [batch(2), 'quiet'],
      ]),
    );
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectOnce(stream, expected);
  }, 90_000);

  it.skipIf(!isRoot)('a directory the agent may not write (as nobody): EACCES logged once with a hint, retried, deleted once allowed; never a crash', async () => {
    const { stream, sub } = suite.newCase();
    chmodSync(sub, 0o755);
    const state = join(sub, 'state');
    mkdirSync(state);
    chownSync(state, NOBODY.uid, NOBODY.gid);
    const log = join(sub, 'app.log');
    const lines = numbered('perm', 0, 200);
    writeFileSync(log, lines, { mode: 0o644 });
    const config = writeConfig(sub, [{ filePattern: join(sub, 'app.log*'), stream, extra: ['afterShipping: delete', QUIET] }]);
    chmodSync(config, 0o644);
    const agent = suite.track(startAgentVia(DROP_TO_NOBODY, config));
    await until(() => accepted(stream).length >= 200, 'every line', 30_000, agentOutput(agent));
    rotate(sub, `${log} {\n  rotate 5\n  create 0644 root root\n}\n`);
    await agent.waitForLog((l) => JSON.stringify(l).includes('EACCES') && hasMsg('cannot delete finished file')(l), 20_000);
    const warned = agent.logLines().filter(hasMsg('cannot delete finished file'));
    expect(warned[0]).toMatchObject({ path: `${log}.1`, hint: expect.stringContaining('write and search permission') });
    expect(existsSync(`${log}.1`)).toBe(true);
    chmodSync(sub, 0o777);
    await until(() => !existsSync(`${log}.1`), 'deleted once allowed', 30_000, agentOutput(agent));
    // Logged once while it lasted, then resolved.
    expect(agent.logLines().filter((l) => l.level === 'warn' && hasMsg('cannot delete finished file')(l)).length).toBe(1);
    expect(agent.logLines().some(hasMsg('finished file: delete works now'))).toBe(true);
    expect(agent.child.exitCode).toBeNull();
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectOnce(stream, splitLines(lines));
  }, 90_000);
});

describe.skipIf(!logrotate)('afterShipping against kinesis-local', () => {
  const env = useKinesisLocal('ka-after-');

  it('logrotate create with dateext: app.log-<date> is deleted once kinesis-local has every line of it; app.log stays', async () => {
    await env.local.createStream('after');
    const log = join(env.dir, 'app.log');
    const first = numbered('dated', 0, 300);
    writeFileSync(log, first);
    const config = join(env.dir, 'agent.yaml');
    writeFileSync(
      config,
      `kinesis.endpoint: ${env.local.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(env.dir, 'cp')}\nflows:\n` +
        `  - filePattern: '${log}*'\n    kinesisStream: after\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n` +
        `    afterShipping: delete\n    ${QUIET}\n`,
    );
    const agent = AgentProcess.start(config);
    try {
      await env.local.waitFor('after', (r) => r.length >= 300);
      const conf = join(env.dir, 'logrotate.conf');
      writeFileSync(conf, `${log} {\n  rotate 5\n  create\n  dateext\n}\n`, { mode: 0o644 });
      execFileSync('logrotate', ['-f', '-s', join(env.dir, 'logrotate.state'), conf], { stdio: 'pipe' });
      const rotated = readdirSync(env.dir).find((n) => n.startsWith('app.log-'))!;
      expect(rotated).toBeDefined();
      const second = numbered('today', 0, 100);
      appendFileSync(log, second);
      await until(() => !existsSync(join(env.dir, rotated)), `${rotated} deleted`, 30_000, agentOutput(agent));
      const records = await env.local.waitFor('after', (r) => r.length >= 400);
      expect(existsSync(log)).toBe(true);
      expect(readFileSync(log, 'utf8')).toBe(second);
      expect((await agent.stop()).code, agent.stderr).toBe(0);
      expectOnce(records, [...splitLines(first), ...splitLines(second)]);
    } finally {
      await agent.stop('SIGKILL');
    }
  }, 90_000);
});

