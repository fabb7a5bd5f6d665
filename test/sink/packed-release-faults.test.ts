/**
 * Fresh-eye review of "free packed data once delivered" (entry.ts
 * releasePacked, compression.ts, body-pool.ts): packed entries (KPL
 * aggregates, Firehose packed records, whole-entry compressed data) go
 * through calls that fail in every way the protocol server knows (records
 * failing inside answers, resets, 5xx, answers later than the call's
 * deadline, a reshard), on the SDK path (http://) and the own HTTP/2 path
 * (https with the test CA). Every user record must arrive with its own
 * bytes, none empty or corrupt, and every one be acknowledged: a record
 * whose data was freed before its last send would arrive empty (a detached
 * ArrayBuffer reads as zero bytes) or fail to decompress/deaggregate.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { AgentConfig, FlowConfig } from '../../src/config/types.ts';
import type { SourceRecord } from '../../src/pipeline/types.ts';
import type { DeliveryCore } from '../../src/sink/index.ts';
import type { Entry } from '../../src/sink/entry.ts';
import { TEST_CA_FILE, type Fault } from '../servers/aws-protocol-server.ts';
import { deaggregate } from './deaggregate.ts';
import { pushAll, RecordingAcker, until, useProtocolServer, type ServerSuite } from './helpers.ts';

const CA = readFileSync(TEST_CA_FILE, 'utf8');
const COUNT = 3000;

/**
 * Lines of incompressible text (random hex), so that compressed aggregates
 * and packed records stay over half of Node's Buffer pool and own their
 * memory: smaller ones live in a slice of the pool and are never freed.
 */
function makeRecords(count: number, acker: RecordingAcker): SourceRecord[] {
  const out: SourceRecord[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const data = Buffer.from(`line-${i} ${randomBytes(80).toString('hex')}\n`);
    out.push({ data, acker, start: offset, end: offset + data.length, file: { path: 'test.log' } });
    offset += data.length;
  }
  acker.track(out);
  return out;
}

type Compression = 'gzip' | 'zstd' | undefined;

function decompress(data: Buffer, compression: Compression): Buffer {
  if (compression === 'gzip') return zlib.gunzipSync(data);
  if (compression === 'zstd') return (zlib as unknown as { zstdDecompressSync(b: Buffer): Buffer }).zstdDecompressSync(data);
  return data;
}

/** Every user record the server stored, as text. */
function storedLines(server: ServerSuite['server'], firehose: boolean, compression: Compression): string[] {
  if (firehose) {
    return server.deliveryStreams.get('fh')!.flatMap((e) => {
      const text = decompress(e.data, compression).toString();
      expect(text.endsWith('\n'), `a stored Firehose record ends at a line end: ${JSON.stringify(text.slice(-40))}`).toBe(true);
      return text
        .slice(0, -1)
        .split('\n')
        .map((l) => `${l}\n`);
    });
  }
  return server.streams.get('test')!.entries.flatMap((e) => {
    expect(e.data.length, 'a stored Kinesis record is never empty').toBeGreaterThan(0);
    return deaggregate(decompress(e.data, compression), e.partitionKey!).map((u) => u.data.toString());
  });
}

const FAULTS: [string, Fault[]][] = [
  ['40% of records failing inside answers', [{ kind: 'failRecords', fraction: 0.4 }]],
  [
    'resets, 500s and an answer past the call deadline, then 40% failing inside answers',
    [
      { kind: 'reset', times: 2, operations: ['PutRecords', 'PutRecordBatch'] },
      { kind: 'status', status: 500, times: 2, operations: ['PutRecords', 'PutRecordBatch'] },
      { kind: 'delay', ms: 1_800, times: 1, operations: ['PutRecords', 'PutRecordBatch'] },
      { kind: 'failRecords', fraction: 0.4 },
    ],
  ],
];

const SHAPES: [string, Partial<FlowConfig>, boolean][] = [
  ['KPL, DETERMINISTIC keys', { aggregation: true, partitionKey: { kind: 'DETERMINISTIC' } }, false],
  ['KPL, RANDOM keys', { aggregation: true, partitionKey: { kind: 'RANDOM' } }, false],
  ['Firehose packed records', { destination: { kind: 'firehose', streamName: 'fh' }, aggregatedRecordSizeBytes: 128 * 1024 }, true],
  ['plain records', {}, false],
];

const CASES: [string, Partial<FlowConfig>, boolean, Compression, Fault[]][] = [];
for (const [shape, flow, firehose] of SHAPES) {
  for (const compression of [undefined, 'gzip', 'zstd'] as Compression[]) {
    for (const [faults, list] of FAULTS) CASES.push([`${shape}, compression ${compression ?? 'none'}, ${faults}`, flow, firehose, compression, list]);
  }
}

for (const tls of [false, 'trusted'] as const) {
  describe(`packed data freed once delivered, ${tls ? 'https (own HTTP/2 for Kinesis)' : 'http:// (the SDK)'}`, () => {
    const aws = useProtocolServer({ kinesis: { test: 4 }, firehose: ['fh'], ...(tls ? { tls } : {}) });
    const connection: AgentConfig['connection'] = {
      connectionTimeoutMillis: 500,
      socketTimeoutMillis: 1_000,
      maxConnections: 10,
      ...(tls ? { caCertificates: CA } : {}),
    };

    it.each(CASES)('%s: every user record arrives with its own bytes', async (_name, flow, firehose, compression, faults) => {
      aws.server.setFaults(...faults.map((f) => ({ ...f })));
      const ack = new RecordingAcker();
      const records = makeRecords(COUNT, ack);
      const { delivery, metrics } = aws.start(
        { ...flow, ...(compression ? { compression } : {}), maxQueueBytes: 1 << 20, maxInFlightRequests: 4 },
        { agent: { connection } },
      );
      // Every entry handed to the destination, as sent.
      const sent: Entry[] = [];
      const destination = (delivery as DeliveryCore as unknown as { destination: { send(entries: Entry[], signal: AbortSignal): Promise<unknown> } }).destination;
      const send = destination.send.bind(destination);
      destination.send = (entries, signal) => {
        sent.push(...entries);
        return send(entries, signal);
      };
      // The shard map known first: aggregates per shard, not a lone record per key.
      await (delivery as DeliveryCore).ready();
      const half = Math.floor(COUNT / 2);
      await pushAll(delivery, records.slice(0, half));
      // An answer naming other shards than the aggregates were grouped for.
      if (!firehose) aws.server.reshard('test', 3);
      await pushAll(delivery, records.slice(half));
      const all = await until(() => ack.acked.length === COUNT, 60_000);
      await delivery.close(2_000);
      expect(all, `acknowledged ${ack.acked.length} of ${COUNT}`).toBe(true);

      const lines = storedLines(aws.server, firehose, compression);
      const expected = new Set(records.map((r) => r.data.toString()));
      const strange = lines.filter((l) => !expected.has(l));
      expect(strange.slice(0, 3), 'stored user records that were never read (empty or corrupt)').toEqual([]);
      expect(new Set(lines).size, 'distinct user records stored').toBe(COUNT);
      expect(metrics.recordsSent).toBe(COUNT);
      // The case exercised what it is about: packed entries whose memory was freed once delivered.
      const packed = new Set(sent.filter((e) => e.packed));
      const freed = [...packed].filter((e) => e.data.buffer.byteLength === 0);
      // Compressed aggregates per shard of these ~0.5 MB calls are ~25 KB: slices of Node's Buffer pool, never freed.
      const pooled = compression !== undefined && flow.partitionKey?.kind === 'DETERMINISTIC';
      if (Object.keys(flow).length > 0 && !pooled) expect(freed.length, `packed entries freed, of ${packed.size}`).toBeGreaterThan(0);
    });
  });
}

describe('request bodies over the pool\'s 1 MiB, freed when the HTTP/2 stream has written them (own HTTP/2)', () => {
  const aws = useProtocolServer({ kinesis: { test: 2 }, tls: 'trusted' });
  const connection: AgentConfig['connection'] = { connectionTimeoutMillis: 1_000, socketTimeoutMillis: 2_000, maxConnections: 10, caCertificates: CA };

  it('KPL calls of several MiB through GOAWAYs, resets and records failing inside answers: every user record arrives with its own bytes', async () => {
    aws.server.setFaults(
      { kind: 'goaway', times: 2, operations: ['PutRecords'] },
      { kind: 'reset', times: 2, operations: ['PutRecords'] },
      { kind: 'failRecords', fraction: 0.4 },
    );
    const count = 24_000;
    const ack = new RecordingAcker();
    const records = makeRecords(count, ack);
    const { delivery, metrics } = aws.start(
      { aggregation: true, partitionKey: { kind: 'DETERMINISTIC' }, maxQueueBytes: 16 << 20, maxBufferSizeBytes: 5 << 20, maxBufferAgeMillis: 200 },
      { agent: { connection } },
    );
    await (delivery as DeliveryCore).ready();
    await pushAll(delivery, records);
    const all = await until(() => ack.acked.length === count, 60_000);
    await delivery.close(2_000);
    expect(all, `acknowledged ${ack.acked.length} of ${count}`).toBe(true);
    // Bodies over 1 MiB went (base64 makes 4 bytes of 3): the pool freed them once written.
    expect(aws.server.calls('PutRecords').some((r) => r.entries.reduce((n, e) => n + e.data.length, 0) > 900_000)).toBe(true);
    const lines = storedLines(aws.server, false, undefined);
    const expected = new Set(records.map((r) => r.data.toString()));
    expect(lines.filter((l) => !expected.has(l)).slice(0, 3)).toEqual([]);
    expect(new Set(lines).size).toBe(count);
    expect(metrics.recordsSent).toBe(count);
  }, 90_000);
});

for (const tls of [false, 'trusted'] as const) {
  describe(`shutdown with packed calls in flight, ${tls ? 'own HTTP/2' : 'the SDK'}`, () => {
    const aws = useProtocolServer({ kinesis: { test: 2 }, ...(tls ? { tls } : {}) });
    const connection: AgentConfig['connection'] = { connectionTimeoutMillis: 2_000, socketTimeoutMillis: 5_000, maxConnections: 10, ...(tls ? { caCertificates: CA } : {}) };

    it('answers that come after the shutdown deadline acknowledge nothing; a restart sends every unacknowledged record again, intact', async () => {
      const count = 4000;
      const ack = new RecordingAcker();
      const records = makeRecords(count, ack);
      const flow = { aggregation: true, partitionKey: { kind: 'DETERMINISTIC' as const }, compression: 'gzip' as const, maxQueueBytes: 1 << 20 };
      aws.server.setFaults({ kind: 'delay', ms: 800, operations: ['PutRecords'] });
      const first = aws.start(flow, { agent: { connection } });
      await (first.delivery as DeliveryCore).ready();
      for (const r of records) if (!first.delivery.push(r)) break;
      await new Promise((r) => setTimeout(r, 100));
      await first.delivery.close(100);
      const ackedAtStop = new Set(ack.acked.map(([s]) => s));
      // Calls were in flight, their answers not yet come.
      expect(first.metrics.requests).toBeGreaterThan(0);
      expect(ackedAtStop.size).toBeLessThan(count);
      // The late answers arrive; nothing more is acknowledged.
      await new Promise((r) => setTimeout(r, 1_200));
      expect(ack.acked.length).toBe(ackedAtStop.size);

      // "Restart": what was not acknowledged is read again and sent.
      aws.server.clearFaults();
      const again = records.filter((r) => !ackedAtStop.has(r.start));
      const ack2 = new RecordingAcker();
      const reread = again.map((r) => ({ ...r, acker: ack2 }));
      ack2.track(reread);
      const second = aws.start(flow, { agent: { connection } });
      await (second.delivery as DeliveryCore).ready();
      await pushAll(second.delivery, reread);
      expect(await until(() => ack2.acked.length === reread.length, 30_000)).toBe(true);
      await second.delivery.close(1_000);

      const lines = storedLines(aws.server, false, 'gzip');
      const expected = new Set(records.map((r) => r.data.toString()));
      expect(lines.filter((l) => !expected.has(l)).slice(0, 3)).toEqual([]);
      expect(new Set(lines).size).toBe(count);
    }, 60_000);
  });
}
