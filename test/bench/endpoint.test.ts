import { cbor } from '@smithy/core/cbor';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchEndpoint, CBOR_TYPE, type EndpointStats } from '../../bench/endpoint.ts';
import { AggregateBuilder } from '../../src/sink/kpl.ts';
import { cborPutRecords, jsonPutRecords, type CborRecord, type HeaderWidth } from '../support/cbor-put-records.ts';

const JSON_TYPE = 'application/x-amz-json-1.1';

interface Answer {
  status: number;
  contentType: string | null;
  errorType: string | null;
  body: Buffer;
}

/** A user record as the benchmark writes them: its append time (epoch ms), then `seq=<n>`. */
function line(seq: number, pad = 0): Buffer {
  return Buffer.from(`${Date.now()} seq=${seq} ${'x'.repeat(pad)}\n`);
}

function aggregate(seqs: number[]): Buffer {
  const b = new AggregateBuilder();
  for (const seq of seqs) b.add(`k${seq % 3}`, line(seq));
  return b.encode();
}

/**
 * 30 API records, 60 user records: plain lines (one long enough for a 2-byte
 * length, one empty and unmarked), a KPL aggregate of 20 and a gzip'd one of 15.
 */
function calls(): CborRecord[] {
  const out: CborRecord[] = [];
  for (let seq = 0; seq < 25; seq++) out.push({ data: line(seq, seq === 7 ? 300 : 0), partitionKey: `p${seq}` });
  out.push({ data: Buffer.alloc(0), partitionKey: 'empty' });
  out.push({ data: aggregate(Array.from({ length: 20 }, (_, i) => 100 + i)), partitionKey: 'a', explicitHashKey: '0' });
  out.push({ data: gzipSync(aggregate(Array.from({ length: 15 }, (_, i) => 200 + i))), partitionKey: 'z' });
  // A duplicate of a plain line and one of a line inside the first aggregate.
  out.push({ data: line(3), partitionKey: 'again' });
  out.push({ data: aggregate([105]), partitionKey: 'again' });
  return out;
}

describe('the bench endpoint counts CBOR PutRecords as it counts JSON ones', () => {
  const endpoint = new BenchEndpoint();
  let url = '';
  beforeAll(async () => {
    url = `http://127.0.0.1:${await endpoint.listen(0)}/`;
  });
  afterAll(() => endpoint.close());

  async function post(body: Buffer, contentType: string, target = 'Kinesis_20131202.PutRecords'): Promise<Answer> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType, 'x-amz-target': target }, body });
    return { status: res.status, contentType: res.headers.get('content-type'), errorType: res.headers.get('x-amzn-errortype'), body: Buffer.from(await res.arrayBuffer()) };
  }

  /** The counts of one call, with the latency and verify options on or off. */
  async function countsOf(body: Buffer, contentType: string, inspect: boolean): Promise<Partial<EndpointStats>> {
    endpoint.reset({ expect: Infinity, latency: inspect, verify: inspect ? 1000 : 0 });
    const answer = await post(body, contentType);
    expect(answer.status).toBe(200);
    const { entries, aggregates, records, bytes, distinct, duplicates, unmarked, latencies, formats } = endpoint.snapshot();
    return { entries, aggregates, records, bytes, distinct, duplicates, unmarked, latencies: latencies?.map(() => 0), formats };
  }

  it.each([
    [0, false],
    [0, true],
    [4, false],
    [4, true],
    ['indefinite', false],
    ['indefinite', true],
  ] as [HeaderWidth, boolean][])('the same records give the same counts in CBOR (length arguments: %s; a number is the least width in bytes) and JSON (latency and verify: %s)', async (width, inspect) => {
    const recs = calls();
    const json = await countsOf(jsonPutRecords('bench', recs), JSON_TYPE, inspect);
    const viaCbor = await countsOf(cborPutRecords('bench', recs, width), CBOR_TYPE, inspect);
    expect(json.formats).toEqual({ json: 1 });
    expect(viaCbor.formats).toEqual({ cbor: 1 });
    expect({ ...viaCbor, formats: undefined }).toEqual({ ...json, formats: undefined });
    expect(viaCbor).toMatchObject({ entries: 30, aggregates: 3, records: 25 + 1 + 20 + 15 + 1 + 1 });
    if (!inspect) return;
    expect(viaCbor).toMatchObject({ distinct: 25 + 20 + 15, duplicates: 2, unmarked: 1 });
    expect(viaCbor.latencies!.length).toBe(63);
  });

  it('answers a CBOR PutRecords in CBOR: FailedRecordCount 0 and a SequenceNumber and ShardId per record', async () => {
    endpoint.reset({ expect: Infinity });
    for (const n of [1, 23, 24, 255, 256, 500]) {
      const recs = Array.from({ length: n }, (_, i) => ({ data: line(i), partitionKey: 'p' }));
      const answer = await post(cborPutRecords('bench', recs), CBOR_TYPE);
      expect(answer).toMatchObject({ status: 200, contentType: CBOR_TYPE });
      const decoded = cbor.deserialize(answer.body) as { FailedRecordCount: number; Records: Record<string, unknown>[] };
      expect(decoded.FailedRecordCount).toBe(0);
      expect(decoded.Records.length).toBe(n);
      expect(decoded.Records.every((r) => typeof r.SequenceNumber === 'string' && r.ShardId === 'shardId-000000000000')).toBe(true);
      const json = await post(jsonPutRecords('bench', recs), JSON_TYPE);
      expect(json.contentType).toBe(JSON_TYPE);
      expect(JSON.parse(json.body.toString())).toEqual(decoded);
    }
  });

  it('answers Firehose and the other operations in CBOR to a CBOR call', async () => {
    endpoint.reset({ expect: Infinity });
    const batch = await post(cborPutRecords('bench', [{ data: line(1), partitionKey: 'p' }]), CBOR_TYPE, 'Firehose_20150804.PutRecordBatch');
    expect(cbor.deserialize(batch.body)).toEqual({ FailedPutCount: 0, Encrypted: false, RequestResponses: [{ RecordId: 'bench-record-id' }] });
    const shards = await post(Buffer.from(cbor.serialize({ StreamName: 'bench' })), CBOR_TYPE, 'Kinesis_20131202.ListShards');
    expect(shards.contentType).toBe(CBOR_TYPE);
    expect((cbor.deserialize(shards.body) as { Shards: unknown[] }).Shards.length).toBe(1);
    expect(endpoint.snapshot().records).toBe(1);
  });

  it.each([
    ['throttle', 400, 'ProvisionedThroughputExceededException'],
    ['unavailable', 503, 'InternalFailure'],
  ] as const)('in outage mode %s a CBOR call is refused with a CBOR error', async (mode, status, type) => {
    endpoint.reset({ expect: Infinity, mode });
    const answer = await post(cborPutRecords('bench', calls()), CBOR_TYPE);
    expect(answer).toMatchObject({ status, contentType: CBOR_TYPE, errorType: type });
    expect(cbor.deserialize(answer.body)).toEqual({ __type: type, message: expect.any(String) });
    const json = await post(jsonPutRecords('bench', calls()), JSON_TYPE);
    expect(json).toMatchObject({ status, contentType: JSON_TYPE, errorType: type });
    expect(endpoint.snapshot()).toMatchObject({ refused: 2, records: 0 });
  });

  it('a CBOR body cut in the middle counts the records before the cut and is still answered', async () => {
    endpoint.reset({ expect: Infinity });
    const recs = Array.from({ length: 10 }, (_, i) => ({ data: line(i), partitionKey: 'p' }));
    const whole = cborPutRecords('bench', recs);
    // Inside the last record's Data (its PartitionKey entry is 15 bytes).
    const answer = await post(whole.subarray(0, whole.length - 20), CBOR_TYPE);
    expect(answer.status).toBe(200);
    expect(endpoint.snapshot()).toMatchObject({ entries: 9, records: 9 });
  });
});
