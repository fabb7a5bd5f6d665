import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowEvents } from '../../src/events/flow-events.ts';
import type { DeliveryCore } from '../../src/sink/index.ts';
import { TEST_CA_FILE } from '../servers/aws-protocol-server.ts';
import { KinesisLocal } from '../support/kinesis-local.ts';
import { deaggregate } from './deaggregate.ts';
import type { Entry } from '../../src/sink/entry.ts';
import { makeAgent, makeFlow, makeRecords, ownH2KinesisAdapter, pushAll, recordsInFailedCalls, RecordingAcker, startDelivery, until } from './helpers.ts';

/** The delivery's counts of calls and attempts, for a failure's message. */
const calls = (m: FlowEvents) =>
  `requests ${m.requests}, retries ${m.retries}, serviceErrors ${m.serviceErrors}, attempts ${m.recordSendAttempts}, sent ${m.recordsSent}, failed in answers ${m.recordSendErrors}`;

/**
 * kinesis-local takes 2-4 s to answer a 500-record PutRecords on a loaded
 * 2-core machine, and more when the suite runs beside it: a 10 s socket
 * timeout gave up on calls it then stored, and the test ran past its 60 s.
 * A call it gives up on all the same is re-sent (counted by the bounds below).
 */
const SLOW_ANSWERS = { connection: { connectionTimeoutMillis: 5_000, socketTimeoutMillis: 30_000, maxConnections: 50 } };

describe('delivery to kinesis-local', () => {
  let local: KinesisLocal;
  beforeAll(async () => {
    local = await KinesisLocal.start();
  }, 60_000);
  afterAll(async () => {
    await local?.stop();
  });

  async function shardRanges(stream: string): Promise<Map<string, [bigint, bigint]>> {
    const out = await local.client.send(new ListShardsCommand({ StreamName: stream }));
    return new Map(
      (out.Shards ?? []).map((s) => [s.ShardId!, [BigInt(s.HashKeyRange!.StartingHashKey!), BigInt(s.HashKeyRange!.EndingHashKey!)]]),
    );
  }

  function inShard(key: string, range: [bigint, bigint]): boolean {
    const h = BigInt(`0x${createHash('md5').update(key).digest('hex')}`);
    return h >= range[0] && h <= range[1];
  }

  it('over TLS and HTTP/2, the agent’s own exchange and SigV4 signer (sigv4.ts): kinesis-local accepts every call and stores every record', async () => {
    await local.createStream('tls', 1);
    const acker = new RecordingAcker();
    const records = makeRecords(1000, acker, 20);
    const flow = makeFlow({ destination: { kind: 'kinesis', streamName: 'tls' } });
    const connection = { ...SLOW_ANSWERS.connection, caCertificates: readFileSync(TEST_CA_FILE, 'utf8') };
    const { delivery, metrics } = startDelivery(flow, makeAgent(local.tlsEndpoint, { connection }));
    await pushAll(delivery, records);
    expect(await until(() => acker.acked.length === 1000, 100_000), calls(metrics)).toBe(true);
    await delivery.close(2000);
    // A call kinesis-local refused (a malformed Authorization, a missing header) would show as a service error.
    expect(metrics.serviceErrors, calls(metrics)).toBe(0);
    const stored = await local.waitFor('tls', (r) => r.length >= 1000);
    expect(new Set(stored.map((r) => r.data.toString()))).toEqual(new Set(records.map((r) => r.data.toString())));
  }, 150_000);

  it.each<[string, boolean]>([
    ['CBOR (the default, as the AWS SDKs for Java send)', true],
    ['JSON (AWS_CBOR_DISABLE)', false],
  ])('over TLS and HTTP/2 in %s: any bytes arrive exactly, and a missing stream is named in the error answer', async (_, cbor) => {
    const stream = cbor ? 'wire-cbor' : 'wire-json';
    await local.createStream(stream, 1);
    const connection = { ...SLOW_ANSWERS.connection, caCertificates: readFileSync(TEST_CA_FILE, 'utf8') };
    const adapterFor = (streamName: string) => ownH2KinesisAdapter(local.tlsEndpoint, { streamName, cbor, connection });
    // Every byte value, an empty record, one longer than a 2-byte CBOR length, and keys in UTF-8.
    const datas = [Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.alloc(0), Buffer.alloc(70_000, 0x5a), Buffer.from('naïve ☃\n')];
    const keys = ['k', 'ключ', '😀', ''];
    const entries: Entry[] = datas.map((data, i) => ({ data, partitionKey: keys[i]!, records: [], userBytes: data.length }));
    const adapter = adapterFor(stream);
    try {
      expect(await adapter.send(entries, new AbortController().signal)).toEqual([]);
    } finally {
      adapter.close();
    }
    const stored = await local.waitFor(stream, (r) => r.length >= 4);
    expect(stored.map((r) => r.data.toString('hex')).sort()).toEqual(datas.map((d) => d.toString('hex')).sort());
    expect(stored.map((r) => r.partitionKey).filter((k) => k.length !== 16).sort()).toEqual(['k', 'ключ', '😀'].sort());
    const missing = adapterFor('no-such-stream');
    try {
      const err = await missing.send(entries.slice(0, 1), new AbortController().signal).then(() => undefined, (e: unknown) => e as Error);
      expect(err?.name).toBe('ResourceNotFoundException');
      expect(err?.message).toContain('no-such-stream');
    } finally {
      missing.close();
    }
  }, 60_000);

  it('plain records: every record arrives (twice only from a call whose answer was lost) and each is acknowledged once', async () => {
    await local.createStream('plain', 2);
    const acker = new RecordingAcker();
    const records = makeRecords(3000, acker, 20);
    const flow = makeFlow({ destination: { kind: 'kinesis', streamName: 'plain' }, partitionKey: { kind: 'DETERMINISTIC' } });
    const { delivery, metrics } = startDelivery(flow, makeAgent(local.endpoint, SLOW_ANSWERS));
    await pushAll(delivery, records);
    expect(await until(() => acker.acked.length === 3000, 100_000)).toBe(true);
    await delivery.close(2000);
    const stored = await local.waitFor('plain', (r) => r.length >= 3000);
    expect(new Set(stored.map((r) => r.data.toString()))).toEqual(new Set(records.map((r) => r.data.toString())));
    // Stored more than once only what went in calls whose answer never came
    // (kinesis-local under load can answer after the call's timeout).
    expect(stored.length - 3000, calls(metrics)).toBeLessThanOrEqual(recordsInFailedCalls(metrics));
    expect([...acker.counts().values()].every((n) => n === 1)).toBe(true);
    expect(metrics.recordsSent).toBe(3000);
    const ranges = await shardRanges('plain');
    for (const r of stored) expect(inShard(r.partitionKey, ranges.get(r.shardId)!)).toBe(true);
  }, 150_000);

  for (const partitionKey of [{ kind: 'DETERMINISTIC' } as const, { kind: 'RANDOM' } as const]) {
    it(`KPL aggregation (${partitionKey.kind} keys): every user record comes back from deaggregation (twice only from a call whose answer was lost), on its key's shard`, async () => {
      const stream = `agg-${partitionKey.kind.toLowerCase()}`;
      await local.createStream(stream, 4);
      const acker = new RecordingAcker();
      const records = makeRecords(5000, acker, 60);
      const flow = makeFlow({ destination: { kind: 'kinesis', streamName: stream }, aggregation: true, partitionKey, maxBufferAgeMillis: 200 });
      const { delivery, metrics } = startDelivery(flow, makeAgent(local.endpoint, SLOW_ANSWERS));
      // Once the shard map is loaded, aggregates group by shard.
      await (delivery as DeliveryCore).ready();
      await pushAll(delivery, records);
      expect(await until(() => acker.acked.length === 5000, 100_000)).toBe(true);
      await delivery.close(2000);
      expect(metrics.recordsSent).toBe(5000);
      expect([...acker.counts().values()].every((n) => n === 1)).toBe(true);

      const stored = await local.readAll(stream);
      // Aggregation packs: far fewer stream records than user records.
      expect(stored.length).toBeLessThan(500);
      const ranges = await shardRanges(stream);
      const users: string[] = [];
      for (const s of stored) {
        for (const u of deaggregate(s.data, s.partitionKey)) {
          expect(inShard(u.partitionKey, ranges.get(s.shardId)!)).toBe(true);
          users.push(u.data.toString());
        }
      }
      expect(users.length - 5000, calls(metrics)).toBeLessThanOrEqual(recordsInFailedCalls(metrics));
      expect(new Set(users)).toEqual(new Set(records.map((r) => r.data.toString())));
    }, 150_000);
  }
});
