import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsProtocolServer } from '../servers/aws-protocol-server.ts';
import { makeAgent, makeFlow, makeRecords, pushAll, RecordingAcker, startDelivery, until } from './helpers.ts';

describe('HTTPS endpoints (HTTP/2, the SDK default handler for Kinesis)', () => {
  let server: AwsProtocolServer;
  const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  beforeAll(async () => {
    // The test server's certificate is self-signed; only this worker skips verification.
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    server = await AwsProtocolServer.start({ tls: true });
    server.createStream('test', 2);
    server.createDeliveryStream('fh');
  });
  afterAll(async () => {
    await server.stop();
    if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
  });

  it('Kinesis calls over HTTP/2 share sessions instead of opening one per call', async () => {
    const acker = new RecordingAcker();
    const { delivery } = startDelivery(makeFlow({ maxBufferSizeRecords: 10 }), makeAgent(server.endpoint));
    await pushAll(delivery, makeRecords(1000, acker));
    expect(await until(() => acker.acked.length === 1000)).toBe(true);
    await delivery.close(1000);
    const calls = server.calls('PutRecords');
    expect(calls.length).toBeGreaterThanOrEqual(100);
    expect(calls.every((c) => c.headers[':scheme'] === 'https')).toBe(true);
    expect(server.sessions).toBeLessThan(calls.length / 4);
    expect(new Set(server.streams.get('test')!.entries.map((e) => e.data.toString())).size).toBe(1000);
  });

  it('Firehose calls over HTTPS are delivered', async () => {
    const acker = new RecordingAcker();
    const { delivery } = startDelivery(makeFlow({ destination: { kind: 'firehose', streamName: 'fh' } }), makeAgent(server.endpoint));
    await pushAll(delivery, makeRecords(300, acker));
    expect(await until(() => acker.acked.length === 300)).toBe(true);
    await delivery.close(1000);
    expect(server.deliveryStreams.get('fh')!.length).toBe(300);
  });
});
