import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsProtocolServer } from '../servers/aws-protocol-server.ts';
import { makeAgent, makeFlow, makeRecords, pushAll, RecordingAcker, startDelivery, until } from './helpers.ts';

describe('delivery to Kinesis (protocol server)', () => {
  let server: AwsProtocolServer;
  beforeEach(async () => {
    server = await AwsProtocolServer.start();
    server.createStream('test', 2);
  });
  afterEach(async () => {
    await server.stop();
  });

  it('delivers every record once and acknowledges each', async () => {
    const acker = new RecordingAcker();
    const records = makeRecords(2000, acker);
    const { delivery, metrics } = startDelivery(makeFlow(), makeAgent(server.endpoint));
    await pushAll(delivery, records);
    expect(await until(() => acker.acked.length === 2000)).toBe(true);
    await delivery.close(1000);
    const stored = server.streams.get('test')!.entries.map((e) => e.data.toString());
    expect(stored.length).toBe(2000);
    expect(new Set(stored).size).toBe(2000);
    expect([...acker.counts().values()].every((n) => n === 1)).toBe(true);
    expect(metrics.recordsSent).toBe(2000);
    expect(metrics.queueBytes).toBe(0);
  });

  it('a stream given as an ARN is addressed by StreamARN', async () => {
    const acker = new RecordingAcker();
    const arn = 'arn:aws:kinesis:us-east-1:000000000000:stream/test';
    const { delivery } = startDelivery(makeFlow({ destination: { kind: 'kinesis', streamName: arn } }), makeAgent(server.endpoint));
    await pushAll(delivery, makeRecords(10, acker));
    expect(await until(() => acker.acked.length === 10)).toBe(true);
    await delivery.close(1000);
    const call = server.calls('PutRecords')[0]!;
    expect(call.body.StreamARN).toBe(arn);
    expect(call.body.StreamName).toBeUndefined();
  });

  it('metrics count calls, attempts and bytes', async () => {
    const acker = new RecordingAcker();
    const records = makeRecords(100, acker);
    const { delivery, metrics } = startDelivery(makeFlow({ maxBufferSizeRecords: 25 }), makeAgent(server.endpoint));
    await pushAll(delivery, records);
    expect(await until(() => acker.acked.length === 100)).toBe(true);
    await delivery.close(1000);
    expect(metrics.requests).toBe(4);
    expect(metrics.retries).toBe(0);
    expect(metrics.recordSendAttempts).toBe(100);
    expect(metrics.bytesSent).toBe(records.reduce((n, r) => n + r.data.length, 0));
    expect(metrics.lastSendAt).toBeGreaterThan(0);
    expect(metrics.inFlightRequests).toBe(0);
  });
});
