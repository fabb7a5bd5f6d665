/**
 * Read chunks are freed once every line in them is acknowledged, and answers
 * once read (src/buffer-release.ts, src/source/read-chunks.ts,
 * src/sink/raw-exchange.ts readAnswer). A line read after its chunk was
 * freed would go out empty (or the send would throw). These runs go over TLS,
 * so through the agent's own HTTP/2 exchange, whose answers are the ones
 * freed, against the protocol server with faults: records failed inside
 * answers (plain, KPL aggregates, packed Firehose records, gzip, multi-line),
 * calls whose answers come after the agent gave up on them (the server did
 * store their records), and a restart (SIGTERM) with calls in flight.
 * Records may arrive twice; each must be one of the file's records, whole.
 */
import { appendFileSync, copyFileSync, mkdirSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsProtocolServer, TEST_CA_FILE } from '../servers/aws-protocol-server.ts';
import { AgentProcess } from '../support/agent-process.ts';
import { deaggregate } from '../sink/deaggregate.ts';
import { agentOutput, agentYaml, sleep, tempDir, until, type FlowSpec } from '../hardening/support.ts';
import { checkpointEntries } from '../support/checkpoints.ts';

let server: AwsProtocolServer;
/** Plain HTTP: the SDK's exchange (aws/transport.ts putPathFor), whose answers are copied and freed too. */
let plainServer: AwsProtocolServer;
let dir: string;
const agents: AgentProcess[] = [];

beforeAll(async () => {
  server = await AwsProtocolServer.start({ tls: 'trusted' });
  plainServer = await AwsProtocolServer.start();
  dir = tempDir('freed');
});
afterAll(async () => {
  for (const a of agents) await a.stop('SIGKILL');
  await server?.stop();
  await plainServer?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Records that are not among `want` (empty, cut, joined), and records of `want` never seen. */
/** Writes `sub`/agent.yaml for `to` (the test CA trusted): `flows` and `timeouts` (top-level keys); returns its path. */
function writeConfig(to: AwsProtocolServer, sub: string, flows: FlowSpec[], timeouts: string[]): string {
  const config = join(sub, 'agent.yaml');
  writeFileSync(
    config,
    agentYaml({ endpoint: to.endpoint, checkpointFile: join(sub, 'cp'), flows, top: [`tls.caFile: ${JSON.stringify(TEST_CA_FILE)}`, ...timeouts] }),
  );
  return config;
}

function check(got: Buffer[], want: Buffer[]): { missing: string[]; unexpected: string[] } {
  const wanted = new Set(want.map((b) => b.toString('latin1')));
  const seen = new Set(got.map((b) => b.toString('latin1')));
  const show = (s: string) => `${s.length}: ${JSON.stringify(s.slice(0, 60))}`;
  return {
    missing: [...wanted].filter((w) => !seen.has(w)).map(show).slice(0, 10),
    unexpected: [...seen].filter((s) => !wanted.has(s)).map(show).slice(0, 10),
  };
}

function text(from: number, to: number, tag: string): string {
  let s = '';
  for (let i = from; i < to; i++) {
    if (i % 997 === 0) s += `${tag} ${i} ${'😀'.repeat(70_000)}\r\n`; // over one read
    else if (i % 4 === 0) s += `${tag} ${i} é€ ${'y'.repeat(i % 300)}\r\n`;
    else s += `${tag} ${i} ${'x'.repeat(i % 500)}\n`;
  }
  return s;
}
const linesOf = (s: string) => s.split(/(?<=\n)/).filter((l) => l.length > 0).map((l) => Buffer.from(l.replace(/\r\n$/, '\n'), 'utf8'));

describe.each([
  ['the own HTTP/2 exchange (TLS)', () => server],
  ['the SDK (plain HTTP)', () => plainServer],
])('freed chunks and answers over %s, with faults', (via, serverOf) => {
  it('failed records, late answers after timeouts, and a SIGTERM with calls in flight: every record arrives whole on the plain, KPL, Firehose, gzip and multi-line paths', async () => {
    const server = serverOf();
    const sub = join(dir, `faults-${via.length}`);
    mkdirSync(sub, { recursive: true });
    const file = join(sub, 'in.log');
    let all = text(0, 5000, 'a');
    writeFileSync(file, all);
    const names = { plain: 'freed-plain', kpl: 'freed-kpl', fh: 'freed-fh', gz: 'freed-gz', multi: 'freed-multi' };
    server.createStream(names.plain, 2);
    server.createStream(names.kpl, 2);
    server.createStream(names.gz, 2);
    server.createStream(names.multi, 2);
    server.createDeliveryStream(names.fh);
    const flows: FlowSpec[] = [
      // 500 records a call: answers of over 32 KiB, which are not slices of Node's shared pool (64 KiB here) and so are freed.
      { filePattern: file, stream: names.plain, extra: ['maxBufferSizeRecords: 500'] },
      { filePattern: file, stream: names.kpl, extra: ['partitionKeyOption: DETERMINISTIC', 'aggregation: true', 'maxBufferSizeRecords: 20'] },
      { filePattern: file, stream: names.fh, firehose: true, extra: ['aggregatedRecordSizeBytes: 4000', 'maxBufferSizeRecords: 50'] },
      { filePattern: file, stream: names.gz, extra: ['compression: gzip', 'maxBufferSizeRecords: 500'] },
      // Every line its own record (each starts with the tag), through the multi-line assembler.
      { filePattern: file, stream: names.multi, extra: ['multiLineStartPattern: "^a "', 'maxBufferSizeRecords: 100'] },
    ];
    const config = writeConfig(server, sub, flows, ['socketTimeoutMillis: 700', 'connectionTimeoutMillis: 500', 'shutdownTimeoutMillis: 300']);
    // A third of the records fail inside answers; some calls answer (and store) only after the agent gave up on them.
    server.setFaults({ kind: 'failRecords', fraction: 0.3, times: 60 }, { kind: 'delay', ms: 1500, times: 8 });
    let agent = AgentProcess.start(config);
    agents.push(agent);
    const kin = (s: string) => server.streams.get(s)!.entries;
    const got = {
      plain: () => kin(names.plain).map((e) => e.data),
      kpl: () => kin(names.kpl).flatMap((e) => deaggregate(e.data, e.partitionKey ?? '').map((u) => u.data)),
      fh: () => server.deliveryStreams.get(names.fh)!.map((e) => e.data),
      gz: () => kin(names.gz).map((e) => gunzipSync(e.data)),
      multi: () => kin(names.multi).map((e) => e.data),
    };
    // Firehose packs lines: compare the lines inside.
    const fhLines = () => got.fh().flatMap((d) => linesOf(d.toString('utf8')));
    await until(() => got.plain().length > 1000, 'some records', 60_000, agentOutput(agent));
    // Stop with calls in flight (late answers pending), then start again and add more.
    server.setFaults({ kind: 'delay', ms: 1000, times: 10 }, { kind: 'failRecords', fraction: 0.5, times: 20 });
    await agent.stop();
    server.setFaults({ kind: 'failRecords', fraction: 0.3, times: 40 }, { kind: 'delay', ms: 1500, times: 4 });
    agent = AgentProcess.start(config);
    agents.push(agent);
    const more = text(5000, 7000, 'a');
    appendFileSync(file, more);
    all += more;
    const want = linesOf(all);
    const uniq = (bs: Buffer[]) => new Set(bs.map((b) => b.toString('latin1'))).size;
    await until(
      () => uniq(got.plain()) >= want.length && uniq(got.kpl()) >= want.length && uniq(fhLines()) >= want.length && uniq(got.gz()) >= want.length && uniq(got.multi()) >= want.length,
      'every line on every flow',
      120_000,
      () => `plain ${uniq(got.plain())} kpl ${uniq(got.kpl())} fh ${uniq(fhLines())} gz ${uniq(got.gz())} multi ${uniq(got.multi())} of ${want.length}\n${agentOutput(agent)()}`,
    );
    // Every answer read as it came: a misread one fails its call, retried forever, and the checkpoint never gets there.
    const size = statSync(file).size;
    await until(() => checkpointEntries(join(sub, 'cp')).filter((e) => e.offset === size).length === 5, 'all five checkpoints at the end', 30_000, agentOutput(agent));
    await sleep(2000);
    const ctx = agentOutput(agent);
    expect(check(got.plain(), want), ctx()).toEqual({ missing: [], unexpected: [] });
    expect(check(got.kpl(), want), ctx()).toEqual({ missing: [], unexpected: [] });
    expect(check(fhLines(), want), ctx()).toEqual({ missing: [], unexpected: [] });
    expect(check(got.gz(), want), ctx()).toEqual({ missing: [], unexpected: [] });
    expect(check(got.multi(), want), ctx()).toEqual({ missing: [], unexpected: [] });
    expect(agent.stderr).not.toMatch(/detached|delivery bookkeeping failed/);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
  }, 240_000);
});

describe('freed chunks through rotations in a burst, with faults, over the own HTTP/2 exchange', () => {
  for (const mode of ['rename + create', 'copytruncate', 'truncate'] as const) {
    it(`${mode} three times in a burst while records fail and answers come late: every line arrives whole`, async () => {
      const sub = join(dir, mode.replace(/\W+/g, '-'));
      mkdirSync(sub, { recursive: true });
      const log = join(sub, 'app.log');
      writeFileSync(log, '');
      const plain = `freed-rot-${mode.replace(/\W+/g, '')}`;
      const kpl = `${plain}-kpl`;
      server.createStream(plain, 2);
      server.createStream(kpl, 2);
      const config = writeConfig(
        server,
        sub,
        [
          { filePattern: join(sub, 'app.log*'), stream: plain, extra: ['maxBufferSizeRecords: 100'] },
          { filePattern: join(sub, 'app.log*'), stream: kpl, extra: ['aggregation: true', 'maxBufferSizeRecords: 30'] },
        ],
        ['socketTimeoutMillis: 700', 'connectionTimeoutMillis: 500'],
      );
      server.setFaults({ kind: 'failRecords', fraction: 0.3, times: 80 }, { kind: 'delay', ms: 1200, times: 6 });
      const agent = AgentProcess.start(config);
      agents.push(agent);
      await agent.waitForLog((l) => l.msg === 'agent started');
      const want: Buffer[] = [];
      let n = 0;
      for (let round = 0; round < 4; round++) {
        if (round > 0) {
          if (mode === 'rename + create') {
            renameSync(log, `${log}.${round}`);
            writeFileSync(log, '');
          } else if (mode === 'copytruncate') {
            copyFileSync(log, `${log}.${round}`);
            truncateSync(log, 0);
          } else {
            // Truncated without a copy: what was not read yet is gone; only what is written after counts.
            await until(() => server.streams.get(plain)!.entries.length > 0, 'some records', 30_000);
            await sleep(1500);
            truncateSync(log, 0);
          }
        }
        for (let burst = 0; burst < 20; burst++) {
          let chunk = '';
          for (let i = 0; i < 150; i++, n++) chunk += n % 5 === 0 ? `r${round} ${n} é€\r\n` : `r${round} ${n} ${'x'.repeat(n % 400)}\n`;
          if (burst === 10) chunk += `r${round} big ${'😀'.repeat(70_000)}\n`;
          appendFileSync(log, chunk);
          want.push(...linesOf(chunk));
          await sleep(3);
        }
      }
      const got = () => server.streams.get(plain)!.entries.map((e) => e.data);
      const users = () => server.streams.get(kpl)!.entries.flatMap((e) => deaggregate(e.data, e.partitionKey ?? '').map((u) => u.data));
      const wanted = new Set(want.map((b) => b.toString('latin1')));
      const uniq = (bs: Buffer[]) => new Set(bs.map((b) => b.toString('latin1')).filter((s) => wanted.has(s))).size;
      // Truncation without a copy may lose what was not read before it (not this change's concern): only wholeness is checked then.
      if (mode !== 'truncate') {
        await until(() => uniq(got()) >= want.length && uniq(users()) >= want.length, 'every line', 120_000, () => `${uniq(got())} ${uniq(users())} of ${want.length}\n${agentOutput(agent)()}`);
      } else {
        await sleep(8000);
      }
      const size = statSync(log).size;
      await until(
        () => checkpointEntries(join(sub, 'cp')).filter((e) => e.path === log && e.offset === size).length === 2,
        'both checkpoints at the live file’s end',
        30_000,
        agentOutput(agent),
      );
      await sleep(1500);
      const ctx = agentOutput(agent);
      const result = (bs: Buffer[]) => {
        const r = check(bs, want);
        return mode === 'truncate' ? r.unexpected : [...r.missing, ...r.unexpected];
      };
      expect(result(got()), ctx()).toEqual([]);
      expect(result(users()), ctx()).toEqual([]);
      expect((await agent.stop()).code, agent.stderr).toBe(0);
    }, 240_000);
  }
});

describe('freed chunks through reloads with calls in flight, over the own HTTP/2 exchange', () => {
  it('SIGHUP twice in a burst (processors added, then removed) while answers come late and records fail: every line arrives whole', async () => {
    const sub = join(dir, 'reload');
    mkdirSync(sub, { recursive: true });
    const log = join(sub, 'app.log');
    writeFileSync(log, '');
    const stream = 'freed-reload';
    const kpl = 'freed-reload-kpl';
    server.createStream(stream, 2);
    server.createStream(kpl, 2);
    const write = (processors: boolean) => {
      const brackets = processors ? ['dataProcessingOptions: [{optionName: ADDBRACKETS}]'] : [];
      return writeConfig(
        server,
        sub,
        [
          { filePattern: log, stream, extra: ['maxBufferSizeRecords: 100', ...brackets] },
          { filePattern: log, stream: kpl, extra: ['aggregation: true', 'maxBufferSizeRecords: 30', ...brackets] },
        ],
        ['socketTimeoutMillis: 900', 'connectionTimeoutMillis: 500', 'shutdownTimeoutMillis: 400'],
      );
    };
    const config = write(false);
    server.setFaults({ kind: 'failRecords', fraction: 0.3, times: 100 }, { kind: 'delay', ms: 600, times: 40 });
    const agent = AgentProcess.start(config);
    agents.push(agent);
    await agent.waitForLog((l) => l.msg === 'agent started');
    const lines: string[] = [];
    for (let i = 0; i < 9000; i += 100) {
      let chunk = '';
      for (let j = i; j < i + 100; j++) chunk += j % 4 === 0 ? `${j} é€😀\r\n` : `${j} ${'q'.repeat(j % 600)}\n`;
      if (i === 4500) chunk += `big ${'😀'.repeat(70_000)}\n`;
      appendFileSync(log, chunk);
      lines.push(...chunk.split(/(?<=\n)/).map((l) => l.replace(/\r\n$/, '\n')));
      if (i === 3000 || i === 6000) {
        write(i === 3000);
        agent.child.kill('SIGHUP');
      }
      await sleep(3);
    }
    const unwrap = (r: string) => (r.startsWith('{') && r.endsWith('\n}') ? r.slice(1, -1) : r);
    const plain = () => server.streams.get(stream)!.entries.map((e) => Buffer.from(unwrap(e.data.toString())));
    const users = () => server.streams.get(kpl)!.entries.flatMap((e) => deaggregate(e.data, e.partitionKey ?? '').map((u) => Buffer.from(unwrap(u.data.toString()))));
    const want = lines.map((l) => Buffer.from(l));
    const wanted = new Set(want.map((b) => b.toString('latin1')));
    const uniq = (bs: Buffer[]) => new Set(bs.map((b) => b.toString('latin1')).filter((s) => wanted.has(s))).size;
    await until(() => uniq(plain()) >= wanted.size && uniq(users()) >= wanted.size, 'every line', 120_000, () => `${uniq(plain())} ${uniq(users())} of ${wanted.size}\n${agentOutput(agent)()}`);
    const size = statSync(log).size;
    await until(() => checkpointEntries(join(sub, 'cp')).filter((e) => e.offset === size).length === 2, 'both checkpoints at the end', 30_000, agentOutput(agent));
    await sleep(1500);
    expect(check(plain(), want), agentOutput(agent)()).toEqual({ missing: [], unexpected: [] });
    expect(check(users(), want), agentOutput(agent)()).toEqual({ missing: [], unexpected: [] });
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expect(agent.logLines().filter((l) => l.msg === 'configuration reloaded').length).toBe(2);
  }, 240_000);
});
