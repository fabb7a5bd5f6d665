import { describe, expect, it } from 'vitest';
import { parseStreamArn } from '../../src/sink/destinations.ts';
import { makeRecords, pushAll, RecordingAcker, until, useProtocolServer } from './helpers.ts';

describe('delivery to Kinesis (protocol server)', () => {
  const aws = useProtocolServer({ kinesis: { test: 2 } });

  it('delivers every record once and acknowledges each', async () => {
    const acker = new RecordingAcker();
    const records = makeRecords(2000, acker);
    const { delivery, metrics } = aws.start();
    await pushAll(delivery, records);
    expect(await until(() => acker.acked.length === 2000)).toBe(true);
    await delivery.close(1000);
    const stored = aws.server.streams.get('test')!.entries.map((e) => e.data.toString());
    expect(stored.length).toBe(2000);
    expect(new Set(stored).size).toBe(2000);
    expect([...acker.counts().values()].every((n) => n === 1)).toBe(true);
    expect(metrics.recordsSent).toBe(2000);
    expect(metrics.queueBytes).toBe(0);
  });

  it('acknowledges the records of one file that follow each other in a call as one range', async () => {
    const ranges: [number, number][] = [];
    const acker = { ack: (start: number, end: number) => void ranges.push([start, end]) };
    const records = makeRecords(1000, acker);
    const fileEnd = records.at(-1)!.end;
    const { delivery } = aws.start({ maxBufferSizeRecords: 250 });
    await pushAll(delivery, records);
    const covered = () => ranges.reduce((n, [a, b]) => n + b - a, 0);
    expect(await until(() => covered() === fileEnd)).toBe(true);
    await delivery.close(1000);
    // Four calls of 250 records: four acknowledgements, which together cover the file once.
    expect(aws.server.calls('PutRecords').length).toBe(4);
    expect(ranges.length).toBe(4);
    const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
    sorted.forEach(([start], i) => expect(start).toBe(i === 0 ? 0 : sorted[i - 1]![1]));
  });

  it('a stream given as an ARN is addressed by StreamARN', async () => {
    const acker = new RecordingAcker();
    const arn = 'arn:aws:kinesis:us-east-1:000000000000:stream/test';
    const { delivery } = aws.start({ destination: { kind: 'kinesis', streamName: 'test', arn: parseStreamArn(arn, 'kinesis')! } });
    await pushAll(delivery, makeRecords(10, acker));
    expect(await until(() => acker.acked.length === 10)).toBe(true);
    await delivery.close(1000);
    const call = aws.server.calls('PutRecords')[0]!;
    expect(call.body.StreamARN).toBe(arn);
    expect(call.body.StreamName).toBeUndefined();
  });

  it('metrics count calls, attempts and bytes', async () => {
    const acker = new RecordingAcker();
    const records = makeRecords(100, acker);
    const { delivery, metrics } = aws.start({ maxBufferSizeRecords: 25 });
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
