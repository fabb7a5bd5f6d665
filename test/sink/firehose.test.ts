import { describe, expect, it } from 'vitest';
import { makeAgent, makeFlow, makeRecords, pushAll, RecordingAcker, startDelivery, until, useProtocolServer } from './helpers.ts';

describe('delivery to Firehose', () => {
  const aws = useProtocolServer({ firehose: ['fh'] });

  it('aggregatedRecordSizeBytes packs whole lines into records of about that size', async () => {
    // Two files: offsets of each start at 0.
    const acker = new RecordingAcker();
    const longAcker = new RecordingAcker();
    const short = makeRecords(2000, acker, 40, 's');
    const long = makeRecords(5, longAcker, 3000, 'L');
    const flow = makeFlow({ destination: { kind: 'firehose', streamName: 'fh' }, aggregatedRecordSizeBytes: 1024 });
    const { delivery, metrics } = aws.start(flow);
    await pushAll(delivery, [...short.slice(0, 1000), ...long, ...short.slice(1000)]);
    expect(await until(() => acker.acked.length + longAcker.acked.length === 2005)).toBe(true);
    await delivery.close(1000);

    const stored = aws.server.deliveryStreams.get('fh')!;
    const lines: string[] = [];
    for (const r of stored) {
      const text = r.data.toString();
      // Whole lines only: every record ends at a line end.
      expect(text.endsWith('\n')).toBe(true);
      const inside = text.slice(0, -1).split('\n').map((l) => `${l}\n`);
      if (inside.length > 1) expect(r.data.length).toBeLessThanOrEqual(1024);
      lines.push(...inside);
    }
    expect(lines.length).toBe(2005);
    expect(new Set(lines)).toEqual(new Set([...short, ...long].map((r) => r.data.toString())));
    // Packed: a 1 KiB record holds about 20 of these 50-byte lines.
    expect(stored.length).toBeLessThan(150);
    expect(metrics.recordsSent).toBe(2005);
  });

  it('without packing, one line is one Firehose record; Streams and Firehose flows run side by side', async () => {
    aws.server.createStream('ks', 1);
    const agent = makeAgent(aws.server.endpoint);
    const fa = new RecordingAcker();
    const ka = new RecordingAcker();
    const fh = startDelivery(makeFlow({ destination: { kind: 'firehose', streamName: 'fh' } }), agent);
    const ks = startDelivery(makeFlow({ index: 1, destination: { kind: 'kinesis', streamName: 'ks' } }), agent);
    await Promise.all([pushAll(fh.delivery, makeRecords(300, fa)), pushAll(ks.delivery, makeRecords(300, ka))]);
    expect(await until(() => fa.acked.length === 300 && ka.acked.length === 300)).toBe(true);
    await Promise.all([fh.delivery.close(1000), ks.delivery.close(1000)]);
    expect(aws.server.deliveryStreams.get('fh')!.length).toBe(300);
    expect(aws.server.streams.get('ks')!.entries.length).toBe(300);
    // Firehose records carry no partition key.
    expect(aws.server.calls('PutRecordBatch').every((c) => c.entries.every((e) => e.partitionKey === undefined))).toBe(true);
  });

  it('failed records inside a PutRecordBatch answer are re-sent alone', async () => {
    aws.server.setFaults({ kind: 'failRecords', fraction: 0.3 });
    const acker = new RecordingAcker();
    const flow = makeFlow({ destination: { kind: 'firehose', streamName: 'fh' }, maxBufferSizeRecords: 100 });
    const { delivery } = aws.start(flow);
    await pushAll(delivery, makeRecords(1000, acker));
    expect(await until(() => acker.acked.length === 1000)).toBe(true);
    await delivery.close(1000);
    const stored = aws.server.deliveryStreams.get('fh')!.map((e) => e.data.toString());
    expect(stored.length).toBe(1000);
    expect(new Set(stored).size).toBe(1000);
  });
});
