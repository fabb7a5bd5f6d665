import { readFileSync } from 'node:fs';
import { cbor as cborCodec } from '@smithy/core/cbor';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../src/config/types.ts';
import { classifyError, type DestinationContext } from '../../src/sink/errors.ts';
import type { Entry } from '../../src/sink/entry.ts';
import { TEST_CA_FILE, type AwsProtocolServer } from '../servers/aws-protocol-server.ts';
import { TEST_REGION } from '../support/kinesis-local.ts';
import { ownH2KinesisAdapter, useProtocolServer } from './helpers.ts';

const CA = readFileSync(TEST_CA_FILE, 'utf8');
const connection: AgentConfig['connection'] = { connectionTimeoutMillis: 2_000, socketTimeoutMillis: 5_000, maxConnections: 10, caCertificates: CA };

describe('PutRecords in CBOR against answers a proxy or a server may give', () => {
  const suite = useProtocolServer({ kinesis: { test: 2 }, tls: 'trusted' });
  let server: AwsProtocolServer;
  beforeEach(() => {
    server = suite.server;
  });

  async function sendThrough(entries: Entry[], cbor = true) {
    const context: DestinationContext = { kind: 'kinesis', streamName: 'test', region: TEST_REGION, flowIndex: 0 };
    const adapter = ownH2KinesisAdapter(server.endpoint, { streamName: 'test', cbor, connection });
    try {
      return { failures: await adapter.send(entries, new AbortController().signal) };
    } catch (err) {
      const f = classifyError(err, context);
      return { error: err as Error, kind: f.kind, code: f.code, userError: f.userError?.code, hint: f.userError?.hint };
    } finally {
      adapter.close();
    }
  }
  const entries = (n: number): Entry[] => Array.from({ length: n }, (_, i) => ({ data: Buffer.from(`line ${i}\n`), partitionKey: `k${i}`, records: [], userBytes: 7 }));

  const json = (body: unknown) => () => ({ status: 200, contentType: 'application/x-amz-json-1.1', body: JSON.stringify(body) });

  it('an answer in JSON to a CBOR request (a server or proxy that ignores the request\'s encoding) is read as JSON: delivered records acknowledged, failed ones retried', async () => {
    const ok = { SequenceNumber: '1', ShardId: 'shardId-000000000000' };
    server.handle('Kinesis_20131202.PutRecords', json({ FailedRecordCount: 0, Records: [ok, ok, ok] }));
    expect(await sendThrough(entries(3))).toEqual({ failures: [] });
    server.handle('Kinesis_20131202.PutRecords', json({ FailedRecordCount: 1, Records: [ok, { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' }, ok] }));
    expect(await sendThrough(entries(3))).toEqual({ failures: [{ index: 1, code: 'ProvisionedThroughputExceededException', message: 'slow down' }] });
    // One result short: the whole call fails, to be sent again.
    server.handle('Kinesis_20131202.PutRecords', json({ FailedRecordCount: 0, Records: [ok, ok] }));
    expect(await sendThrough(entries(3))).toMatchObject({ kind: 'transient', code: 'MalformedResponse' });
    expect(server.calls('PutRecords').every((c) => c.format === 'cbor')).toBe(true);
  });

  it('an answer in CBOR to a JSON request (AWS_CBOR_DISABLE) is read as CBOR', async () => {
    const ok = { SequenceNumber: '1', ShardId: 'shardId-000000000000' };
    const inCbor = (body: unknown) => () => ({ status: 200, contentType: 'application/x-amz-cbor-1.1', body: Buffer.from(cborCodec.serialize(body)) });
    server.handle('Kinesis_20131202.PutRecords', inCbor({ FailedRecordCount: 0, Records: [ok, ok] }));
    expect(await sendThrough(entries(2), false)).toEqual({ failures: [] });
    server.handle('Kinesis_20131202.PutRecords', inCbor({ FailedRecordCount: 1, Records: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'x' }, ok] }));
    expect(await sendThrough(entries(2), false)).toEqual({ failures: [{ index: 0, code: 'InternalFailure', message: 'x' }] });
    expect(server.calls('PutRecords').every((c) => c.format === 'json')).toBe(true);
  });

  it('a 200 answer that is neither (an HTML page) fails the call as malformed, to be sent again', async () => {
    server.handle('Kinesis_20131202.PutRecords', () => ({ status: 200, contentType: 'text/html', body: '<html><body>hello</body></html>' }));
    expect(await sendThrough(entries(3))).toMatchObject({ kind: 'transient', code: 'MalformedResponse' });
  });

  it.each<[string, number[]]>([
    ['inside a 4-byte length', [0xa1, 0x7a, 0, 0]],
    ['inside a 2-byte length', [0xa1, 0x79, 0]],
    ['after the map head', [0xa2]],
    ['empty', []],
  ])('a 200 CBOR answer cut short (%s) fails the call as malformed, to be sent again', async (_, bytes) => {
    server.handle('Kinesis_20131202.PutRecords', () => ({ status: 200, contentType: 'application/x-amz-cbor-1.1', body: Buffer.from(bytes) }));
    expect(await sendThrough(entries(3))).toMatchObject({ kind: 'transient', code: 'MalformedResponse' });
  });

  it.each<[string, { status: number; contentType: string; body: string | Buffer }]>([
    ['a proxy\'s HTML 502 page', { status: 502, contentType: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1></body></html>' }],
    ['a 400 SerializationException in JSON (a server that reads no CBOR)', { status: 400, contentType: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: 'SerializationException', message: 'cannot read' }) }],
    ['a 403 with an empty CBOR map', { status: 403, contentType: 'application/x-amz-cbor-1.1', body: Buffer.from([0xa0]) }],
  ])('%s is classified as for a JSON request', async (_, reply) => {
    server.handle('Kinesis_20131202.PutRecords', () => reply);
    const cbor = await sendThrough(entries(3), true);
    const json = await sendThrough(entries(3), false);
    const { error: _e1, ...c } = cbor as { error?: Error };
    const { error: _e2, ...j } = json as { error?: Error };
    expect(c).toEqual(j);
    expect(cbor.error?.name).toBe(json.error?.name);
    expect(server.calls('PutRecords').map((r) => r.format)).toEqual(['cbor', 'json']);
  });

  it('a server that cannot read the CBOR body (400 SerializationException) is a user error whose hint names AWS_CBOR_DISABLE', async () => {
    server.handle('Kinesis_20131202.PutRecords', () => ({ status: 400, contentType: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: 'SerializationException', message: 'Unexpected content type' }) }));
    const got = await sendThrough(entries(3));
    expect(got).toMatchObject({ kind: 'user', userError: 'DESTINATION_REJECTED_REQUEST' });
    expect(got.hint).toContain('AWS_CBOR_DISABLE=true');
  });

  it.each<[string, string | undefined, Buffer]>([
    ['in CBOR under a content type that names neither (a proxy that rewrote it)', 'application/octet-stream', Buffer.from(cborCodec.serialize({ __type: 'ResourceNotFoundException', message: 'Stream test not found' }))],
    ['in JSON under the CBOR content type', 'application/x-amz-cbor-1.1', Buffer.from(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'Stream test not found' }))],
  ])('an error answer %s, without x-amzn-ErrorType, is named from its body', async (_, contentType, body) => {
    server.handle('Kinesis_20131202.PutRecords', () => ({ status: 400, ...(contentType ? { contentType } : {}), body }));
    const got = await sendThrough(entries(3));
    expect(got).toMatchObject({ kind: 'user', userError: 'DESTINATION_NOT_FOUND' });
    expect(got.error?.message).toBe('Stream test not found');
  });
});
