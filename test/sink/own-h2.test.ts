import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../src/config/types.ts';
import { credentialsFor } from '../../src/aws/credentials.ts';
import { caFor, cborAllowed, putPathFor, requestHandlerFor, type PutPath, type TransportOptions } from '../../src/aws/transport.ts';
import { JsonRpcCall, jsonErrorType } from '../../src/aws/json-rpc-call.ts';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { Conditions } from '../../src/events/conditions.ts';
import { silentLogger } from '../../src/log.ts';
import { classifyError, type DestinationContext } from '../../src/sink/errors.ts';
import type { Entry } from '../../src/sink/entry.ts';
import { KINESIS } from '../../src/sink/kinesis/index.ts';
import { answerObject, readAnswer } from '../../src/sink/raw-exchange.ts';
import { ownsItsMemory } from '../../src/buffer-release.ts';
import { QUEUE_BYTES_AGGREGATED, QUEUE_BYTES_DEFAULT } from '../../src/config/flow-keys.ts';
import { BATCHES_IN_QUEUE, RECORD_OVERHEAD_BYTES } from '../../src/sink/delivery.ts';
import { deaggregate } from './deaggregate.ts';
import { AwsProtocolServer, TEST_CA_FILE, type Fault } from '../servers/aws-protocol-server.ts';
import { freePort } from '../support/free-port.ts';
import { TEST_REGION } from '../support/kinesis-local.ts';
import { makeAgent, makeFlow, makeRecords, pushAll, RecordingAcker, startDelivery, until } from './helpers.ts';

const CA = readFileSync(TEST_CA_FILE, 'utf8');
const connection: AgentConfig['connection'] = { connectionTimeoutMillis: 2_000, socketTimeoutMillis: 5_000, maxConnections: 10, caCertificates: CA };

describe('which path a put call takes (putPathFor)', () => {
  const base: TransportOptions = { endpoint: undefined, defaultHttp2: true, connection, proxy: undefined, env: {} };
  it.each<[string, Partial<TransportOptions>, PutPath]>([
    ['the AWS endpoint (none configured), Kinesis', {}, { kind: 'own-h2' }],
    ['an https endpoint, Kinesis', { endpoint: 'https://kinesis.eu-west-1.amazonaws.com' }, { kind: 'own-h2' }],
    ['a plain http:// endpoint', { endpoint: 'http://127.0.0.1:4567' }, { kind: 'sdk', reason: 'plain-http' }],
    ['a configured proxy', { proxy: 'http://127.0.0.1:3128' }, { kind: 'sdk', reason: 'proxy' }],
    ['HTTPS_PROXY in the environment', { env: { HTTPS_PROXY: 'http://proxy:3128' } }, { kind: 'sdk', reason: 'proxy' }],
    ['HTTP_PROXY only, https endpoint (not for https)', { env: { HTTP_PROXY: 'http://proxy:3128' } }, { kind: 'own-h2' }],
    ['Firehose (an HTTP/1.1 client)', { defaultHttp2: false }, { kind: 'sdk', reason: 'http1-client' }],
    ['Firehose behind a proxy', { defaultHttp2: false, proxy: 'http://127.0.0.1:3128' }, { kind: 'sdk', reason: 'proxy' }],
  ])('%s', (_, given, expected) => {
    expect(putPathFor({ ...base, ...given })).toEqual(expected);
  });
});

describe('whether the environment allows CBOR bodies (cborAllowed, as the AWS SDK for Java reads AWS_CBOR_DISABLE)', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, true],
    ['false', true],
    ['FALSE', true],
    ['true', false],
    ['1', false],
    ['', false],
    ['yes', false],
  ])('AWS_CBOR_DISABLE=%s: %s', (value, allowed) => {
    expect(cborAllowed(value === undefined ? {} : { AWS_CBOR_DISABLE: value })).toBe(allowed);
  });
});

describe('AWS JSON error types', () => {
  it.each<[string | undefined, Record<string, unknown>, string]>([
    ['ProvisionedThroughputExceededException:http://internal', {}, 'ProvisionedThroughputExceededException'],
    [undefined, { __type: 'com.amazonaws.kinesis.v20131202#ResourceNotFoundException', message: 'x' }, 'ResourceNotFoundException'],
    [undefined, { code: 'ThrottlingException' }, 'ThrottlingException'],
    ['InvalidSignatureException', { __type: 'Other' }, 'InvalidSignatureException'],
    [undefined, {}, 'Unknown'],
  ])('header %s, body %j: %s', (header, body, expected) => {
    expect(jsonErrorType(header, body)).toBe(expected);
  });
});

/** Kinesis over TLS + HTTP/2 from the protocol server, its certificate verified against the test CA. */
describe('PutRecords over our own HTTP/2 session', () => {
  let server: AwsProtocolServer;
  beforeAll(async () => {
    server = await AwsProtocolServer.start({ tls: 'trusted' });
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    server.streams.clear();
    server.createStream('test', 2);
    server.requests.length = 0;
    server.sessions = 0;
    server.signingKeys = undefined;
    server.clearFaults();
  });

  const agent = (overrides: Partial<AgentConfig> = {}): AgentConfig => makeAgent(server.endpoint, { connection, ...overrides });
  const stored = (): string[] => server.streams.get('test')!.entries.map((e) => e.data.toString());

  it('delivers every record over one session, with no SDK user agent, each call signed as it went on the wire', async () => {
    server.signingKeys = new Map([['test', 'test']]);
    const acker = new RecordingAcker();
    const { delivery } = startDelivery(makeFlow({ maxBufferSizeRecords: 50 }), agent());
    await pushAll(delivery, makeRecords(1000, acker));
    expect(await until(() => acker.acked.length === 1000)).toBe(true);
    await delivery.close(1000);
    const calls = server.calls('PutRecords');
    expect(calls.length).toBeGreaterThanOrEqual(20);
    expect(calls.every((c) => c.status === 200 && c.headers[':scheme'] === 'https')).toBe(true);
    expect(calls.every((c) => String(c.headers['user-agent']).startsWith('kinesis-agent/'))).toBe(true);
    // In CBOR, as the AWS SDKs for Java send to Kinesis by default.
    expect(calls.every((c) => c.format === 'cbor' && c.headers['content-type'] === 'application/x-amz-cbor-1.1')).toBe(true);
    // DescribeStreamSummary at start goes through the SDK, on its own session.
    expect(server.sessions).toBeLessThanOrEqual(2);
    expect(new Set(stored()).size).toBe(1000);
  });

  it('with AWS_CBOR_DISABLE set (the AWS SDK for Java\'s variable) the bodies go in JSON, answered and retried alike', async () => {
    process.env.AWS_CBOR_DISABLE = 'true';
    try {
      server.setFaults({ kind: 'failRecords', fraction: 0.3, times: 2, operations: ['PutRecords'] });
      const acker = new RecordingAcker();
      const { delivery } = startDelivery(makeFlow({ maxBufferSizeRecords: 50 }), agent());
      await pushAll(delivery, makeRecords(300, acker));
      expect(await until(() => acker.acked.length === 300)).toBe(true);
      await delivery.close(1000);
    } finally {
      delete process.env.AWS_CBOR_DISABLE;
    }
    const calls = server.calls('PutRecords');
    expect(calls.every((c) => c.format === 'json' && c.headers['content-type'] === 'application/x-amz-json-1.1')).toBe(true);
    expect(new Set(stored()).size).toBe(300);
  });

  it('the default queue (2 MiB) keeps seven full calls of access-log lines in flight when each call waits 150 ms (500 lines of 170 bytes and their bookkeeping are 277 KB)', async () => {
    server.setFaults({ kind: 'delay', ms: 150, operations: ['PutRecords'] });
    const acker = new RecordingAcker();
    // Access-log-sized lines, the defaults a flow gets from the config, eight calls in flight.
    const { delivery } = startDelivery(makeFlow({ maxQueueBytes: QUEUE_BYTES_DEFAULT, maxInFlightRequests: 8, maxBufferSizeRecords: 500, maxBufferAgeMillis: 1000 }), agent());
    await pushAll(delivery, makeRecords(12_000, acker, 160));
    expect(await until(() => acker.acked.length === 12_000, 60_000)).toBe(true);
    await delivery.close(1000);
    const calls = server.calls('PutRecords');
    // Full calls while the queue is what holds them back (the last ones may be partial).
    expect(calls.filter((c) => c.entries.length === 500).length).toBeGreaterThanOrEqual(20);
    expect(Math.max(...calls.map((c) => c.concurrent))).toBeGreaterThanOrEqual(7);
  });

  it('a KPL flow with the aggregated default queue (6 MiB) keeps two calls in flight while the next batch fills: batches are cut at a third of the queue, not when it is full', async () => {
    server.setFaults({ kind: 'delay', ms: 150, operations: ['PutRecords'] });
    const acker = new RecordingAcker();
    const flow = makeFlow({ aggregation: true, maxQueueBytes: QUEUE_BYTES_AGGREGATED, maxInFlightRequests: 8, maxBufferSizeRecords: 500, maxBufferAgeMillis: 1000 });
    const { delivery } = startDelivery(flow, agent());
    const records = makeRecords(30_000, acker, 160);
    await pushAll(delivery, records);
    expect(await until(() => acker.acked.length === records.length, 60_000)).toBe(true);
    await delivery.close(1000);
    const calls = server.calls('PutRecords');
    // Each batch holds about a third of the queue (data and bookkeeping), never the whole of it.
    const perLine = records[0]!.data.length + RECORD_OVERHEAD_BYTES;
    const lines = (c: (typeof calls)[number]): number => c.entries.reduce((n, e) => n + deaggregate(e.data, e.partitionKey ?? '').length, 0);
    expect(Math.max(...calls.map(lines))).toBeLessThanOrEqual(Math.ceil(QUEUE_BYTES_AGGREGATED / BATCHES_IN_QUEUE / perLine));
    // Three calls at once: the reader went on while two travelled.
    expect(Math.max(...calls.map((c) => c.concurrent))).toBeGreaterThanOrEqual(BATCHES_IN_QUEUE);
  });

  it('flows sending to the same endpoint share one session; it closes with the last of them', async () => {
    server.createStream('other', 1);
    const a1 = new RecordingAcker();
    const a2 = new RecordingAcker();
    const one = startDelivery(makeFlow({ maxBufferSizeRecords: 20 }), agent());
    const two = startDelivery(makeFlow({ maxBufferSizeRecords: 20, index: 1, destination: { kind: 'kinesis', streamName: 'other' } }), agent());
    await pushAll(one.delivery, makeRecords(200, a1));
    await pushAll(two.delivery, makeRecords(200, a2, 0, 'other'));
    expect(await until(() => a1.acked.length === 200 && a2.acked.length === 200)).toBe(true);
    expect(server.sessions).toBe(1);
    await one.delivery.close(1000);
    // The second flow's session is still open and still used.
    await pushAll(two.delivery, makeRecords(20, a2, 0, 'more'));
    expect(await until(() => a2.acked.length === 220)).toBe(true);
    await two.delivery.close(1000);
    expect(server.sessions).toBe(1);
    expect(server.streams.get('other')!.entries.length).toBe(220);
  });

  it('records failed inside an answer are retried, and only they', async () => {
    server.setFaults({ kind: 'failRecords', fraction: 0.3 });
    const acker = new RecordingAcker();
    const { delivery, metrics } = startDelivery(makeFlow({ maxBufferSizeRecords: 100 }), agent());
    await pushAll(delivery, makeRecords(1000, acker));
    expect(await until(() => acker.acked.length === 1000, 30_000)).toBe(true);
    await delivery.close(1000);
    expect(stored().length).toBe(1000);
    expect(new Set(stored()).size).toBe(1000);
    const retried = new Set<string>();
    for (const call of server.calls('PutRecords')) {
      const lines = call.entries.map((e) => e.data.toString());
      const again = lines.filter((l) => retried.has(l));
      expect(again.length === 0 || again.length === lines.length).toBe(true);
      for (const l of again) retried.delete(l);
      for (const i of call.failedIndexes) retried.add(lines[i]!);
    }
    expect(retried.size).toBe(0);
    expect(metrics.recordSendErrors).toBeGreaterThan(0);
  });

  it('throttling and a 5xx are retried until delivered; nothing is lost or doubled', async () => {
    // Every call meets both faults while they last, and the first answers: two 500s, then two throttles.
    server.setFaults({ kind: 'status', status: 500, times: 2, operations: ['PutRecords'] }, { kind: 'throttle', times: 4, operations: ['PutRecords'] });
    const acker = new RecordingAcker();
    const { delivery, metrics } = startDelivery(makeFlow({ maxBufferSizeRecords: 50 }), agent());
    await pushAll(delivery, makeRecords(300, acker));
    expect(await until(() => acker.acked.length === 300)).toBe(true);
    await delivery.close(1000);
    expect(stored().length).toBe(300);
    expect(metrics.serviceErrors).toBe(4);
    expect(server.calls('PutRecords').filter((c) => c.status === 500).length).toBe(2);
    expect(server.calls('PutRecords').filter((c) => c.status === 400).length).toBe(2);
  });

  it('a GOAWAY mid-flight: the session is replaced, the refused batch retried, every record delivered once', async () => {
    // Slow answers keep several calls in flight on the session when the server says goodbye.
    server.setFaults({ kind: 'delay', ms: 30, operations: ['PutRecords'] });
    const acker = new RecordingAcker();
    const { delivery } = startDelivery(makeFlow({ maxBufferSizeRecords: 20 }), agent());
    const pushing = pushAll(delivery, makeRecords(600, acker));
    expect(await until(() => server.calls('PutRecords').filter((c) => c.status === 200).length >= 4)).toBe(true);
    server.setFaults({ kind: 'goaway', times: 1, operations: ['PutRecords'] }, { kind: 'delay', ms: 30, operations: ['PutRecords'] });
    await pushing;
    expect(await until(() => acker.acked.length === 600)).toBe(true);
    await delivery.close(1000);
    const calls = server.calls('PutRecords');
    const refused = calls.findIndex((c) => c.status === 0);
    expect(refused).toBeGreaterThan(0);
    // Other calls came on the old session while the refused one was pending, and were answered once.
    expect(calls[refused + 1]!.concurrent).toBeGreaterThan(1);
    expect(server.sessions).toBe(2);
    expect([...acker.counts().values()].every((n) => n === 1)).toBe(true);
    expect(stored().length).toBe(600);
    expect(new Set(stored()).size).toBe(600);
  });

  it('credentials the chain rotates sign the next calls (assumeRoleARN, credentials near expiry refreshed)', async () => {
    const sts = await AwsProtocolServer.start();
    try {
      let issued = 0;
      sts.handle('query:AssumeRole', () => {
        issued++;
        // Inside the SDK's five-minute refresh window 2.5 s from now: the next call after that asks again.
        const expires = new Date(Date.now() + 300_000 + 2_500).toISOString();
        return {
          status: 200,
          contentType: 'text/xml',
          body: `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIA${issued}</AccessKeyId><SecretAccessKey>secret-${issued}</SecretAccessKey>
<SessionToken>token-${issued}</SessionToken><Expiration>${expires}</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::000000000000:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
        };
      });
      server.signingKeys = new Map([
        ['ASIA1', 'secret-1'],
        ['ASIA2', 'secret-2'],
        ['ASIA3', 'secret-3'],
      ]);
      const acker = new RecordingAcker();
      const a = agent({
        sts: { endpoint: sts.endpoint },
        credentials: { accessKeyId: 'base', secretAccessKey: 'base-secret', assumeRoleARN: 'arn:aws:iam::000000000000:role/shipper' },
      });
      const { delivery } = startDelivery(makeFlow({ maxBufferSizeRecords: 10 }), a);
      await pushAll(delivery, makeRecords(10, acker));
      expect(await until(() => acker.acked.length === 10)).toBe(true);
      await new Promise((r) => setTimeout(r, 3_000));
      await pushAll(delivery, makeRecords(10, acker, 0, 'later'));
      expect(await until(() => acker.acked.length === 20)).toBe(true);
      await delivery.close(1000);
      const keys = server.calls('PutRecords').map((c) => /Credential=(\w+)\//.exec(String(c.headers.authorization))?.[1]);
      expect(keys[0]).toBe('ASIA1');
      expect(keys.at(-1)).not.toBe('ASIA1');
      expect(server.calls('PutRecords').every((c) => c.status === 200)).toBe(true);
      expect(server.calls('PutRecords').at(-1)!.headers['x-amz-security-token']).toBe(`token-${keys.at(-1)!.slice(4)}`);
    } finally {
      await sts.stop();
    }
  });

  /** One put through the adapter with `path`, and how delivery classifies its failure. */
  async function failureThrough(path: PutPath, a: AgentConfig, credentials = credentialsFor(a, TEST_REGION)): Promise<{ kind: string; code: string; userError?: string | undefined; status?: number | undefined }> {
    const context: DestinationContext = { kind: 'kinesis', streamName: 'test', region: TEST_REGION, flowIndex: 0 };
    const transportOptions: TransportOptions = { endpoint: server.endpoint, defaultHttp2: true, connection: a.connection, proxy: undefined };
    const { adapter } = KINESIS.create({
      flow: makeFlow(),
      context,
      clientConfig: {
        region: TEST_REGION,
        endpoint: server.endpoint,
        credentials,
        maxAttempts: 1,
        requestHandler: requestHandlerFor(transportOptions),
      },
      transport: { path, endpoint: server.endpoint, connection: a.connection, cbor: true },
      log: silentLogger(),
      conditions: Conditions.detached(silentLogger()),
    });
    const acker = new RecordingAcker();
    const entries: Entry[] = makeRecords(3, acker).map((r) => ({ data: r.data, partitionKey: 'k', records: [r], userBytes: r.data.length }));
    try {
      await adapter.send(entries, new AbortController().signal);
      throw new Error('the call succeeded');
    } catch (err) {
      const f = classifyError(err, context);
      return { kind: f.kind, code: f.code, userError: f.userError?.code, status: (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode };
    } finally {
      adapter.close();
    }
  }

  const SDK: PutPath = { kind: 'sdk', reason: 'proxy' };
  const OWN: PutPath = { kind: 'own-h2' };

  it.each<[string, Fault | 'wrong-secret' | 'unknown-key', { kind: string; userError?: string }]>([
    ['ProvisionedThroughputExceededException (400)', { kind: 'throttle' }, { kind: 'throttle' }],
    ['500 InternalFailure', { kind: 'status', status: 500 }, { kind: 'transient' }],
    ['503', { kind: 'status', status: 503, type: 'ServiceUnavailable' }, { kind: 'throttle' }],
    ['429 with an unknown type', { kind: 'status', status: 429, type: 'Whatever' }, { kind: 'throttle' }],
    ['403 without a known type', { kind: 'status', status: 403, type: 'SomethingElse' }, { kind: 'user', userError: 'DESTINATION_ACCESS_DENIED' }],
    ['ResourceNotFoundException', { kind: 'userError', type: 'ResourceNotFoundException' }, { kind: 'user', userError: 'DESTINATION_NOT_FOUND' }],
    ['AccessDeniedException', { kind: 'userError', type: 'AccessDeniedException' }, { kind: 'user', userError: 'DESTINATION_ACCESS_DENIED' }],
    ['a wrong signature (403 InvalidSignatureException)', 'wrong-secret', { kind: 'user', userError: 'INVALID_CREDENTIALS' }],
    ['an unknown key (400 UnrecognizedClientException)', 'unknown-key', { kind: 'user', userError: 'INVALID_CREDENTIALS' }],
  ])('%s is classified as the SDK path classifies it', async (_, fault, expected) => {
    let a = agent();
    if (fault === 'wrong-secret') {
      server.signingKeys = new Map([['test', 'not-the-secret']]);
    } else if (fault === 'unknown-key') {
      server.signingKeys = new Map([['someone-else', 'x']]);
    } else {
      server.setFaults(fault);
    }
    a = { ...a, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    const sdk = await failureThrough(SDK, a);
    const own = await failureThrough(OWN, a);
    expect(own).toEqual(sdk);
    expect(own).toMatchObject(expected);
  });

  it('a credential chain that finds nothing fails the call as it does through the SDK: no credentials, a user error', async () => {
    const nothing = () => Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const own = await failureThrough(OWN, agent(), nothing);
    expect(own).toEqual(await failureThrough(SDK, agent(), nothing));
    expect(own).toMatchObject({ kind: 'user', userError: 'NO_CREDENTIALS' });
    expect(server.calls('PutRecords')).toHaveLength(0);
  });

  it('a malformed 200 answer fails as it does through the SDK', async () => {
    server.setFaults({ kind: 'malformed' });
    expect(await failureThrough(OWN, agent())).toEqual(await failureThrough(SDK, agent()));
    expect(await failureThrough(OWN, agent())).toMatchObject({ kind: 'transient', code: 'MalformedResponse' });
  });

  it('a request body is given back once its stream wrote all of it and closed, answered or not, and at once when it never reached a stream', async () => {
    const client = new KinesisClient({ region: TEST_REGION, endpoint: server.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const call = new JsonRpcCall(client, {
      target: 'Kinesis_20131202.PutRecords',
      endpoint: server.endpoint,
      connectTimeoutMs: 2_000,
      requestTimeoutMs: 5_000,
      ca: caFor(connection),
    });
    const body = Buffer.from(JSON.stringify({ StreamName: 'test', Records: [{ Data: Buffer.from('one\n').toString('base64'), PartitionKey: 'k' }] }));
    const send = async (): Promise<{ released: number; during: number; failed: boolean }> => {
      let released = 0;
      const failed = await call.send(body, undefined, () => released++).then(
        () => false,
        () => true,
      );
      const during = released;
      // 'close' follows the answer's end within the same few turns.
      await until(() => released > 0, 2_000);
      await new Promise((r) => setTimeout(r, 50));
      return { released, during, failed };
    };
    try {
      expect(await send()).toMatchObject({ released: 1, failed: false });
      server.setFaults({ kind: 'status', status: 500, times: 1 });
      expect(await send()).toMatchObject({ released: 1, failed: true });
      call.close();
      // A closed origin takes no body: it is free at once.
      expect(await send()).toMatchObject({ released: 1, during: 1, failed: true });
      expect(stored()).toEqual(['one\n']);
    } finally {
      call.close();
      client.destroy();
    }
  });

  it('an answer is a copy of its own, even when it came in one DATA frame, and readAnswer frees it once read', async () => {
    const client = new KinesisClient({ region: TEST_REGION, endpoint: server.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const call = new JsonRpcCall(client, { target: 'Kinesis_20131202.PutRecords', endpoint: server.endpoint, connectTimeoutMs: 2_000, requestTimeoutMs: 5_000, ca: caFor(connection) });
    const bodyOf = (n: number) =>
      Buffer.from(JSON.stringify({ StreamName: 'test', Records: Array.from({ length: n }, (_, i) => ({ Data: Buffer.from(`line ${i}\n`).toString('base64'), PartitionKey: `k${i}` })) }));
    try {
      // 500 records: an answer of tens of KB, in several DATA frames and TLS records.
      const big = await call.send(bodyOf(500));
      expect(big.length).toBeGreaterThan(20_000);
      expect(ownsItsMemory(big)).toBe(true);
      const count = readAnswer(big, (bytes) => (answerObject('PutRecords', bytes).Records as unknown[]).length);
      expect(count).toBe(500);
      expect(big.length).toBe(0);
      // 3 records: one small frame, copied out of the session's read buffer, which other streams' frames share.
      const small = await call.send(bodyOf(3));
      expect(small.buffer.byteLength === small.length || small.length < 4096).toBe(true);
      expect((answerObject('PutRecords', small).Records as unknown[]).length).toBe(3);
      // Freed when the reading throws, too.
      const failed = await call.send(bodyOf(500));
      expect(() => readAnswer(failed, () => {
        throw new Error('unreadable');
      })).toThrow('unreadable');
      expect(failed.length).toBe(0);
      expect(stored()).toHaveLength(1003);
    } finally {
      call.close();
      client.destroy();
    }
  });

  it('a credential chain that finds nothing gives the body back before anything is sent', async () => {
    const client = new KinesisClient({
      region: TEST_REGION,
      endpoint: server.endpoint,
      credentials: () => Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })),
    });
    const call = new JsonRpcCall(client, { target: 'Kinesis_20131202.PutRecords', endpoint: server.endpoint, connectTimeoutMs: 2_000, requestTimeoutMs: 5_000, ca: caFor(connection) });
    let released = 0;
    try {
      await expect(call.send(Buffer.from('{}'), undefined, () => released++)).rejects.toThrow(/credentials/);
      expect(released).toBe(1);
      expect(server.calls('PutRecords')).toHaveLength(0);
    } finally {
      call.close();
      client.destroy();
    }
  });

  it('a call with no answer within socketTimeoutMillis fails as a timeout, and delivery retries it', async () => {
    server.setFaults({ kind: 'delay', ms: 1_500, times: 1, operations: ['PutRecords'] });
    const acker = new RecordingAcker();
    const { delivery, metrics } = startDelivery(makeFlow({ maxBufferSizeRecords: 50 }), agent({ connection: { ...connection, socketTimeoutMillis: 300 } }));
    await pushAll(delivery, makeRecords(100, acker));
    expect(await until(() => acker.acked.length === 100)).toBe(true);
    await delivery.close(1000);
    expect(metrics.serviceErrors).toBeGreaterThanOrEqual(1);
    expect(new Set(stored()).size).toBe(100);
  });
});

describe('the own HTTP/2 exchange when nothing answers', () => {
  it('a refused connection fails with ECONNREFUSED, which delivery hints at as a wrong endpoint', async () => {
    const port = await freePort();
    const endpoint = `https://127.0.0.1:${port}`;
    const client = new KinesisClient({ region: TEST_REGION, endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const call = new JsonRpcCall(client, { target: 'Kinesis_20131202.PutRecords', endpoint, connectTimeoutMs: 1000, requestTimeoutMs: 1000 });
    try {
      const err = await call.send(Buffer.from('{}')).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as { code?: string }).code).toBe('ECONNREFUSED');
      const f = classifyError(err, { kind: 'kinesis', streamName: 's', region: TEST_REGION, flowIndex: 0 });
      expect(f).toMatchObject({ kind: 'transient', code: 'ECONNREFUSED' });
      expect(f.hint).toContain('kinesis.endpoint');
    } finally {
      call.close();
      client.destroy();
    }
  });
});
