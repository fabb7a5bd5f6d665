/**
 * Faults at the destination, injected by the protocol server while the real
 * CLI ships a file: every line arrives once the fault clears, and the
 * server's store of accepted records shows nothing accepted twice.
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Handler } from '../servers/aws-protocol-server.ts';
import { AgentProcess } from '../support/agent-process.ts';
import { checkpointAtEndOf } from '../support/checkpoints.ts';
import { freePort } from '../support/free-port.ts';
import { deaggregate } from '../sink/deaggregate.ts';
import { agentYaml, expectExactlyOnce, hasMsg, numbered, splitLines, tally, until, useProtocolServer } from './support.ts';

const suite = useProtocolServer('dest');
let n = 0;

interface Setup {
  stream: string;
  log: string;
  config: string;
  lines: string[];
  agent: AgentProcess;
}

/** A stream, a file of `count` lines and an agent shipping it. */
function start(count: number, opts: { top?: string[]; extra?: string[]; firehose?: boolean; shards?: number; endpoint?: string } = {}): Setup {
  const stream = `fault-${++n}`;
  if (opts.firehose) suite.server.createDeliveryStream(stream);
  else suite.server.createStream(stream, opts.shards ?? 2);
  const sub = join(suite.dir, stream);
  const log = join(sub, 'app.log');
  const config = join(sub, 'agent.yaml');
  rmSync(sub, { recursive: true, force: true });
  mkdirSync(sub, { recursive: true });
  const text = numbered(stream, 0, count);
  writeFileSync(log, text);
  writeFileSync(
    config,
    agentYaml({
      endpoint: opts.endpoint ?? suite.server.endpoint,
      checkpointFile: join(sub, 'cp'),
      flows: [{ filePattern: log, stream, firehose: opts.firehose ?? false, extra: ['maxBufferSizeRecords: 50', ...(opts.extra ?? [])] }],
      top: opts.top ?? [],
    }),
  );
  const agent = AgentProcess.start(config, { KINESIS_AGENT_LOG_LEVEL: 'info' });
  suite.track(agent);
  return { stream, log, config, lines: splitLines(text), agent };
}

function accepted(s: Setup) {
  return suite.server.streams.get(s.stream)?.entries ?? suite.server.deliveryStreams.get(s.stream) ?? [];
}

function putCalls(s: Setup) {
  return suite.server.requests.filter(
    (r) => (r.operation === 'PutRecords' && r.body.StreamName === s.stream) || (r.operation === 'PutRecordBatch' && r.body.DeliveryStreamName === s.stream),
  );
}

function detail(s: Setup): () => string {
  return () => `accepted ${accepted(s).length}/${s.lines.length}; calls ${putCalls(s).map((c) => c.status).join(',')}\nstdout:\n${s.agent.stdout.slice(-4000)}\nstderr:\n${s.agent.stderr}`;
}

/**
 * Runs the fault until the agent has met it `failedCalls` times, clears it,
 * waits for every line, stops the agent (exit 0) and returns.
 */
async function faultThenClear(s: Setup, failedCalls: number): Promise<void> {
  await until(() => putCalls(s).length >= failedCalls, `${failedCalls} calls meeting the fault`, 30_000, detail(s));
  suite.server.clearFaults();
  await until(() => accepted(s).length >= s.lines.length, 'every line accepted', 30_000, detail(s));
  const exit = await s.agent.stop('SIGTERM');
  expect(exit.code, s.agent.stderr).toBe(0);
}

describe('destination faults: every line arrives once the fault clears', () => {
  it('survives a storm of 500s and 503s, logging the failure once and the recovery once', async () => {
    suite.server.setFaults({ kind: 'status', status: 500 }, { kind: 'status', status: 503, type: 'ServiceUnavailable' });
    const s = start(400);
    await faultThenClear(s, 12);
    expectExactlyOnce(accepted(s), s.lines);
    const lines = s.agent.logLines();
    expect(lines.filter(hasMsg('delivery failing')).length).toBe(1);
    expect(lines.filter(hasMsg('delivery resumed')).length).toBe(1);
  });

  it('survives throttling of every call', async () => {
    suite.server.setFaults({ kind: 'throttle' });
    const s = start(400);
    await faultThenClear(s, 12);
    expectExactlyOnce(accepted(s), s.lines);
    expect(s.agent.logLines().filter(hasMsg('throttling')).length).toBe(1);
  });

  it('survives throttling of some records inside answers, re-sending only those', async () => {
    suite.server.setFaults({ kind: 'failRecords', fraction: 0.5 });
    const s = start(400);
    await faultThenClear(s, 10);
    expectExactlyOnce(accepted(s), s.lines);
  });

  it('re-sends exactly the failed KPL aggregates: every line once after de-aggregation', async () => {
    // The first answer fails every aggregate, then half of them fail at random.
    suite.server.setFaults({ kind: 'failRecords', fraction: 1, times: 1, operations: ['PutRecords'] }, { kind: 'failRecords', fraction: 0.5, operations: ['PutRecords'] });
    const s = start(2000, { extra: ['aggregation: true', 'partitionKeyOption: DETERMINISTIC'], shards: 4 });
    const lines = () => accepted(s).flatMap((e) => deaggregate(e.data, e.partitionKey ?? ''));
    // Half of the entries of every answer fail, for as long as it takes.
    await until(() => lines().length >= s.lines.length, 'every line accepted', 30_000, detail(s));
    suite.server.clearFaults();
    expect(putCalls(s).some((c) => c.failedIndexes.length > 0)).toBe(true);
    expect((await s.agent.stop('SIGTERM')).code, s.agent.stderr).toBe(0);
    expectExactlyOnce(lines(), s.lines);
  });

  it('re-sends exactly the failed Firehose packs: every line once after unpacking', async () => {
    suite.server.setFaults(
      { kind: 'failRecords', fraction: 1, times: 1, code: 'ServiceUnavailableException' },
      { kind: 'failRecords', fraction: 0.5, code: 'ServiceUnavailableException' },
    );
    const s = start(2000, { firehose: true, extra: ['aggregatedRecordSizeBytes: 2000'] });
    const lines = () => accepted(s).flatMap((e) => splitLines(e.data.toString('latin1')).map((l) => ({ data: Buffer.from(l, 'latin1') })));
    // Half of the entries of every answer fail, for as long as it takes.
    await until(() => lines().length >= s.lines.length, 'every line accepted', 30_000, detail(s));
    suite.server.clearFaults();
    expect(putCalls(s).some((c) => c.failedIndexes.length > 0)).toBe(true);
    expect((await s.agent.stop('SIGTERM')).code, s.agent.stderr).toBe(0);
    expect(accepted(s).length).toBeLessThan(s.lines.length / 10);
    expectExactlyOnce(lines(), s.lines);
  });

  it('survives Firehose 5xx and ServiceUnavailable', async () => {
    suite.server.setFaults({ kind: 'status', status: 500 }, { kind: 'throttle' });
    const s = start(300, { firehose: true });
    await faultThenClear(s, 10);
    expectExactlyOnce(accepted(s), s.lines);
  });

  it('survives connection resets', async () => {
    suite.server.setFaults({ kind: 'reset' });
    const s = start(400);
    await faultThenClear(s, 10);
    expectExactlyOnce(accepted(s), s.lines);
  });

  it('survives malformed answers', async () => {
    suite.server.setFaults({ kind: 'malformed' });
    const s = start(400);
    await faultThenClear(s, 10);
    expectExactlyOnce(accepted(s), s.lines);
  });

  it('treats answers that parse but do not add up (too few results, no sequence numbers, HTML) as failures, never as success', async () => {
    const key = 'Kinesis_20131202.PutRecords';
    const handlers = (suite.server as unknown as { handlers: Map<string, Handler> }).handlers;
    const original = handlers.get(key)!;
    let bogus = 0;
    const answers = [
      { status: 200, body: { FailedRecordCount: 0, Records: [] } },
      { status: 200, body: { FailedRecordCount: 0, Records: Array.from({ length: 50 }, () => ({})) } },
      { status: 200, body: '<html><body>Gateway says hi</body></html>', contentType: 'text/html' },
      { status: 200, body: 'null' },
    ];
    suite.server.handle(key, (r, srv) => (bogus < 12 ? answers[bogus++ % answers.length]! : original(r, srv)));
    try {
      const s = start(400);
      await until(() => accepted(s).length >= s.lines.length, 'every line accepted', 30_000, detail(s));
      expect((await s.agent.stop('SIGTERM')).code, s.agent.stderr).toBe(0);
      expect(bogus).toBe(12);
      expectExactlyOnce(accepted(s), s.lines);
    } finally {
      suite.server.handle(key, original);
    }
  });

  it('waits for a stream deleted mid-run to exist again, logging it once, and loses nothing', async () => {
    const s = start(100, { extra: ['retryMaxBackoffMillis: 300'] });
    await until(() => accepted(s).length >= 100, 'the first lines', 30_000, detail(s));
    const kept = suite.server.streams.get(s.stream)!;
    suite.server.streams.delete(s.stream);
    appendFileSync(s.log, numbered(s.stream, 100, 300));
    s.lines.push(...splitLines(numbered(s.stream, 100, 300)));
    await s.agent.waitForLog((l) => l.code === 'DESTINATION_NOT_FOUND');
    const before = putCalls(s).length;
    await until(() => putCalls(s).length >= before + 4, 'retries against the missing stream', 30_000, detail(s));
    suite.server.streams.set(s.stream, kept);
    await until(() => accepted(s).length >= s.lines.length, 'every line accepted', 30_000, detail(s));
    expect((await s.agent.stop('SIGTERM')).code, s.agent.stderr).toBe(0);
    expectExactlyOnce(accepted(s), s.lines);
    expect(s.agent.logLines().filter((l) => l.code === 'DESTINATION_NOT_FOUND').length).toBe(1);
  });

  it('survives the endpoint going away (connections refused, kept-alive sockets cut) and coming back', async () => {
    // A forwarder in front of the server plays the endpoint that goes down and up.
    const port = await freePort();
    const sockets = new Set<Socket>();
    const target = new URL(suite.server.endpoint);
    const forwarder = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    const listen = () => new Promise<void>((resolve) => forwarder.listen(port, '127.0.0.1', () => resolve()));
    await listen();
    const s = start(100, { endpoint: `http://127.0.0.1:${port}`, extra: ['retryMaxBackoffMillis: 300'] });
    try {
      await until(() => accepted(s).length >= 100, 'the first lines', 30_000, detail(s));
      // Cut only once the agent holds the answers: a call the server stored
      // whose answer the cut swallows is re-sent, which at-least-once allows.
      await until(() => checkpointAtEndOf(join(s.log, '..', 'cp'), s.log), 'the first lines acknowledged', 30_000, detail(s));
      const closed = new Promise<void>((resolve) => forwarder.close(() => resolve()));
      sockets.forEach((x) => x.destroy());
      await closed;
      appendFileSync(s.log, numbered(s.stream, 100, 300));
      s.lines.push(...splitLines(numbered(s.stream, 100, 300)));
      await s.agent.waitForLog(hasMsg('delivery failing'));
      await listen();
      await until(() => accepted(s).length >= s.lines.length, 'every line accepted', 30_000, detail(s));
      expect((await s.agent.stop('SIGTERM')).code, s.agent.stderr).toBe(0);
      expectExactlyOnce(accepted(s), s.lines);
    } finally {
      forwarder.close();
      sockets.forEach((x) => x.destroy());
    }
  });

  it('survives answers slower than socketTimeoutMillis; only the calls it gave up on can repeat', async () => {
    // The server still stores what a call carried after the agent gave up on
    // it: at-least-once allows exactly those records twice, no others. The
    // calls given up on are the slow ones, and on a loaded machine any other
    // whose answer the agent had not read within the 300 ms: those whose
    // connection it closed (a loop under load saw 100 to 250 lines of calls
    // the server answered at once stored twice).
    const slowCalls = 3;
    suite.server.setFaults({ kind: 'delay', ms: 1500, times: slowCalls, operations: ['PutRecords'] });
    const s = start(400, { top: ['socketTimeoutMillis: 300', 'connectionTimeoutMillis: 300'] });
    await until(() => accepted(s).length >= s.lines.length && putCalls(s).length > slowCalls, 'every line accepted', 30_000, detail(s));
    // Let the slow calls finish storing before counting.
    await until(() => putCalls(s).slice(0, slowCalls).every((c) => c.status !== 0), 'slow calls answered', 10_000, detail(s));
    // Taken before the stop, which closes the connections of calls it did not give up on.
    const givenUp = putCalls(s).filter((c, i) => i < slowCalls || c.closedByClient);
    const exit = await s.agent.stop('SIGTERM');
    expect(exit.code, s.agent.stderr).toBe(0);
    const t = tally(accepted(s), s.lines);
    expect({ missing: t.missing, unexpected: t.unexpected }).toEqual({ missing: 0, unexpected: 0 });
    const mayRepeat = new Map<string, number>();
    for (const line of givenUp.flatMap((c) => c.entries.map((e) => e.data.toString('latin1')))) mayRepeat.set(line, (mayRepeat.get(line) ?? 0) + 1);
    const repeatedElsewhere = [...t.counts].filter(([line, count]) => count > 1 + (mayRepeat.get(line) ?? 0));
    expect(repeatedElsewhere, `${givenUp.length} calls given up on`).toEqual([]);
    expect(s.agent.logLines().some(hasMsg('delivery failing'))).toBe(true);
  });

  it('survives session credentials that expire mid-run and are accepted again', async () => {
    const s = start(100, {
      top: ['awsAccessKeyId: AKIAEXPIRING00000000', 'awsSecretAccessKey: expiringSecret0123456789', 'awsSessionToken: sessionTokenValue0123456789'],
      extra: ['retryMaxBackoffMillis: 300'],
    });
    await until(() => accepted(s).length >= 100, 'the first lines', 30_000, detail(s));
    suite.server.setFaults({ kind: 'status', status: 400, type: 'ExpiredTokenException' });
    const more = numbered(s.stream, 100, 300);
    appendFileSync(s.log, more);
    s.lines.push(...splitLines(more));
    const before = putCalls(s).length;
    await until(() => putCalls(s).length >= before + 5, 'calls meeting the expired token', 30_000, detail(s));
    suite.server.clearFaults();
    await until(() => accepted(s).length >= s.lines.length, 'every line accepted', 30_000, detail(s));
    expect((await s.agent.stop('SIGTERM')).code, s.agent.stderr).toBe(0);
    expectExactlyOnce(accepted(s), s.lines);
    const errors = s.agent.logLines().filter((l) => l.code === 'INVALID_CREDENTIALS');
    expect(errors.length).toBe(1);
    expect(s.agent.logLines().some(hasMsg('delivery resumed'))).toBe(true);
    // The token went out with the calls, never into a log line.
    expect(putCalls(s).at(-1)?.headers['x-amz-security-token']).toBe('sessionTokenValue0123456789');
    expect(s.agent.stdout + s.agent.stderr).not.toContain('expiringSecret0123456789');
    expect(s.agent.stdout + s.agent.stderr).not.toContain('sessionTokenValue0123456789');
  });

  it('keeps other flows going while one endpoint does not resolve, and ships it once fixed', async () => {
    const good = `fault-${++n}`;
    const bad = `fault-${++n}`;
    suite.server.createStream(good);
    suite.server.createStream(bad);
    const sub = join(suite.dir, 'dns');
    mkdirSync(sub, { recursive: true });
    const goodLog = join(sub, 'good.log');
    const badLog = join(sub, 'bad.log');
    writeFileSync(goodLog, numbered(good, 0, 200));
    writeFileSync(badLog, numbered(bad, 0, 200));
    const config = join(sub, 'agent.yaml');
    const yaml = (badEndpoint: string) =>
      agentYaml({
        endpoint: suite.server.endpoint,
        checkpointFile: join(sub, 'cp'),
        flows: [
          { filePattern: goodLog, stream: good, extra: ['name: good'] },
          { filePattern: badLog, stream: bad, extra: ['name: bad', `kinesis.endpoint: ${badEndpoint}`] },
        ],
        top: ['connectionTimeoutMillis: 1000', 'socketTimeoutMillis: 1000', 'shutdownTimeoutMillis: 1500'],
      });
    writeFileSync(config, yaml('http://nonexistent.invalid:1'));
    const agent = AgentProcess.start(config);
    suite.track(agent);
    const goodAccepted = () => suite.server.streams.get(good)!.entries;
    const badAccepted = () => suite.server.streams.get(bad)!.entries;
    await until(() => goodAccepted().length >= 200, 'the good flow', 30_000, () => agent.stdout);
    await agent.waitForLog(hasMsg('delivery failing'));
    appendFileSync(goodLog, numbered(good, 200, 300));
    await until(() => goodAccepted().length >= 300, 'the good flow going on', 30_000, () => agent.stdout);
    expect(agent.child.exitCode).toBeNull();
    expect(badAccepted().length).toBe(0);
    // The failure is logged once, not once per retry.
    expect(agent.logLines().filter((l) => l.flow === 'bad' && l.level === 'warn').length).toBe(1);

    writeFileSync(config, yaml(suite.server.endpoint));
    agent.child.kill('SIGHUP');
    await until(() => badAccepted().length >= 200, 'the fixed flow', 30_000, () => agent.stdout);
    expect((await agent.stop('SIGTERM')).code, agent.stderr).toBe(0);
    expectExactlyOnce(goodAccepted(), splitLines(numbered(good, 0, 300)));
    expectExactlyOnce(badAccepted(), splitLines(numbered(bad, 0, 200)));
  });

  it('holds memory bounded through an outage while 32 MB are written, then ships it all', async () => {
    suite.server.setFaults({ kind: 'status', status: 503, type: 'ServiceUnavailable' });
    const s = start(0, { extra: ['maxQueueBytes: 1048576', 'maxBufferSizeRecords: 500'], top: ['shutdownTimeoutMillis: 2000'] });
    await s.agent.waitForLog(hasMsg('flow started'));
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${s.agent.child.pid}/status`, 'utf8'))![1]) * 1024;
    appendFileSync(s.log, numbered(s.stream, 0, 10));
    s.lines.push(...splitLines(numbered(s.stream, 0, 10)));
    await until(() => putCalls(s).length >= 3, 'the outage to be met', 30_000, detail(s));
    const before = rss();
    const pad = 'p'.repeat(1000);
    for (let chunk = 0; chunk < 32; chunk++) {
      let text = '';
      for (let i = 0; i < 1024; i++) text += `${s.stream} ${chunk}-${i} ${pad}\n`;
      appendFileSync(s.log, text);
      s.lines.push(...splitLines(text));
    }
    // Give the agent the chance to read what it should not hold: until it has tried a few more calls.
    const calls = putCalls(s).length;
    await until(() => putCalls(s).length >= calls + 5, 'more failing calls', 30_000, detail(s));
    const grown = rss() - before;
    expect(grown, `RSS grew by ${grown} bytes`).toBeLessThan(16 * 1024 * 1024);
    suite.server.clearFaults();
    await until(() => accepted(s).length >= s.lines.length, 'every line after the outage', 60_000, detail(s));
    expect((await s.agent.stop('SIGTERM')).code, s.agent.stderr).toBe(0);
    expectExactlyOnce(accepted(s), s.lines);
  }, 90_000);
});
