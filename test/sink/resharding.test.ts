import { describe, expect, it } from 'vitest';
import type { DeliveryCore } from '../../src/sink/index.ts';
import { deaggregate } from './deaggregate.ts';
import { deliverAll, makeFlow, makeRecords, pushAll, RecordingAcker, until, useProtocolServer } from './helpers.ts';

describe('KPL aggregation and resharding', () => {
  const aws = useProtocolServer({ kinesis: { test: 2 } });

  it('an answer naming an unexpected shard refreshes the shard map, and later aggregates group by the new shards', async () => {
    const acker = new RecordingAcker();
    const flow = makeFlow({ aggregation: true, partitionKey: { kind: 'DETERMINISTIC' }, maxBufferSizeRecords: 20 });
    const { delivery } = aws.start(flow);
    await (delivery as DeliveryCore).ready();
    expect(await deliverAll(delivery, makeRecords(500, acker, 10, 'before'), acker)).toBe(true);
    expect(aws.server.calls('ListShards').length).toBe(1);

    aws.server.reshard('test', 5);
    await pushAll(delivery, makeRecords(500, acker, 10, 'during'));
    expect(await until(() => acker.acked.length === 1000)).toBe(true);
    expect(await until(() => aws.server.calls('ListShards').length >= 2)).toBe(true);
    await (delivery as DeliveryCore).ready();

    const mark = aws.server.streams.get('test')!.entries.length;
    await pushAll(delivery, makeRecords(500, acker, 10, 'after'));
    expect(await until(() => acker.acked.length === 1500)).toBe(true);
    await delivery.close(1000);

    const entries = aws.server.streams.get('test')!.entries.slice(mark);
    let users = 0;
    for (const e of entries) {
      for (const u of deaggregate(e.data, e.partitionKey!)) {
        expect(aws.server.shardOf('test', u.partitionKey)).toBe(e.shardId);
        users++;
      }
    }
    expect(users).toBe(500);
  });
});
