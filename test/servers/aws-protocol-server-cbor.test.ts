import { cbor } from '@smithy/core/cbor';
import { createHash, createHmac } from 'node:crypto';
import { connect } from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { amzDate, canonicalRequest, signingKey, stringToSign } from '../../src/aws/sigv4.ts';
import { cborPutRecords, jsonPutRecords, type CborRecord, type HeaderWidth } from '../support/cbor-put-records.ts';
import { AwsProtocolServer, CBOR_TYPE } from './aws-protocol-server.ts';

interface Answer {
  status: number;
  contentType: string;
  errorType: string | undefined;
  body: Buffer;
}

const PUT = 'Kinesis_20131202.PutRecords';
const JSON_TYPE = 'application/x-amz-json-1.1';

/** One POST over HTTP/2 (TLS, the server's certificate not verified), on a session of its own. */
async function post(server: AwsProtocolServer, body: Buffer, contentType: string, extra: Record<string, string> = {}): Promise<Answer> {
  const session = connect(server.endpoint, { rejectUnauthorized: false });
  try {
    return await new Promise<Answer>((resolve, reject) => {
      const req = session.request({ ':method': 'POST', ':path': '/', 'content-type': contentType, 'x-amz-target': PUT, ...extra });
      const chunks: Buffer[] = [];
      let status = 0;
      let type = '';
      let errorType: string | undefined;
      req.on('response', (h) => {
        status = Number(h[':status']);
        type = String(h['content-type']);
        errorType = h['x-amzn-errortype'] as string | undefined;
      });
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve({ status, contentType: type, errorType, body: Buffer.concat(chunks) }));
      req.on('error', reject);
      req.end(body);
    });
  } finally {
    session.close();
  }
}

function decoded(answer: Answer): Record<string, unknown> {
  return cbor.deserialize(answer.body) as Record<string, unknown>;
}

/** Ten records: text, bytes that are not UTF-8, an empty one, and ones long enough for 1- and 2-byte length headers. */
function records(): CborRecord[] {
  const out: CborRecord[] = [];
  for (let i = 0; i < 10; i++) out.push({ data: Buffer.from(`line ${i} é\n`), partitionKey: `key-${i}` });
  out[3] = { data: Buffer.from([0xff, 0x00, 0xf3, 0x89, 0x9a, 0xc2, 0x80]), partitionKey: 'bytes' };
  out[4] = { data: Buffer.alloc(0), partitionKey: 'empty' };
  out[5] = { data: Buffer.alloc(200, 0x61), partitionKey: 'k'.repeat(30), explicitHashKey: '170141183460469231731687303715884105728' };
  out[6] = { data: Buffer.alloc(70_000, 0x62), partitionKey: 'long' };
  return out;
}

describe('the AWS protocol server and the CBOR form of Kinesis', () => {
  let server: AwsProtocolServer;
  beforeAll(async () => {
    server = await AwsProtocolServer.start({ tls: true });
  });
  afterAll(async () => {
    await server.stop();
  });
  afterEach(() => {
    server.clearFaults();
    server.signingKeys = undefined;
    server.streams.clear();
    server.requests.length = 0;
  });

  it.each([0, 1, 2, 4, 'indefinite'] as HeaderWidth[])('a CBOR PutRecords (length arguments: %s; a number is the least width in bytes) is recorded as the same JSON one is, and answered in CBOR per record', async (width) => {
    server.createStream('s', 2);
    const recs = records();
    const viaJson = await post(server, jsonPutRecords('s', recs), JSON_TYPE);
    const viaCbor = await post(server, cborPutRecords('s', recs, width), CBOR_TYPE);
    const [json, cborCall] = server.calls('PutRecords');
    expect(json!.format).toBe('json');
    expect(cborCall!.format).toBe('cbor');
    expect(cborCall!.body).toEqual(json!.body);
    expect(cborCall!.entries).toEqual(json!.entries);
    expect(cborCall!.entries.map((e) => e.data)).toEqual(recs.map((r) => Buffer.from(r.data)));
    expect(server.streams.get('s')!.entries.length).toBe(20);

    expect(viaJson.contentType).toBe(JSON_TYPE);
    expect(viaCbor).toMatchObject({ status: 200, contentType: CBOR_TYPE });
    const answer = decoded(viaCbor);
    const jsonAnswer = JSON.parse(viaJson.body.toString()) as { Records: { ShardId: string }[] };
    expect(answer.FailedRecordCount).toBe(0);
    const results = answer.Records as Record<string, unknown>[];
    expect(results.length).toBe(recs.length);
    results.forEach((r, i) => {
      expect(Object.keys(r).sort()).toEqual(['SequenceNumber', 'ShardId']);
      expect(r.ShardId).toBe(jsonAnswer.Records[i]!.ShardId);
      expect(typeof r.SequenceNumber).toBe('string');
    });
  });

  it('a stream given as StreamARN in CBOR is found as in JSON', async () => {
    server.createStream('s');
    const answer = await post(server, cborPutRecords('arn:aws:kinesis:us-east-1:000000000000:stream/s', records().slice(0, 2)), CBOR_TYPE);
    expect(answer.status).toBe(200);
    expect(server.calls('PutRecords')[0]!.body.StreamARN).toBe('arn:aws:kinesis:us-east-1:000000000000:stream/s');
    expect(server.streams.get('s')!.entries.length).toBe(2);
  });

  it('an unknown stream is answered with a CBOR { __type, message } and the x-amzn-ErrorType header', async () => {
    const answer = await post(server, cborPutRecords('nowhere', records()), CBOR_TYPE);
    expect(answer).toMatchObject({ status: 400, contentType: CBOR_TYPE, errorType: 'ResourceNotFoundException' });
    expect(decoded(answer)).toEqual({ __type: 'ResourceNotFoundException', message: expect.stringContaining('nowhere') });
  });

  it('failed records inside a successful answer come in CBOR with ErrorCode and ErrorMessage', async () => {
    server.createStream('s');
    server.setFaults({ kind: 'failRecords', fraction: 1, code: 'ProvisionedThroughputExceededException' });
    const recs = records();
    const answer = decoded(await post(server, cborPutRecords('s', recs), CBOR_TYPE));
    expect(answer.FailedRecordCount).toBe(recs.length);
    expect(answer.Records).toEqual(recs.map(() => ({ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'injected ProvisionedThroughputExceededException' })));
    expect(server.calls('PutRecords')[0]!.failedIndexes.length).toBe(recs.length);
    expect(server.streams.get('s')!.entries.length).toBe(0);
  });

  it('a throttled call and an injected 500 are CBOR errors', async () => {
    server.createStream('s');
    server.setFaults({ kind: 'throttle', times: 1 });
    const throttled = await post(server, cborPutRecords('s', records()), CBOR_TYPE);
    expect(throttled).toMatchObject({ status: 400, contentType: CBOR_TYPE, errorType: 'ProvisionedThroughputExceededException' });
    expect(decoded(throttled)).toEqual({ __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for stream.' });
    server.setFaults({ kind: 'status', status: 500, times: 1 });
    const failed = await post(server, cborPutRecords('s', records()), CBOR_TYPE);
    expect(failed).toMatchObject({ status: 500, contentType: CBOR_TYPE, errorType: 'InternalFailure' });
    expect(decoded(failed).__type).toBe('InternalFailure');
  });

  it('a malformed answer to a CBOR call is a CBOR answer cut in the middle', async () => {
    server.createStream('s');
    server.setFaults({ kind: 'malformed' });
    const answer = await post(server, cborPutRecords('s', records()), CBOR_TYPE);
    expect(answer).toMatchObject({ status: 200, contentType: CBOR_TYPE });
    expect(answer.body[0]).toBe(0xa2); // a map of two entries, as the whole answer starts
    expect(() => cbor.deserialize(answer.body)).toThrow();
  });

  it('a handler that answers a string keeps it, with the CBOR content type for a CBOR call', async () => {
    server.handle('Kinesis_20131202.Raw', () => ({ status: 200, body: 'raw' }));
    const answer = await post(server, cborPutRecords('s', []), CBOR_TYPE, { 'x-amz-target': 'Kinesis_20131202.Raw' });
    expect(answer).toMatchObject({ status: 200, contentType: CBOR_TYPE });
    expect(answer.body.toString()).toBe('raw');
  });

  it('the SigV4 check accepts a signed CBOR call (content-type signed) and refuses one whose content type was changed, in CBOR', async () => {
    server.createStream('s');
    server.signingKeys = new Map([['AKID', 'secret']]);
    const body = cborPutRecords('s', records());
    const authority = new URL(server.endpoint).host;
    const signed = sign(body, authority, CBOR_TYPE);
    expect((await post(server, body, CBOR_TYPE, signed)).status).toBe(200);
    // Signed as a JSON call, sent as a CBOR one.
    const refused = await post(server, body, CBOR_TYPE, sign(body, authority, JSON_TYPE));
    expect(refused).toMatchObject({ status: 403, contentType: CBOR_TYPE, errorType: 'InvalidSignatureException' });
    expect(decoded(refused).__type).toBe('InvalidSignatureException');
  });
});

describe('the AWS protocol server over plain HTTP/1.1 and CBOR', () => {
  it('records and answers a CBOR PutRecords sent with fetch', async () => {
    const server = await AwsProtocolServer.start();
    try {
      server.createStream('s');
      const recs = records();
      const res = await fetch(`${server.endpoint}/`, { method: 'POST', headers: { 'content-type': CBOR_TYPE, 'x-amz-target': PUT }, body: cborPutRecords('s', recs) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(CBOR_TYPE);
      const answer = cbor.deserialize(new Uint8Array(await res.arrayBuffer())) as { FailedRecordCount: number; Records: unknown[] };
      expect(answer.FailedRecordCount).toBe(0);
      expect(answer.Records.length).toBe(recs.length);
      expect(server.calls('PutRecords')[0]!.format).toBe('cbor');
      expect(server.streams.get('s')!.entries.map((e) => e.data)).toEqual(recs.map((r) => Buffer.from(r.data)));
    } finally {
      await server.stop();
    }
  });
});

/** SigV4 headers for a PutRecords POST to `/` carrying `body`, signed as sent with `contentType` (key AKID/secret). */
function sign(body: Buffer, authority: string, contentType: string): Record<string, string> {
  const longDate = amzDate(Date.now());
  const day = longDate.slice(0, 8);
  const scope = `${day}/us-east-1/kinesis/aws4_request`;
  const payloadHash = createHash('sha256').update(body).digest('hex');
  const headers: [string, string][] = [
    [':authority', authority],
    ['content-type', contentType],
    ['x-amz-date', longDate],
    ['x-amz-target', PUT],
  ];
  const canonical = canonicalRequest('POST', '/', '', headers, payloadHash);
  const key = signingKey('secret', day, 'us-east-1', 'kinesis');
  const signature = createHmac('sha256', key).update(stringToSign(longDate, scope, canonical)).digest('hex');
  return {
    'x-amz-date': longDate,
    authorization: `AWS4-HMAC-SHA256 Credential=AKID/${scope}, SignedHeaders=${headers.map(([n]) => n).join(';')}, Signature=${signature}`,
  };
}
