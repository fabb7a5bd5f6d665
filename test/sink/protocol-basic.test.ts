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
});
