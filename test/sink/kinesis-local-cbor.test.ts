import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DescribeStreamSummaryCommand, ListShardsCommand, UpdateMaxRecordSizeCommand } from '@aws-sdk/client-kinesis';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Entry } from '../../src/sink/entry.ts';
import type { DeliveryCore } from '../../src/sink/index.ts';
import { TEST_CA_FILE } from '../servers/aws-protocol-server.ts';
import { useKinesisLocal, type KinesisLocal } from '../support/kinesis-local.ts';
import { deaggregate } from './deaggregate.ts';
import { makeAgent, makeFlow, makeRecords, ownH2KinesisAdapter, pushAll, recordsInFailedCalls, RecordingAcker, startDelivery, until } from './helpers.ts';

/** kinesis-local can take seconds to answer a large call on a loaded machine (kinesis-local.test.ts). */
const CONNECTION = { connectionTimeoutMillis: 5_000, socketTimeoutMillis: 30_000, maxConnections: 50, caCertificates: readFileSync(TEST_CA_FILE, 'utf8') };
const MIB = 1024 * 1024;

/** PutRecords in CBOR over kinesis-local's TLS endpoint (HTTP/2), at and near the API's limits. */
describe('PutRecords in CBOR to kinesis-local over TLS, at the limits', () => {
  const env = useKinesisLocal('cbr-kinesis-local-');
  let local: KinesisLocal;
  beforeEach(() => {
    local = env.local;
  });

  async function put(stream: string, entries: Entry[], arn?: string, cbor = true) {
    const adapter = ownH2KinesisAdapter(local.tlsEndpoint, { streamName: stream, ...(arn ? { streamArn: arn } : {}), cbor, connection: CONNECTION });
    try {
      return await adapter.send(entries, new AbortController().signal);
    } finally {
      adapter.close();
    }
  }

  const entry = (data: Buffer, partitionKey: string): Entry => ({ data, partitionKey, records: [], userBytes: data.length });

  it('a record of exactly 1 MiB (data and a 256-character key), 5 MiB in one call, keys of 256 characters in ASCII and in UTF-8: all stored exactly', async () => {
    await local.createStream('limits', 2);
    const asciiKey = 'k'.repeat(256);
    // 256 characters, 512 bytes: the limit counts characters, a record's size the key's UTF-8 bytes.
    const wideKey = 'я'.repeat(256);
    const entries = [
      entry(Buffer.alloc(MIB - 256, 0x61), asciiKey),
      entry(Buffer.alloc(MIB - 512, 0x62), wideKey),
      entry(Buffer.alloc(MIB - 200, 0x63), 'x'.repeat(200)),
      entry(Buffer.alloc(MIB - 1024, 0x64), '😀'.repeat(128)),
      entry(Buffer.alloc(MIB - 1, 0x65), 'z'),
    ];
    expect(await put('limits', entries)).toEqual([]);
    const stored = await local.waitFor('limits', (r) => r.length >= 5);
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(stored.map((r) => `${r.partitionKey}:${digest(r.data)}`).sort()).toEqual(entries.map((e) => `${e.partitionKey}:${digest(e.data)}`).sort());
  }, 60_000);

  it('records of 2 and 3 MiB (4-byte CBOR lengths) on a stream whose MaxRecordSizeInKiB is 4096', async () => {
    await local.createStream('large', 1);
    const arn = (await local.client.send(new DescribeStreamSummaryCommand({ StreamName: 'large' }))).StreamDescriptionSummary!.StreamARN!;
    await local.client.send(new UpdateMaxRecordSizeCommand({ StreamARN: arn, MaxRecordSizeInKiB: 4096 }));
    const entries = [entry(Buffer.alloc(2 * MIB, 0x71), 'a'), entry(Buffer.alloc(3 * MIB - 1, 0x72), 'b')];
    expect(await put('large', entries)).toEqual([]);
    const stored = await local.waitFor('large', (r) => r.length >= 2);
    expect(stored.map((r) => `${r.partitionKey}:${r.data.length}:${r.data.every((b) => b === r.data[0])}`).sort()).toEqual(['a:2097152:true', 'b:3145727:true']);
  }, 60_000);

  // kinesis-local takes records over 1 MiB and calls of 501 records: only the key's length is refused there.
  it('a partition key of 257 characters is refused whole, with the same error in CBOR as in JSON', async () => {
    await local.createStream('refused', 1);
    const refused = async (cbor: boolean) => {
      const err = await put('refused', [entry(Buffer.from('r'), 'k'.repeat(257))], undefined, cbor).then(() => undefined, (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } });
      return { name: err?.name, status: err?.$metadata?.httpStatusCode };
    };
    const inCbor = await refused(true);
    expect(inCbor).toEqual({ name: 'InvalidArgumentException', status: 400 });
    expect(inCbor).toEqual(await refused(false));
  }, 60_000);

  it('500 records in one call, each answered and stored', async () => {
    await local.createStream('five-hundred', 2);
    const entries = Array.from({ length: 500 }, (_, i) => entry(Buffer.from(`record ${i}\n`), `key-${i}`));
    expect(await put('five-hundred', entries)).toEqual([]);
    const stored = await local.waitFor('five-hundred', (r) => r.length >= 500);
    expect(new Set(stored.map((r) => r.data.toString()))).toEqual(new Set(entries.map((e) => e.data.toString())));
  }, 60_000);

  it('a stream named by its ARN (StreamARN in the CBOR body)', async () => {
    await local.createStream('by-arn', 1);
    const arn = (await local.client.send(new DescribeStreamSummaryCommand({ StreamName: 'by-arn' }))).StreamDescriptionSummary!.StreamARN!;
    expect(await put('by-arn', [entry(Buffer.from('by arn\n'), 'k')], arn)).toEqual([]);
    const stored = await local.waitFor('by-arn', (r) => r.length >= 1);
    expect(stored.map((r) => r.data.toString())).toEqual(['by arn\n']);
  }, 60_000);

  it('KPL aggregation with shard routing: every user record comes back from deaggregation, on its key\'s shard', async () => {
    await local.createStream('agg-cbor', 4);
    const acker = new RecordingAcker();
    const records = makeRecords(3000, acker, 60);
    const flow = makeFlow({ destination: { kind: 'kinesis', streamName: 'agg-cbor' }, aggregation: true, partitionKey: { kind: 'DETERMINISTIC' }, maxBufferAgeMillis: 200 });
    const { delivery, metrics } = startDelivery(flow, makeAgent(local.tlsEndpoint, { connection: CONNECTION }));
    await (delivery as DeliveryCore).ready();
    await pushAll(delivery, records);
    expect(await until(() => acker.acked.length === 3000, 100_000)).toBe(true);
    await delivery.close(2000);
    expect(metrics.serviceErrors).toBe(0);
    const shards = (await local.client.send(new ListShardsCommand({ StreamName: 'agg-cbor' }))).Shards ?? [];
    const ranges = new Map(shards.map((s) => [s.ShardId!, [BigInt(s.HashKeyRange!.StartingHashKey!), BigInt(s.HashKeyRange!.EndingHashKey!)] as const]));
    const stored = await local.readAll('agg-cbor');
    expect(stored.length).toBeLessThan(300);
    const users: string[] = [];
    for (const s of stored) {
      for (const u of deaggregate(s.data, s.partitionKey)) {
        const h = BigInt(`0x${createHash('md5').update(u.partitionKey).digest('hex')}`);
        const [lo, hi] = ranges.get(s.shardId)!;
        expect(h >= lo && h <= hi).toBe(true);
        users.push(u.data.toString());
      }
    }
    expect(users.length - 3000).toBeLessThanOrEqual(recordsInFailedCalls(metrics));
    expect(new Set(users)).toEqual(new Set(records.map((r) => r.data.toString())));
  }, 150_000);
});
