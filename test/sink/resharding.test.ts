import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryCore } from '../../src/sink/index.ts';
import { AwsProtocolServer } from '../servers/aws-protocol-server.ts';
import { deaggregate } from './deaggregate.ts';
import { makeAgent, makeFlow, makeRecords, pushAll, RecordingAcker, startDelivery, until } from './helpers.ts';

describe('KPL aggregation and resharding', () => {
  let server: AwsProtocolServer;
  beforeEach(async () => {
    server = await AwsProtocolServer.start();
    server.createStream('test', 2);
  });
  afterEach(async () => {
    await server.stop();
  });

  it('an answer naming an unexpected shard refreshes the shard map, and later aggregates group by the new shards', async () => {
    const acker = new RecordingAcker();
    const flow = makeFlow({ aggregation: true, partitionKey: { kind: 'DETERMINISTIC' }, maxBufferSizeRecords: 20 });
    const { delivery } = startDelivery(flow, makeAgent(server.endpoint));
    await (delivery as DeliveryCore).ready();
    await pushAll(delivery, makeRecords(500, acker, 10, 'before'));
    expect(await until(() => acker.acked.length === 500)).toBe(true);
    expect(server.calls('ListShards').length).toBe(1);

    server.reshard('test', 5);
    await pushAll(delivery, makeRecords(500, acker, 10, 'during'));
    expect(await until(() => acker.acked.length === 1000)).toBe(true);
    expect(await until(() => server.calls('ListShards').length >= 2)).toBe(true);
    await (delivery as DeliveryCore).ready();

    const mark = server.streams.get('test')!.entries.length;
    await pushAll(delivery, makeRecords(500, acker, 10, 'after'));
    expect(await until(() => acker.acked.length === 1500)).toBe(true);
    await delivery.close(1000);

    const entries = server.streams.get('test')!.entries.slice(mark);
    let users = 0;
    for (const e of entries) {
      for (const u of deaggregate(e.data, e.partitionKey!)) {
        expect(server.shardOf('test', u.partitionKey)).toBe(e.shardId);
        users++;
      }
    }
    expect(users).toBe(500);
  });
});
