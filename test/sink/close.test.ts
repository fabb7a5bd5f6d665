import { describe, expect, it } from 'vitest';
import { deliverAll, makeRecords, pushAll, RecordingAcker, until, useProtocolServer } from './helpers.ts';

describe('close', () => {
  const aws = useProtocolServer();

  it('flushes what is buffered before returning', async () => {
    const acker = new RecordingAcker();
    const { delivery } = aws.start({ maxBufferAgeMillis: 3_600_000 });
    await pushAll(delivery, makeRecords(120, acker));
    expect(acker.acked.length).toBe(0);
    await delivery.close(10_000);
    expect(acker.acked.length).toBe(120);
    expect(aws.server.streams.get('test')!.entries.length).toBe(120);
  });

  it('under load against a stalled destination, returns within the timeout plus a little and acknowledges nothing undelivered', async () => {
    const acker = new RecordingAcker();
    const { delivery, metrics } = aws.start({ maxBufferSizeRecords: 20 });
    // Let some calls succeed first.
    expect(await deliverAll(delivery, makeRecords(200, acker, 10, 'early'), acker)).toBe(true);

    aws.server.setFaults({ kind: 'delay', ms: 5_000 });
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
