import { describe, expect, it } from 'vitest';
import { maxRecordBytes } from '../../src/sink/index.ts';
import { makeFlow, pushAll, RecordingAcker, sizedRecords, until, useProtocolServer } from './helpers.ts';

const MIB = 1024 * 1024;

describe('API limits', () => {
  const aws = useProtocolServer({ kinesis: { test: 2 }, firehose: ['fh'] });

  it('maxRecordBytes leaves room for the partition key on Streams and is 1,000 KiB on Firehose', () => {
    expect(maxRecordBytes({ kind: 'kinesis', streamName: 's' })).toBe(MIB - 256);
    expect(maxRecordBytes('kinesis', 16)).toBe(MIB - 16);
    expect(maxRecordBytes({ kind: 'firehose', streamName: 'f' })).toBe(1000 * 1024);
  });

  it('PutRecords calls never exceed 500 records or 5 MiB, and a record near 1 MiB goes through', async () => {
    const acker = new RecordingAcker();
    const sizes = [
      ...Array.from({ length: 1200 }, () => 40),
      maxRecordBytes('kinesis'),
      ...Array.from({ length: 30 }, () => 300 * 1024),
      maxRecordBytes('kinesis'),
    ];
    const flow = makeFlow({ maxBufferSizeRecords: 10_000, maxBufferSizeBytes: 64 * MIB, maxBufferAgeMillis: 1000, maxQueueBytes: 64 * MIB });
    const { delivery } = aws.start(flow);
    await pushAll(delivery, sizedRecords(sizes, acker));
    expect(await until(() => acker.acked.length === sizes.length)).toBe(true);
    await delivery.close(1000);
    const calls = aws.server.calls('PutRecords');
    for (const c of calls) {
      expect(c.entries.length).toBeLessThanOrEqual(500);
      const bytes = c.entries.reduce((n, e) => n + e.data.length + Buffer.byteLength(e.partitionKey ?? ''), 0);
      expect(bytes).toBeLessThanOrEqual(5 * MIB);
      for (const e of c.entries) expect(e.data.length + Buffer.byteLength(e.partitionKey ?? '')).toBeLessThanOrEqual(MIB);
    }
    expect(calls.some((c) => c.entries.length === 500)).toBe(true);
    const stored = aws.server.streams.get('test')!.entries;
    expect(stored.length).toBe(sizes.length);
    expect(stored.filter((e) => e.data.length === maxRecordBytes('kinesis')).length).toBe(2);
  });

  it('PutRecordBatch calls never exceed 500 records or 4 MiB', async () => {
    const acker = new RecordingAcker();
    const sizes = [...Array.from({ length: 700 }, () => 30), ...Array.from({ length: 20 }, () => 900 * 1024)];
    const flow = makeFlow({
      destination: { kind: 'firehose', streamName: 'fh' },
      maxBufferSizeRecords: 10_000,
      maxBufferSizeBytes: 64 * MIB,
      maxBufferAgeMillis: 1000,
      maxQueueBytes: 64 * MIB,
    });
    const { delivery } = aws.start(flow);
    await pushAll(delivery, sizedRecords(sizes, acker));
    expect(await until(() => acker.acked.length === sizes.length)).toBe(true);
    await delivery.close(1000);
    for (const c of aws.server.calls('PutRecordBatch')) {
      expect(c.entries.length).toBeLessThanOrEqual(500);
      expect(c.entries.reduce((n, e) => n + e.data.length, 0)).toBeLessThanOrEqual(4 * MIB);
    }
    expect(aws.server.deliveryStreams.get('fh')!.length).toBe(sizes.length);
  });

  it('maxBufferSizeRecords and maxBufferSizeBytes cut batches below the API limits', async () => {
    const acker = new RecordingAcker();
    const flow = makeFlow({ maxBufferSizeRecords: 7, maxBufferSizeBytes: 1000, maxBufferAgeMillis: 300 });
    const { delivery } = aws.start(flow);
    // Two files: offsets of each start at 0.
    const other = new RecordingAcker();
    await pushAll(delivery, sizedRecords(Array.from({ length: 70 }, () => 50), acker));
    await pushAll(delivery, sizedRecords(Array.from({ length: 20 }, () => 300), other));
    expect(await until(() => acker.acked.length + other.acked.length === 90)).toBe(true);
    await delivery.close(1000);
    for (const c of aws.server.calls('PutRecords')) {
      expect(c.entries.length).toBeLessThanOrEqual(7);
      expect(c.entries.reduce((n, e) => n + e.data.length + Buffer.byteLength(e.partitionKey ?? ''), 0)).toBeLessThanOrEqual(1000);
    }
  });
});
