/**
 * A batch cut at a third of `maxQueueBytes`, KPL flows on a 6 MiB queue by
 * default, and the KPL packer's placement kept from cost() to add(), end to
 * end against the protocol server: the smallest queue with aggregation and
 * lines near 1 MiB, a destination down (memory bounded by the queue), and
 * Firehose packed records cut at a third of the queue, all under faults.
 */
import { describe, expect, it } from 'vitest';
import { RECORD_OVERHEAD_BYTES, type DeliveryCore } from '../../src/sink/delivery.ts';
import { QUEUE_BYTES_AGGREGATED } from '../../src/config/flow-keys.ts';
import { deaggregate } from './deaggregate.ts';
import { pushAll, RecordingAcker, sizedRecords, until, useProtocolServer } from './helpers.ts';

const MIB = 1024 * 1024;

describe('a batch cut at a third of the queue, KPL and packed Firehose flows', () => {
  const aws = useProtocolServer({ kinesis: { test: 4 }, firehose: ['fh'] });

  /**
   * Every user record stored in the Kinesis stream; with `routed`, each one
   * checked to be on the shard its own key hashes to (the stream is not
   * resharded in these tests, so that is where its aggregate landed).
   */
  function storedKinesis(routed = false): string[] {
    return aws.server.streams.get('test')!.entries.flatMap((e) => {
      expect(e.data.length + Buffer.byteLength(e.partitionKey!)).toBeLessThanOrEqual(MIB);
      const users = deaggregate(e.data, e.partitionKey!);
      if (routed) for (const u of users) expect(aws.server.shardOf('test', u.partitionKey)).toBe(e.shardId);
      return users.map((u) => u.data.toString('latin1'));
    });
  }

  for (const partitionKey of [{ kind: 'DETERMINISTIC' as const }, { kind: 'RANDOM' as const }]) {
    it(`${partitionKey.kind} keys, maxQueueBytes 1 MiB (the minimum), lines from 10 bytes to near 1 MiB and 30% failing inside answers: every line stored once with its bytes${partitionKey.kind === 'DETERMINISTIC' ? ", on its own key's shard" : ''}`, async () => {
      aws.server.setFaults({ kind: 'failRecords', fraction: 0.3 });
      const acker = new RecordingAcker();
      const lengths = Array.from({ length: 1200 }, (_, i) => (i % 97 === 5 ? MIB - 200 : i % 41 === 3 ? 400_000 : i % 13 === 0 ? 30_000 : 10 + (i % 300)));
      const records = sizedRecords(lengths, acker, 'i-');
      const { delivery, metrics } = aws.start({ aggregation: true, partitionKey, maxQueueBytes: MIB, maxInFlightRequests: 4, maxBufferAgeMillis: 30 });
      await (delivery as DeliveryCore).ready();
      await pushAll(delivery, records);
      const all = await until(() => acker.acked.length === records.length, 60_000);
      await delivery.close(2_000);
      expect(all, `acknowledged ${acker.acked.length} of ${records.length}`).toBe(true);
      const stored = storedKinesis(partitionKey.kind === 'DETERMINISTIC');
      const expected = new Set(records.map((r) => r.data.toString('latin1')));
      expect(stored.filter((s) => !expected.has(s))).toEqual([]);
      expect(new Set(stored).size).toBe(records.length);
      expect(metrics.recordsSent).toBe(records.length);
      expect([...acker.counts().values()].every((n) => n === 1)).toBe(true);
      for (const c of aws.server.calls('PutRecords')) {
        expect(c.status).toBe(200);
        expect(c.entries.length).toBeLessThanOrEqual(500);
      }
    }, 90_000);
  }

  it('KPL flow, the default aggregated queue (6 MiB), destination down: reading pauses once the queue holds maxQueueBytes, memory does not grow over many failed calls, then everything arrives', async () => {
    aws.server.setFaults({ kind: 'status', status: 500 });
    const acker = new RecordingAcker();
    const records = sizedRecords(Array.from({ length: 40_000 }, () => 170), acker, 'i-');
    const { delivery, metrics } = aws.start({ aggregation: true, partitionKey: { kind: 'DETERMINISTIC' }, maxQueueBytes: QUEUE_BYTES_AGGREGATED, maxBufferAgeMillis: 30 });
    let accepted = 0;
    while (accepted < records.length && delivery.push(records[accepted]!)) accepted++;
    accepted++;
    expect(accepted).toBeLessThan(records.length);
    const held = (): number => metrics.queueBytes + accepted * RECORD_OVERHEAD_BYTES;
    expect(held()).toBeGreaterThanOrEqual(QUEUE_BYTES_AGGREGATED);
    expect(held()).toBeLessThan(QUEUE_BYTES_AGGREGATED + 170 + RECORD_OVERHEAD_BYTES + 1);
    const seen = aws.server.requests.length;
    expect(await until(() => aws.server.requests.length >= seen + 10, 30_000)).toBe(true);
    expect(acker.acked.length).toBe(0);
    expect(held()).toBeLessThan(QUEUE_BYTES_AGGREGATED + 170 + RECORD_OVERHEAD_BYTES + 1);
    // Each failed call carried at most a third of the queue (and at least one line).
    for (const c of aws.server.calls('PutRecords')) {
      const lines = c.entries.reduce((n, e) => n + deaggregate(e.data, e.partitionKey ?? '').length, 0);
      expect(lines).toBeLessThanOrEqual(Math.ceil(QUEUE_BYTES_AGGREGATED / 3 / (170 + RECORD_OVERHEAD_BYTES)));
    }
    aws.server.clearFaults();
    await pushAll(delivery, records.slice(accepted));
    const all = await until(() => acker.acked.length === records.length, 60_000);
    await delivery.close(2_000);
    expect(all, `acknowledged ${acker.acked.length} of ${records.length}`).toBe(true);
    expect(new Set(storedKinesis(true)).size).toBe(records.length);
  }, 90_000);

  for (const maxQueueBytes of [MIB, 2 * MIB]) {
    it(`Firehose packed records (aggregatedRecordSizeBytes 128 KiB), maxQueueBytes ${maxQueueBytes / MIB} MiB, throttled and failing inside answers: every line once, calls within 500 records and 4 MiB, records within 1000 KiB`, async () => {
      aws.server.setFaults({ kind: 'throttle', times: 3 }, { kind: 'failRecords', fraction: 0.3 });
      const acker = new RecordingAcker();
      const lengths = Array.from({ length: 6000 }, (_, i) => (i % 499 === 7 ? 900_000 : i % 53 === 1 ? 150_000 : 20 + (i % 400)));
      const records = sizedRecords(lengths, acker, 'i-');
      const { delivery, metrics } = aws.start({ destination: { kind: 'firehose', streamName: 'fh' }, aggregatedRecordSizeBytes: 128 * 1024, maxQueueBytes, maxInFlightRequests: 4, maxBufferAgeMillis: 30 });
      await pushAll(delivery, records);
      const all = await until(() => acker.acked.length === records.length, 60_000);
      await delivery.close(2_000);
      expect(all, `acknowledged ${acker.acked.length} of ${records.length}`).toBe(true);
      const stored = aws.server.deliveryStreams.get('fh')!.flatMap((e) => {
        expect(e.data.length).toBeLessThanOrEqual(1000 * 1024);
        const text = e.data.toString('latin1');
        expect(text.endsWith('\n')).toBe(true);
        return text.slice(0, -1).split('\n').map((l) => `${l}\n`);
      });
      const expected = new Set(records.map((r) => r.data.toString('latin1')));
      expect(stored.filter((s) => !expected.has(s)).slice(0, 2).map((s) => s.slice(0, 40))).toEqual([]);
      expect(new Set(stored).size).toBe(records.length);
      expect(metrics.recordsSent).toBe(records.length);
      for (const c of aws.server.calls('PutRecordBatch')) {
        expect(c.entries.length).toBeLessThanOrEqual(500);
        expect(c.entries.reduce((n, e) => n + e.data.length, 0)).toBeLessThanOrEqual(4 * MIB);
      }
    }, 90_000);
  }
});
