import { describe, expect, it } from 'vitest';
import { RECORD_OVERHEAD_BYTES } from '../../src/sink/delivery.js';
import { makeAgent, makeFlow, makeRecords, pushAll, RecordingAcker, startDelivery, until, useProtocolServer } from './helpers.ts';

describe('backpressure', () => {
  const aws = useProtocolServer();

  it('with the destination down, push() returns false once maxQueueBytes is queued, memory stays bounded, and drained() resolves after recovery', async () => {
    aws.server.setFaults({ kind: 'status', status: 500 });
    const maxQueueBytes = 64 * 1024;
    const acker = new RecordingAcker();
    const records = makeRecords(20_000, acker, 100);
    const recordBytes = records[0]!.data.length;
    const { delivery, metrics } = aws.start({ maxQueueBytes, maxBufferSizeRecords: 50 });

    let accepted = 0;
    while (accepted < records.length && delivery.push(records[accepted]!)) accepted++;
    accepted++; // the one that was taken while saying "full"
    expect(accepted).toBeLessThan(records.length);
    // Each record counts its data and its bookkeeping; the metric says the data.
    const held = () => metrics.queueBytes + accepted * RECORD_OVERHEAD_BYTES;
    expect(metrics.queueBytes).toBe(records.slice(0, accepted).reduce((n, r) => n + r.data.length, 0));
    expect(held()).toBeGreaterThanOrEqual(maxQueueBytes);
    expect(held()).toBeLessThan(maxQueueBytes + recordBytes + RECORD_OVERHEAD_BYTES + 120);
    expect(metrics.queueCapacityBytes).toBe(maxQueueBytes);

    let drained = false;
    void delivery.drained().then(() => (drained = true));
    // The outage goes on for many calls; nothing is delivered, memory does not grow.
    const seen = aws.server.requests.length;
    expect(await until(() => aws.server.requests.length >= seen + 10)).toBe(true);
    expect(drained).toBe(false);
    expect(acker.acked.length).toBe(0);
    expect(held()).toBeLessThan(maxQueueBytes + recordBytes + RECORD_OVERHEAD_BYTES + 120);

    aws.server.clearFaults();
    expect(await until(() => drained)).toBe(true);
    await pushAll(delivery, records.slice(accepted));
    expect(await until(() => acker.acked.length === records.length, 30_000)).toBe(true);
    expect(new Set(aws.server.streams.get('test')!.entries.map((e) => e.data.toString())).size).toBe(records.length);
    await delivery.close(1000);
  });

  it('short records count their bookkeeping against maxQueueBytes: a 1 MiB queue takes ~2,700 records of 9 bytes, not 116,000', async () => {
    aws.server.setFaults({ kind: 'status', status: 500 });
    const maxQueueBytes = 1024 * 1024;
    const acker = new RecordingAcker();
    const records = makeRecords(20_000, acker, 0, 'l');
    const { delivery, metrics } = aws.start({ maxQueueBytes });
    let accepted = 0;
    while (accepted < records.length && delivery.push(records[accepted]!)) accepted++;
    accepted++;
    const per = metrics.queueBytes / accepted + RECORD_OVERHEAD_BYTES;
    expect(Math.abs(accepted - maxQueueBytes / per)).toBeLessThan(2);
    expect(accepted).toBeLessThan(3000);
    // Nothing is lost for it: once the destination answers, every record arrives.
    aws.server.clearFaults();
    await pushAll(delivery, records.slice(accepted));
    expect(await until(() => acker.acked.length === records.length, 30_000)).toBe(true);
    await delivery.close(1000);
  });

  it('a full queue sends its open batch at once rather than waiting for it to age', async () => {
    const acker = new RecordingAcker();
    const records = makeRecords(100, acker, 100);
    const { delivery } = startDelivery(
      makeFlow({ maxQueueBytes: 2048, maxBufferAgeMillis: 3_600_000, maxBufferSizeRecords: 500 }),
      makeAgent(aws.server.endpoint),
    );
    await pushAll(delivery, records);
    expect(await until(() => acker.acked.length >= 80)).toBe(true);
    await delivery.close(1000);
  });
});
