import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsProtocolServer } from '../servers/aws-protocol-server.ts';
import { makeAgent, makeFlow, makeRecords, pushAll, RecordingAcker, startDelivery, until } from './helpers.ts';

describe('close', () => {
  let server: AwsProtocolServer;
  beforeEach(async () => {
    server = await AwsProtocolServer.start();
    server.createStream('test', 1);
  });
  afterEach(async () => {
    await server.stop();
  });

  it('flushes what is buffered before returning', async () => {
    const acker = new RecordingAcker();
    const { delivery } = startDelivery(makeFlow({ maxBufferAgeMillis: 3_600_000 }), makeAgent(server.endpoint));
    await pushAll(delivery, makeRecords(120, acker));
    expect(acker.acked.length).toBe(0);
    await delivery.close(10_000);
    expect(acker.acked.length).toBe(120);
    expect(server.streams.get('test')!.entries.length).toBe(120);
  });

  it('under load against a stalled destination, returns within the timeout plus a little and acknowledges nothing undelivered', async () => {
    const acker = new RecordingAcker();
    const { delivery, metrics } = startDelivery(makeFlow({ maxBufferSizeRecords: 20 }), makeAgent(server.endpoint));
    // Let some calls succeed first.
    await pushAll(delivery, makeRecords(200, acker, 10, 'early'));
    expect(await until(() => acker.acked.length === 200)).toBe(true);

    server.setFaults({ kind: 'delay', ms: 5_000 });
    await pushAll(delivery, makeRecords(2000, acker, 10, 'late'));
    expect(await until(() => metrics.inFlightRequests > 0)).toBe(true);

    const started = Date.now();
    await delivery.close(300);
    const took = Date.now() - started;
    expect(took).toBeLessThan(300 + 2000);

    expect(acker.acked.length).toBe(200);
    // Records offered after close are not taken, and never acknowledged.
    const [after] = makeRecords(1, acker, 0, 'after');
    expect(delivery.push(after!)).toBe(false);
    expect(acker.acked.length).toBe(200);
  });
});
