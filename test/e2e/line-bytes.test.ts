/**
 * Lines as a new user's files have them, through the built CLI to the
 * protocol server: each record must carry exactly the line's bytes (a CRLF
 * ending made LF, nothing else changed), whatever the 256 KiB reads cut
 * through, and the checkpoint must end where the acknowledged lines end.
 * Written against the change that made a line one `Line` object over a
 * range of the chunk read (src/pipeline/line.ts).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Handler, PutEntry, RecordedRequest } from '../servers/aws-protocol-server.ts';
import { AgentProcess } from '../support/agent-process.ts';
import { checkpointAtEndOf, checkpointEntries } from '../support/checkpoints.ts';
import { deaggregate } from '../sink/deaggregate.ts';
import { expectSameRecords, multiByte, trickyLines } from '../support/line-files.ts';
import { agentOutput, agentYaml, numbered, sleep, until, useProtocolServer, type FlowSpec } from '../hardening/support.ts';

const suite = useProtocolServer('lines');
/** A 1 MiB stream's record limit less room for a 256-character partition key (src/sink/limits.ts). */
const KINESIS_MAX = 1024 * 1024 - 256;

const accepted = (stream: string): PutEntry[] => suite.server.streams.get(stream)!.entries;

function start(sub: string, flows: FlowSpec[], top: string[] = []): { agent: AgentProcess; config: string; cp: string } {
  const cp = join(sub, 'cp');
  const config = join(sub, 'agent.yaml');
  writeFileSync(config, agentYaml({ endpoint: suite.server.endpoint, checkpointFile: cp, flows, top }));
  return { agent: suite.track(AgentProcess.start(config)), config, cp };
}

describe('line bytes through the agent (plain path, no processors)', () => {
  it('CR, CRLF across a read boundary, empty lines, multi-read and over-limit lines arrive byte-exact; a rotated unterminated last line gets its LF', async () => {
    const { stream, sub } = suite.newCase(2);
    const log = join(sub, 'app.log');
    const f = trickyLines(KINESIS_MAX);
    writeFileSync(log, f.bytes());
    appendFileSync(log, 'unterminated tail é');
    f.expected.push(Buffer.from('unterminated tail é\n'));

    const { agent, config, cp } = start(sub, [{ filePattern: join(sub, 'app.log*'), stream }]);
    const got = () => accepted(stream).map((e) => e.data);
    await until(() => got().length >= f.expected.length - 1, 'every terminated line', 60_000, agentOutput(agent));
    // Rotated away (rename + create): its last line goes out with an LF once the agent lets go of it.
    renameSync(log, `${log}.1`);
    writeFileSync(log, 'after rotation\n');
    f.expected.push(Buffer.from('after rotation\n'));
    await until(() => got().length >= f.expected.length, 'the unterminated last line and the new file', 90_000, agentOutput(agent));
    await sleep(1500);
    expectSameRecords(got(), f.expected, agentOutput(agent));
    await until(() => checkpointAtEndOf(cp, log), 'the checkpoint at the new file’s end', 20_000);
    expect((await agent.stop()).code, agent.stderr).toBe(0);

    // Everything was acknowledged: a restart sends nothing again.
    const again = suite.track(AgentProcess.start(config));
    await again.waitForLog((l) => l.msg === 'agent started');
    appendFileSync(log, 'after restart\n');
    f.expected.push(Buffer.from('after restart\n'));
    await until(() => got().length >= f.expected.length, 'the line written after the restart', 30_000, agentOutput(again));
    await sleep(1500);
    expect((await again.stop()).code).toBe(0);
    expectSameRecords(got(), f.expected, agentOutput(again));
  });
});

describe('line bytes through each processor', () => {
  it('SINGLELINE, multi-line + SINGLELINE, CSVTOJSON, LOGTOJSON, ADDMETADATA and ADDBRACKETS make byte-exact records of CRLF, multi-byte and multi-read lines', async () => {
    const cases: { name: string; extra: string[]; input: Buffer; want: Buffer[]; streams?: string }[] = [];
    const b = (s: string) => Buffer.from(s, 'utf8');
    const big = 'é€😀'.repeat(40_000); // 360,000 bytes: over one read
    cases.push({
      name: 'single',
      extra: ['dataProcessingOptions: [{optionName: SINGLELINE}]'],
      input: b(`  padded  \r\nplain\n\n\r\n${big}\r\nlast\r\n`),
      want: [b('padded\n'), b('plain\n'), b('\n'), b('\n'), b(`${big}\n`), b('last\n')],
    });
    let frames = '';
    let joined = '';
    for (let i = 0; i < 20_000; i++) {
      frames += `    at frame.é${i}(F.java:${i})\r\n`;
      joined += `at frame.é${i}(F.java:${i})`;
    }
    cases.push({
      name: 'multi',
      extra: ['multiLineStartPattern: "^\\\\d{4}-"', 'dataProcessingOptions: [{optionName: SINGLELINE}]'],
      input: b(`2026-01-01 ERROR boom\r\n\tat a(B.java:1)\r\n  at c\r\n2026-01-01 ERROR deep\r\n${frames}2026-01-01 INFO ok\n2026-01-01 INFO last €\r\n`),
      want: [b('2026-01-01 ERROR boomat a(B.java:1)at c\n'), b(`2026-01-01 ERROR deep${joined}\n`), b('2026-01-01 INFO ok\n'), b('2026-01-01 INFO last €\n')],
    });
    cases.push({
      name: 'csv',
      extra: ['dataProcessingOptions: [{optionName: CSVTOJSON, customFieldNames: [a, b, c]}]'],
      // `"q",`: the trailing empty field goes, as Java's String.split drops it.
      input: b(`1,é€,3\r\nx,${big}\r\n"q",\r\n`),
      want: [b('{"a":"1","b":"é€","c":"3"}\n'), b(`{"a":"x","b":"${big}","c":null}\n`), b('{"a":"\\"q\\"","b":null,"c":null}\n')],
    });
    const apache = '64.242.88.10 - - [07/Mar/2004:16:10:02 -0800] "GET /mailman/listinfo/hsdivision HTTP/1.1" 200 6291';
    cases.push({
      name: 'log',
      extra: ['dataProcessingOptions: [{optionName: LOGTOJSON, logFormat: COMMONAPACHELOG}]'],
      input: b(`${apache}\r\nnot a log line\r\n${apache.replace('hsdivision', big)}\n`),
      want: [
        b('{"host":"64.242.88.10","ident":null,"authuser":null,"datetime":"07/Mar/2004:16:10:02 -0800","request":"GET /mailman/listinfo/hsdivision HTTP/1.1","response":"200","bytes":"6291"}\n'),
        b(`{"host":"64.242.88.10","ident":null,"authuser":null,"datetime":"07/Mar/2004:16:10:02 -0800","request":"GET /mailman/listinfo/${big} HTTP/1.1","response":"200","bytes":"6291"}\n`),
      ],
    });
    cases.push({
      name: 'meta',
      extra: ['dataProcessingOptions: [{optionName: ADDMETADATA, metadata: {env: t}}]'],
      input: b(`hello "q" é\r\ntab\there\n${big}\r\n`),
      want: [b('{"metadata":{"env":"t"},"data":"hello \\"q\\" é"}\n'), b('{"metadata":{"env":"t"},"data":"tab\\there"}\n'), b(`{"metadata":{"env":"t"},"data":"${big}"}\n`)],
    });
    cases.push({
      name: 'brackets',
      extra: ['dataProcessingOptions: [{optionName: ADDBRACKETS}]'],
      input: b(`hello\r\n\n${big}\r\nlone\rcr\n`),
      want: [b('{hello\n}'), b('{\n}'), b(`{${big}\n}`), b('{lone\rcr\n}')],
    });

    const { sub } = suite.newCase();
    const flows: FlowSpec[] = [];
    const streams = new Map<string, string>();
    for (const c of cases) {
      const stream = `lines-proc-${c.name}`;
      suite.server.createStream(stream);
      streams.set(c.name, stream);
      writeFileSync(join(sub, `${c.name}.log`), c.input);
      flows.push({ filePattern: join(sub, `${c.name}.log`), stream, extra: c.extra });
    }
    const { agent, config, cp } = start(sub, flows);
    const total = cases.reduce((n, c) => n + c.want.length, 0);
    const all = () => cases.reduce((n, c) => n + accepted(streams.get(c.name)!).length, 0);
    await until(() => all() >= total, 'every processed record', 60_000, agentOutput(agent));
    await sleep(1500);
    for (const c of cases) expectSameRecords(accepted(streams.get(c.name)!).map((e) => e.data), c.want, () => `${c.name}\n${agentOutput(agent)()}`);
    for (const c of cases) await until(() => checkpointAtEndOf(cp, join(sub, `${c.name}.log`)), `the checkpoint at the end of ${c.name}.log`, 20_000);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    const again = suite.track(AgentProcess.start(config));
    await again.waitForLog((l) => l.msg === 'agent started');
    await sleep(2000);
    expect((await again.stop()).code).toBe(0);
    expect(all()).toBe(total);
  });
});

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('line bytes and partition keys through each packing', () => {
  it('DETERMINISTIC, constant and field keys come from the bytes as sent; KPL aggregates, Firehose (plain and packed) and gzip carry every line byte-exact', async () => {
    const { sub } = suite.newCase();
    const big = 'é€😀'.repeat(30_000); // 270,000 bytes
    let text = `crlf key\r\nsame\nsame\r\n${big}\r\n\n`;
    for (let i = 0; i < 1500; i++) text += i % 3 === 0 ? `k${i % 7},line é ${i}\r\n` : `k${i % 7},line € ${i}\n`;
    const input = Buffer.from(text, 'utf8');
    writeFileSync(join(sub, 'in.log'), input);
    const lines = text.split(/(?<=\n)/).map((l) => Buffer.from(l.replace(/\r\n$/, '\n'), 'utf8'));
    const csv = lines.map((l) => {
      const cols = l.toString('utf8').replace(/\n$/, '').split(',');
      // Java's String.split: trailing empty fields go, but an empty line is one empty field.
      while (cols.length > 1 && cols[cols.length - 1] === '') cols.pop();
      return JSON.stringify({ a: cols[0] ?? null, b: cols[1] ?? null });
    });
    const file = join(sub, 'in.log');
    const kinesis = (name: string, extra: string[]): FlowSpec => {
      suite.server.createStream(`lines-key-${name}`, 4);
      return { filePattern: file, stream: `lines-key-${name}`, extra };
    };
    const firehose = (name: string, extra: string[]): FlowSpec => {
      suite.server.createDeliveryStream(`lines-fh-${name}`);
      return { filePattern: file, stream: `lines-fh-${name}`, firehose: true, extra };
    };
    const flows = [
      kinesis('det', ['partitionKeyOption: DETERMINISTIC']),
      kinesis('const', ['partitionKey: {constant: "web-1"}']),
      kinesis('field', ['partitionKey: {field: a}', 'dataProcessingOptions: [{optionName: CSVTOJSON, customFieldNames: [a, b]}]']),
      kinesis('kpl-det', ['partitionKeyOption: DETERMINISTIC', 'aggregation: true']),
      kinesis('kpl-random', ['aggregation: true']),
      kinesis('gzip', ['compression: gzip']),
      firehose('plain', []),
      firehose('packed', ['aggregatedRecordSizeBytes: 4000']),
    ];
    const { agent, cp } = start(sub, flows);
    const kin = (name: string) => accepted(`lines-key-${name}`);
    const fh = (name: string) => suite.server.deliveryStreams.get(`lines-fh-${name}`)!;
    const userRecords = (name: string) => kin(name).flatMap((e) => deaggregate(e.data, e.partitionKey ?? ''));
    const packedLines = () => fh('packed').flatMap((e) => e.data.toString('latin1').split(/(?<=\n)/).map((l) => Buffer.from(l, 'latin1')));
    await until(
      () =>
        kin('det').length >= lines.length &&
        kin('const').length >= lines.length &&
        kin('field').length >= lines.length &&
        userRecords('kpl-det').length >= lines.length &&
        userRecords('kpl-random').length >= lines.length &&
        kin('gzip').length >= lines.length &&
        fh('plain').length >= lines.length &&
        packedLines().length >= lines.length,
      'every line on every flow',
      60_000,
      agentOutput(agent),
    );
    await sleep(1500);
    const ctx = agentOutput(agent);
    expectSameRecords(kin('det').map((e) => e.data), lines, ctx);
    expect(kin('det').filter((e) => e.partitionKey !== md5(e.data)).map((e) => e.data.subarray(0, 30).toString())).toEqual([]);
    expectSameRecords(kin('const').map((e) => e.data), lines, ctx);
    expect(new Set(kin('const').map((e) => e.partitionKey))).toEqual(new Set(['web-1']));
    expectSameRecords(kin('field').map((e) => e.data), csv.map((j) => Buffer.from(`${j}\n`)), ctx);
    // A record with a field a takes it as its key (its first 256 characters); one without it (null) a random key.
    const fieldMiss = kin('field').filter((e) => {
      const a = (JSON.parse(e.data.toString()) as { a: string | null }).a;
      return a === null || a === '' ? false : e.partitionKey !== Array.from(a).slice(0, 256).join('');
    });
    expect(fieldMiss.map((e) => `${e.partitionKey} ${e.data.toString().slice(0, 40)}`)).toEqual([]);
    expectSameRecords(userRecords('kpl-det').map((r) => r.data), lines, ctx);
    expect(userRecords('kpl-det').filter((r) => r.partitionKey !== md5(r.data)).length).toBe(0);
    expectSameRecords(userRecords('kpl-random').map((r) => r.data), lines, ctx);
    expectSameRecords(kin('gzip').map((e) => gunzipSync(e.data)), lines, ctx);
    expectSameRecords(fh('plain').map((e) => e.data), lines, ctx);
    expectSameRecords(packedLines(), lines, ctx);
    await until(() => checkpointAtEndOf(cp, file), 'the checkpoint at the file’s end', 20_000);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
  });
});

type Chooser = (entry: PutEntry, attempt: number) => boolean;

/** Fails, inside successful answers, the entries `choose` picks (per stream; `attempt` counts from 1 for equal bytes); returns the attempts seen per entry. */
function failChosen(choosers: Map<string, Chooser>): { attempts: Map<string, Map<string, number>>; restore: () => void } {
  const attempts = new Map<string, Map<string, number>>();
  const restores: (() => void)[] = [];
  for (const key of ['Kinesis_20131202.PutRecords', 'Firehose_20150804.PutRecordBatch']) {
    const original = (suite.server as unknown as { handlers: Map<string, Handler> }).handlers.get(key)!;
    suite.server.handle(key, (r: RecordedRequest, srv) => {
      const stream = String(r.body.StreamName ?? r.body.DeliveryStreamName ?? '');
      const choose = choosers.get(stream);
      if (choose) {
        const seen = attempts.get(stream) ?? new Map<string, number>();
        attempts.set(stream, seen);
        r.entries.forEach((e, i) => {
          const k = e.data.toString('latin1');
          const n = (seen.get(k) ?? 0) + 1;
          seen.set(k, n);
          if (choose(e, n)) r.failedIndexes.push(i);
        });
      }
      return original(r, srv);
    });
    restores.push(() => suite.server.handle(key, original));
  }
  return { attempts, restore: () => restores.forEach((f) => f()) };
}

describe('records failed inside answers', () => {
  it('only the failed records are sent again, with their exact bytes (and DETERMINISTIC key), on the plain, KPL, Firehose and gzip paths', async () => {
    const { sub } = suite.newCase();
    let text = '';
    for (let i = 0; i < 3000; i++) text += i % 4 === 0 ? `r ${i} é€\r\n` : `r ${i} ${'x'.repeat(i % 50)}\n`;
    text += `${'😀'.repeat(80_000)}\r\n`; // one line over two reads
    const file = join(sub, 'in.log');
    writeFileSync(file, text);
    const lines = text.split(/(?<=\n)/).map((l) => Buffer.from(l.replace(/\r\n$/, '\n'), 'utf8'));
    const names = { random: 'lines-fail-random', det: 'lines-fail-det', kpl: 'lines-fail-kpl', fh: 'lines-fail-fh', gz: 'lines-fail-gz' };
    suite.server.createStream(names.gz, 2);
    suite.server.createStream(names.random, 2);
    suite.server.createStream(names.det, 2);
    suite.server.createStream(names.kpl, 2);
    suite.server.createDeliveryStream(names.fh);
    // A third of the records fail their first try, one in ten their second too.
    const pick: Chooser = (e, n) => (n === 1 && md5(e.data).charCodeAt(0) % 3 === 0) || (n === 2 && md5(e.data).charCodeAt(1) % 10 === 0);
    const failing = failChosen(new Map(Object.values(names).map((s) => [s, pick])));
    try {
      const { agent, cp } = start(sub, [
        { filePattern: file, stream: names.random, extra: ['maxBufferSizeRecords: 100'] },
        { filePattern: file, stream: names.det, extra: ['partitionKeyOption: DETERMINISTIC', 'maxBufferSizeRecords: 100'] },
        { filePattern: file, stream: names.kpl, extra: ['partitionKeyOption: DETERMINISTIC', 'aggregation: true', 'maxBufferSizeRecords: 20'] },
        { filePattern: file, stream: names.fh, firehose: true, extra: ['maxBufferSizeRecords: 100'] },
        { filePattern: file, stream: names.gz, extra: ['compression: gzip', 'maxBufferSizeRecords: 100'] },
      ]);
      const users = () => accepted(names.kpl).flatMap((e) => deaggregate(e.data, e.partitionKey ?? ''));
      const fh = () => suite.server.deliveryStreams.get(names.fh)!;
      await until(
        () => accepted(names.random).length >= lines.length && accepted(names.det).length >= lines.length && users().length >= lines.length && fh().length >= lines.length && accepted(names.gz).length >= lines.length,
        'every line on every flow',
        60_000,
        agentOutput(agent),
      );
      await until(() => checkpointEntries(cp).filter((e) => e.offset === Buffer.byteLength(text)).length === 5, 'all five checkpoints at the end', 20_000);
      await sleep(1000);
      const ctx = agentOutput(agent);
      expectSameRecords(accepted(names.random).map((e) => e.data), lines, ctx);
      expectSameRecords(accepted(names.det).map((e) => e.data), lines, ctx);
      expect(accepted(names.det).filter((e) => e.partitionKey !== md5(e.data)).length).toBe(0);
      expectSameRecords(users().map((u) => u.data), lines, ctx);
      expectSameRecords(fh().map((e) => e.data), lines, ctx);
      expectSameRecords(accepted(names.gz).map((e) => gunzipSync(e.data)), lines, ctx);
      // Each record was sent once per failure plus once: nothing else was sent again.
      // (gzip: the same compressed bytes each time: a retry does not compress again.)
      for (const s of [names.random, names.det, names.fh, names.gz]) {
        const seen = failing.attempts.get(s)!;
        const wrong = [...seen].filter(([k, n]) => {
          const b = Buffer.from(k, 'latin1');
          const failures = (md5(b).charCodeAt(0) % 3 === 0 ? 1 : 0) + (md5(b).charCodeAt(0) % 3 === 0 && md5(b).charCodeAt(1) % 10 === 0 ? 1 : 0);
          return n !== failures + 1;
        });
        expect(wrong.map(([k, n]) => `${s}: ${n}x ${k.slice(0, 30)}`)).toEqual([]);
        expect(seen.size).toBe(lines.length);
      }
      expect((await agent.stop()).code, agent.stderr).toBe(0);
    } finally {
      failing.restore();
    }
  });

  it('a record that keeps failing holds the checkpoint before its line; after a restart it arrives and nothing before it is sent twice', async () => {
    const { stream, sub } = suite.newCase(2);
    const file = join(sub, 'app.log');
    const before = numbered('before é', 0, 2000).replace(/\n/g, '\r\n');
    const stuck = 'STUCK line €\r\n';
    const after = numbered('after', 0, 2000);
    writeFileSync(file, before + stuck + after);
    const stuckStart = Buffer.byteLength(before);
    const lines = (before + stuck + after).split(/(?<=\n)/).map((l) => l.replace(/\r\n$/, '\n'));
    let holding = true;
    const failing = failChosen(new Map([[stream, (e: PutEntry) => holding && e.data.toString().startsWith('STUCK')]]));
    try {
      const { agent, config, cp } = start(sub, [{ filePattern: file, stream, extra: ['maxBufferSizeRecords: 100', 'retryMaxBackoffMillis: 100'] }]);
      await until(() => accepted(stream).length >= lines.length - 1, 'every line but the stuck one', 60_000, agentOutput(agent));
      // Several checkpoint writes later, the checkpoint is still before the stuck line.
      await sleep(3000);
      const held = checkpointEntries(cp);
      expect(held.length).toBe(1);
      expect(held[0]!.offset).toBeLessThanOrEqual(stuckStart);
      expect(accepted(stream).some((e) => e.data.toString().startsWith('STUCK'))).toBe(false);
      expect(failing.attempts.get(stream)!.get(Buffer.from('STUCK line €\n').toString('latin1'))).toBeGreaterThanOrEqual(3);
      expect((await agent.stop()).code, agent.stderr).toBe(0);
      expect(checkpointEntries(cp)[0]!.offset).toBeLessThanOrEqual(stuckStart);

      holding = false;
      const again = suite.track(AgentProcess.start(config));
      await until(() => accepted(stream).some((e) => e.data.toString().startsWith('STUCK')), 'the stuck line after the restart', 30_000, agentOutput(again));
      await until(() => checkpointAtEndOf(cp, file), 'the checkpoint at the end', 20_000);
      expect((await again.stop()).code).toBe(0);
      const counts = new Map<string, number>();
      for (const e of accepted(stream)) counts.set(e.data.toString(), (counts.get(e.data.toString()) ?? 0) + 1);
      expect(lines.filter((l) => !counts.has(l))).toEqual([]);
      // At least once: only lines from the stuck one on may come twice.
      const twice = lines.filter((l) => (counts.get(l) ?? 0) > 1);
      expect(twice.filter((l) => l.startsWith('before'))).toEqual([]);
      expect(counts.get('STUCK line €\n')).toBe(1);
    } finally {
      failing.restore();
    }
  });
});

/**
 * Appends a burst of 12,000 lines (CRLF, multi-byte, a 270 KB line every
 * 997) in 40-line writes, rotating the file after the first 6,000; returns
 * the records the lines must arrive as.
 */
async function burstWithRotation(log: string, mode: 'rename + create' | 'copytruncate', first: string): Promise<Buffer[]> {
  const want: Buffer[] = [];
  const lineOf = (i: number): string => {
    if (i === 0) return first;
    if (i % 997 === 996) return `${i} ${'é€😀'.repeat(30_000)}\r\n`;
    return i % 5 === 0 ? `${i} crlf é\r\n` : `${i} ${'z'.repeat(i % 90)}\n`;
  };
  for (let i = 0; i < 12_000; i += 40) {
    let chunk = '';
    for (let j = i; j < i + 40; j++) chunk += lineOf(j);
    if (i === 6_000) {
      if (mode === 'rename + create') {
        renameSync(log, `${log}.1`);
        writeFileSync(log, '');
      } else {
        // As logrotate does it: copy, then truncate at once.
        copyFileSync(log, `${log}.1`);
        truncateSync(log, 0);
      }
    }
    appendFileSync(log, chunk);
    for (const l of chunk.split(/(?<=\n)/)) want.push(Buffer.from(l.replace(/\r\n$/, '\n'), 'utf8'));
    await sleep(2);
  }
  return want;
}

async function expectBurstOnce(mode: 'rename + create' | 'copytruncate', first: string): Promise<void> {
  const { stream, sub } = suite.newCase(2);
  const log = join(sub, 'app.log');
  writeFileSync(log, '');
  const { agent, cp } = start(sub, [{ filePattern: join(sub, 'app.log*'), stream, extra: ['maxBufferSizeRecords: 200'] }]);
  await agent.waitForLog((l) => l.msg === 'agent started');
  const want = await burstWithRotation(log, mode, first);
  await until(() => accepted(stream).length >= want.length, 'every line of the burst', 90_000, agentOutput(agent));
  await until(() => checkpointAtEndOf(cp, log), 'the checkpoint at the live file’s end', 20_000);
  await sleep(1500);
  const got = accepted(stream).map((e) => e.data);
  expect((await agent.stop()).code, agent.stderr).toBe(0);
  expectSameRecords(got, want, agentOutput(agent));
}

describe('rotation in the middle of a burst', () => {
  for (const mode of ['rename + create', 'copytruncate'] as const) {
    it(`${mode}: every line of a burst with CRLF, multi-byte and multi-read lines arrives exactly once, byte-exact`, async () => {
      await expectBurstOnce(mode, 'first line\r\n');
    });
  }

  /**
   * Found by this test (3794a24 and before read every line of the copy
   * again): a copy whose first line is longer than the 1 KiB fingerprint is
   * recognised by the whole fingerprint (fingerprint.ts prefixKey).
   */
  it('copytruncate of a file whose first line is over 1 KiB: nothing arrives twice', async () => {
    await expectBurstOnce('copytruncate', `${'h'.repeat(2000)}\n`);
  });
});

describe('line bytes at the limits and through the line assembler', () => {
  it('Firehose lines at and over its 1,024,000-byte limit, an over-limit multi-line record, CRLF header lines, CRI partial lines over reads, and DETERMINISTIC keys of processed bytes arrive byte-exact', async () => {
    const { sub } = suite.newCase();
    const b = (s: string) => Buffer.from(s, 'utf8');
    const lf = b('\n');
    const flows: FlowSpec[] = [];
    const cases: { stream: string; firehose?: boolean; want: Buffer[]; keys?: (e: PutEntry) => boolean }[] = [];
    const add = (name: string, input: Buffer, want: Buffer[], extra: string[], opts: { firehose?: boolean; keys?: (e: PutEntry) => boolean } = {}) => {
      const stream = `lines-edge-${name}`;
      if (opts.firehose) suite.server.createDeliveryStream(stream);
      else suite.server.createStream(stream, 2);
      writeFileSync(join(sub, `${name}.log`), input);
      flows.push({ filePattern: join(sub, `${name}.log`), stream, firehose: opts.firehose ?? false, extra });
      cases.push({ stream, want, ...opts });
    };

    const FIREHOSE_MAX = 1_024_000;
    // A CRLF line one byte over the limit as written, exactly at it as sent.
    const atLimit = Buffer.concat([multiByte(FIREHOSE_MAX - 1), b('\r\n')]);
    const whole = Buffer.concat([Buffer.alloc(FIREHOSE_MAX - 1, 'w'), lf]);
    const over = Buffer.concat([Buffer.alloc(FIREHOSE_MAX, 'o'), lf]);
    add(
      'firehose',
      Buffer.concat([b('first\r\n'), atLimit, whole, over, b('last\n')]),
      [b('first\n'), Buffer.concat([atLimit.subarray(0, -2), lf]), whole, Buffer.concat([over.subarray(0, FIREHOSE_MAX - 1), lf]), b('last\n')],
      [],
      { firehose: true },
    );

    let cont = '';
    for (let i = 0; i < 20_000; i++) cont += `  continuation é€ ${String(i).padStart(6, '0')} ${'-'.repeat(30)}\r\n`;
    const bigRecord = b(`START big\n${cont.replace(/\r\n/g, '\n')}`);
    add(
      'multi-over',
      b(`START one\r\n  two\r\nSTART big\r\n${cont}START after\r\n  tail é\r\n`),
      [b('START one\n  two\n'), Buffer.concat([bigRecord.subarray(0, KINESIS_MAX - 1), lf]), b('START after\n  tail é\n')],
      ['multiLineStartPattern: "^START"'],
    );

    add('header', b('h1,h2\r\nsecond header\r\nrow é\r\n\r\nrow 2\n'), [b('row é\n'), b('\n'), b('row 2\n')], ['skipHeaderLines: 2']);

    const part = 'é€😀'.repeat(20_000); // 180,000 bytes: four parts span two reads
    const cri = [
      `2026-11-30T12:00:00.0Z stdout F short one\n`,
      `2026-11-30T12:00:01.0Z stdout P ${part}\n`,
      `2026-11-30T12:00:01.1Z stdout P ${part}\n`,
      `2026-11-30T12:00:01.2Z stdout P ${part}\n`,
      `2026-11-30T12:00:01.3Z stdout F ${part} end\n`,
      `2026-11-30T12:00:02.0Z stderr F after\n`,
    ].join('');
    add('cri', b(cri), [b('short one\n'), b(`${part.repeat(4)} end\n`), b('after\n')], ['containerFormat: cri']);

    const bracketLines = ['a\r\n', 'same\n', 'same\r\n', `${'€'.repeat(100_000)}\r\n`, '\n'];
    add(
      'det-brackets',
      b(bracketLines.join('')),
      bracketLines.map((l) => b(`{${l.replace(/\r\n$/, '\n')}}`)),
      ['partitionKeyOption: DETERMINISTIC', 'dataProcessingOptions: [{optionName: ADDBRACKETS}]'],
      { keys: (e) => e.partitionKey === md5(e.data) },
    );

    const { agent } = start(sub, flows);
    const stored = (c: (typeof cases)[number]) => (c.firehose ? suite.server.deliveryStreams.get(c.stream)! : accepted(c.stream));
    await until(() => cases.every((c) => stored(c).length >= c.want.length), 'every record of every flow', 60_000, agentOutput(agent));
    await sleep(1500);
    for (const c of cases) {
      expectSameRecords(stored(c).map((e) => e.data), c.want, () => `${c.stream}\n${agentOutput(agent)()}`);
      if (c.keys) expect(stored(c).filter((e) => !c.keys!(e)).length, c.stream).toBe(0);
    }
    expect((await agent.stop()).code, agent.stderr).toBe(0);
  });
});

describe('multi-line records and ADDEC2METADATA through the CLI', () => {
  it('a multi-line burst rotated (rename + create) in the middle of a record: each line arrives once, and no record joins lines of two files', async () => {
    const { stream, sub } = suite.newCase(2);
    const log = join(sub, 'app.log');
    writeFileSync(log, '');
    const { agent } = start(sub, [{ filePattern: join(sub, 'app.log*'), stream, extra: ['multiLineStartPattern: "^START"', 'maxBufferSizeRecords: 100'] }]);
    await agent.waitForLog((l) => l.msg === 'agent started');
    const want: string[] = [];
    let tag = 'A';
    for (let r = 0; r < 3000; r++) {
      let rec = `START ${tag} ${r} é\r\n`;
      const n = r % 7 === 0 ? 800 : r % 4; // every 7th record spans a read or more
      for (let k = 0; k < n; k++) rec += `  ${tag} ${r}.${k} ${'€'.repeat(k % 40)}\r\n`;
      appendFileSync(log, rec);
      want.push(...rec.split(/(?<=\n)/).map((l) => l.replace(/\r\n$/, '\n')));
      if (r === 1500) {
        // The rotated file ends in the middle of a record; the new file begins with its continuation lines.
        renameSync(log, `${log}.1`);
        tag = 'B';
        const cont = `  B orphan 1\r\n  B orphan 2 😀\r\n`;
        writeFileSync(log, cont);
        want.push(...cont.split(/(?<=\n)/).map((l) => l.replace(/\r\n$/, '\n')));
      }
      if (r % 50 === 0) await sleep(1);
    }
    const lines = () => accepted(stream).flatMap((e) => e.data.toString().split(/(?<=\n)/));
    await until(() => lines().length >= want.length, 'every line', 90_000, agentOutput(agent));
    await sleep(2500);
    const got = accepted(stream).map((e) => e.data.toString());
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectSameRecords(lines().map((l) => Buffer.from(l)), want.map((l) => Buffer.from(l)), agentOutput(agent));
    const mixed = got.filter((r) => r.includes(' A ') && r.includes(' B '));
    expect(mixed.map((r) => r.slice(0, 60))).toEqual([]);
    // Records start at a START line, but for the orphan lines the new file begins with.
    expect(got.filter((r) => !r.startsWith('START') && !r.startsWith('  B orphan')).map((r) => r.slice(0, 60))).toEqual([]);
  }, 120_000);

  it('ADDEC2METADATA adds the instance identity to CRLF and multi-read JSON lines and sends other lines as read', async () => {
    const { FakeImds } = await import('../process/fake-imds.ts');
    const imds = await new FakeImds().start();
    try {
      const { stream, sub } = suite.newCase();
      const big = 'é€😀'.repeat(40_000);
      writeFileSync(join(sub, 'app.log'), `{"msg":"a é"}\r\nnot json\r\n{"msg":"${big}","n":1}\r\n{}\n`);
      const cp = join(sub, 'cp');
      const config = join(sub, 'agent.yaml');
      writeFileSync(
        config,
        agentYaml({
          endpoint: suite.server.endpoint,
          checkpointFile: cp,
          flows: [{ filePattern: join(sub, 'app.log'), stream, extra: ['dataProcessingOptions: [{optionName: ADDEC2METADATA, logFormat: SYSLOG, tags: false}]'] }],
        }),
      );
      const agent = suite.track(AgentProcess.start(config, { AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint }));
      await until(() => accepted(stream).length >= 4, 'four records', 30_000, agentOutput(agent));
      await sleep(1000);
      expect((await agent.stop()).code, agent.stderr).toBe(0);
      const identity =
        ',"privateIp":"10.0.1.23","availabilityZone":"eu-west-1a","instanceId":"i-0123456789abcdef0","instanceType":"m5.large","accountId":"123456789012","amiId":"ami-0abcdef1234567890","region":"eu-west-1","metadataTimestamp":"TS"}\n';
      const got = accepted(stream).map((e) => e.data.toString().replace(/"metadataTimestamp":"[^"]*"/, '"metadataTimestamp":"TS"'));
      expect(got.sort()).toEqual(
        [`{"msg":"a é"${identity}`, 'not json\n', `{"msg":"${big}","n":1${identity}`, `{${identity.slice(1)}`].sort(),
      );
    } finally {
      await imds.stop();
    }
  });
});

describe('a stream whose record limit was raised', () => {
  it('at 2048 KiB a 1.5 MiB line goes whole (also when failed once and sent again) and a 3 MiB line is cut at 2 MiB less 256', async () => {
    const { sub } = suite.newCase();
    const stream = 'lines-raised';
    suite.server.createStream(stream, 2, 2048);
    const max = 2048 * 1024 - 256;
    const mid = Buffer.concat([multiByte(1536 * 1024), Buffer.from('\r\n')]);
    const huge = Buffer.concat([multiByte(3 * 1024 * 1024), Buffer.from('\n')]);
    writeFileSync(join(sub, 'big.log'), Buffer.concat([Buffer.from('small\r\n'), mid, huge, Buffer.from('end\n')]));
    const want = [Buffer.from('small\n'), Buffer.concat([mid.subarray(0, -2), Buffer.from('\n')]), Buffer.concat([huge.subarray(0, max - 1), Buffer.from('\n')]), Buffer.from('end\n')];
    const failing = failChosen(new Map([[stream, (e: PutEntry, n: number) => n === 1 && e.data.length > 1024 * 1024]]));
    try {
      const { agent } = start(sub, [{ filePattern: join(sub, 'big.log'), stream, extra: ['partitionKeyOption: DETERMINISTIC'] }]);
      await until(() => accepted(stream).length >= want.length, 'four records', 60_000, agentOutput(agent));
      await sleep(1000);
      expect((await agent.stop()).code, agent.stderr).toBe(0);
      expectSameRecords(accepted(stream).map((e) => e.data), want, agentOutput(agent));
      expect(accepted(stream).filter((e) => e.partitionKey !== md5(e.data)).length).toBe(0);
      // Both big records failed once and were sent again.
      expect([...failing.attempts.get(stream)!.values()].filter((n) => n === 2).length).toBe(2);
    } finally {
      failing.restore();
    }
  });
});

describe('lines written in pieces', () => {
  it('a writer that flushes lines in pieces (a CR alone, half a UTF-8 character, the LF later) gets each line once, byte-exact, plain and multi-line', async () => {
    const { sub } = suite.newCase();
    for (const s of ['lines-pieces-plain', 'lines-pieces-multi']) suite.server.createStream(s);
    const plain = join(sub, 'plain.log');
    const multi = join(sub, 'multi.log');
    writeFileSync(plain, '');
    writeFileSync(multi, '');
    const { agent } = start(sub, [
      { filePattern: plain, stream: 'lines-pieces-plain' },
      { filePattern: multi, stream: 'lines-pieces-multi', extra: ['multiLineStartPattern: "^START"'] },
    ]);
    await agent.waitForLog((l) => l.msg === 'agent started');
    const euro = Buffer.from('€', 'utf8'); // 3 bytes
    const pieces: Buffer[] = [
      Buffer.from('one '),
      Buffer.concat([Buffer.from('half '), euro.subarray(0, 1)]),
      Buffer.concat([euro.subarray(1), Buffer.from(' then CR\r')]),
      Buffer.from('\nSTART two\r'),
      Buffer.from('\n  cont é'),
      Buffer.from('\r\n  more\r\nSTART three'),
      Buffer.from(' 😀\n'),
    ];
    for (const p of pieces) {
      appendFileSync(plain, p);
      appendFileSync(multi, p);
      await sleep(400);
    }
    const wantPlain = ['one half € then CR\n', 'START two\n', '  cont é\n', '  more\n', 'START three 😀\n'].map((s) => Buffer.from(s));
    const wantMulti = ['one half € then CR\n', 'START two\n  cont é\n  more\n', 'START three 😀\n'].map((s) => Buffer.from(s));
    await until(
      () => accepted('lines-pieces-plain').length >= wantPlain.length && accepted('lines-pieces-multi').length >= wantMulti.length,
      'every line',
      30_000,
      agentOutput(agent),
    );
    await sleep(1000);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expectSameRecords(accepted('lines-pieces-plain').map((e) => e.data), wantPlain, agentOutput(agent));
    expectSameRecords(accepted('lines-pieces-multi').map((e) => e.data), wantMulti, agentOutput(agent));
  });
});

describe('skipped lines beside a failing one', () => {
  it('lines LOGTOJSON skips (acknowledged at once) after a record that keeps failing do not move the checkpoint past it; once it goes through, the checkpoint reaches the end', async () => {
    const { stream, sub } = suite.newCase();
    const file = join(sub, 'access.log');
    const ok = (i: number, path: string) => `64.242.88.10 - - [07/Mar/2004:16:10:02 -0800] "GET /${path}/${i} HTTP/1.1" 200 ${i}\r\n`;
    let text = '';
    for (let i = 0; i < 300; i++) text += ok(i, 'before');
    const stuckStart = Buffer.byteLength(text);
    text += ok(0, 'STUCK');
    for (let i = 0; i < 300; i++) text += i % 2 ? ok(i, 'after') : `not an access line ${i}\r\n`;
    writeFileSync(file, text);
    let holding = true;
    const failing = failChosen(new Map([[stream, (e: PutEntry) => holding && e.data.includes('STUCK')]]));
    try {
      const { agent, cp } = start(sub, [
        { filePattern: file, stream, extra: ['retryMaxBackoffMillis: 100', 'dataProcessingOptions: [{optionName: LOGTOJSON, logFormat: COMMONAPACHELOG}]'] },
      ]);
      await until(() => accepted(stream).length >= 450, 'every matching line but the stuck one', 30_000, agentOutput(agent));
      await sleep(3000);
      expect(checkpointEntries(cp).map((e) => e.offset <= stuckStart)).toEqual([true]);
      holding = false;
      await until(() => checkpointAtEndOf(cp, file), 'the checkpoint at the end once the stuck record went through', 30_000, agentOutput(agent));
      expect((await agent.stop()).code, agent.stderr).toBe(0);
      const got = accepted(stream).map((e) => e.data.toString());
      expect(got.length).toBe(451);
      expect(new Set(got).size).toBe(451);
      expect(got.filter((r) => r.includes('STUCK')).length).toBe(1);
    } finally {
      failing.restore();
    }
  });
});

describe('a reload that adds or removes the processors of a flow in a burst', () => {
  it('each line arrives once, bracketed or plain (no process stage) as the flow that read it was configured', async () => {
    const { stream, sub } = suite.newCase(2);
    const log = join(sub, 'app.log');
    writeFileSync(log, '');
    const cp = join(sub, 'cp');
    const config = join(sub, 'agent.yaml');
    const write = (processors: boolean) =>
      writeFileSync(
        config,
        agentYaml({
          endpoint: suite.server.endpoint,
          checkpointFile: cp,
          flows: [{ filePattern: log, stream, extra: ['maxBufferSizeRecords: 100', ...(processors ? ['dataProcessingOptions: [{optionName: ADDBRACKETS}]'] : [])] }],
        }),
      );
    write(true);
    const agent = suite.track(AgentProcess.start(config));
    await agent.waitForLog((l) => l.msg === 'agent started');
    const lines: string[] = [];
    for (let i = 0; i < 9000; i += 100) {
      let chunk = '';
      for (let j = i; j < i + 100; j++) chunk += j % 4 === 0 ? `${j} é€😀\r\n` : `${j} ${'q'.repeat(j % 60)}\n`;
      appendFileSync(log, chunk);
      lines.push(...chunk.split(/(?<=\n)/).map((l) => l.replace(/\r\n$/, '\n')));
      if (i === 3000 || i === 6000) {
        write(i === 6000);
        agent.child.kill('SIGHUP');
      }
      await sleep(3);
    }
    const got = () => accepted(stream).map((e) => e.data.toString());
    await until(() => got().length >= lines.length, 'every line', 60_000, agentOutput(agent));
    await sleep(1500);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
    expect(agent.logLines().filter((l) => l.msg === 'configuration reloaded').length).toBe(2);
    // Each line once, bracketed or not; nothing else.
    const unwrap = (r: string) => (r.startsWith('{') && r.endsWith('\n}') ? r.slice(1, -1) : r);
    const records = got();
    expectSameRecords(records.map((r) => Buffer.from(unwrap(r))), lines.map((l) => Buffer.from(l)), agentOutput(agent));
    const plain = records.filter((r) => !r.startsWith('{')).length;
    expect(plain).toBeGreaterThan(0);
    expect(plain).toBeLessThan(lines.length);
  });
});
