import { describe, expect, it } from 'vitest';
import { Line } from '../../src/pipeline/line.ts';
import type { DeliveryCore } from '../../src/sink/index.ts';
import { releasePacked, type Entry } from '../../src/sink/entry.ts';
import { deaggregate } from './deaggregate.ts';
import { makeFlow, makeRecords, pushAll, RecordingAcker, until, useProtocolServer } from './helpers.ts';

const acker = { ack: () => undefined };
const FILE = { path: 'a.log' };

describe('releasePacked frees what a packer made once it is delivered, and nothing else', () => {
  const chunk = () => Buffer.allocUnsafeSlow(64 * 1024).fill(0x61);
  it.each<[string, () => { entry: Entry; memory: () => ArrayBufferLike; check?: () => void }, boolean]>([
    [
      'a KPL aggregate (packed, memory of its own) is freed',
      () => {
        const data = Buffer.allocUnsafeSlow(100_000);
        return { entry: { data, partitionKey: 'k', records: [], userBytes: 0, packed: true }, memory: () => data.buffer };
      },
      true,
    ],
    [
      'a lone record sent as it is (not packed) is kept: the bytes are the record\'s own',
      () => {
        const data = Buffer.allocUnsafeSlow(100_000);
        return { entry: { data, partitionKey: 'k', records: [], userBytes: 0 }, memory: () => data.buffer };
      },
      false,
    ],
    [
      'a packed entry in a slice of Node\'s shared pool is kept: freeing would free other Buffers\' bytes',
      () => {
        const data = Buffer.from('short packed record');
        return { entry: { data, partitionKey: '', records: [], userBytes: 0, packed: true }, memory: () => data.buffer };
      },
      false,
    ],
    [
      'a Line, its own entry, is kept and never made to build a view of its bytes',
      () => {
        const c = chunk();
        const line = new Line(c, 10, 100, acker, 10, 110, FILE);
        return { entry: line, memory: () => c.buffer, check: () => expect(line.chunk).toBe(c) };
      },
      false,
    ],
  ])('%s', (_, make, freed) => {
    const { entry, memory, check } = make();
    expect(releasePacked([entry])).toBe(freed ? 1 : 0);
    expect(memory().byteLength === 0).toBe(freed);
    check?.();
  });
});

describe('KPL aggregates over the protocol server', () => {
  const aws = useProtocolServer({ kinesis: { test: 4 } });

  it('with half the aggregates failing inside answers, a delivered aggregate is freed and a failed one goes again whole: every user record arrives', async () => {
    aws.server.setFaults({ kind: 'failRecords', fraction: 0.5 });
    const ack = new RecordingAcker();
    const records = makeRecords(4000, ack, 200);
    // The smallest queue: calls of about 880 user records, an aggregate per shard in each, 20 or so in all.
    const flow = makeFlow({ aggregation: true, partitionKey: { kind: 'DETERMINISTIC' }, maxQueueBytes: 1 << 20 });
    const { delivery } = aws.start(flow);
    const core = delivery as DeliveryCore;
    await core.ready();
    // Every entry the delivery hands to its destination, as sent.
    const sent: Entry[] = [];
    const destination = (core as unknown as { destination: { send(entries: readonly Entry[], signal: AbortSignal): Promise<unknown> } }).destination;
    const send = destination.send.bind(destination);
    destination.send = (entries, signal) => {
      sent.push(...entries);
      return send(entries, signal);
    };
    await pushAll(delivery, records);
    expect(await until(() => ack.acked.length === 4000, 30_000)).toBe(true);
    await delivery.close(1000);

    const aggregates = [...new Set(sent.filter((e) => e.packed))];
    expect(aggregates.length).toBeGreaterThanOrEqual(12);
    // Some went more than once: they failed inside an answer first.
    expect(sent.filter((e) => e.packed).length).toBeGreaterThan(aggregates.length);
    // Delivered: each aggregate's memory is given back, none kept for the
    // collector, but for small ones in a slice of Node's shared Buffer pool.
    const kept = aggregates.filter((e) => e.data.buffer.byteLength > 0);
    expect(kept.map((e) => [e.data.length, e.data.buffer.byteLength])).toEqual(kept.map((e) => [e.data.length, Buffer.poolSize]));
    expect(kept.every((e) => e.data.length < Buffer.poolSize / 2)).toBe(true);
    expect(kept.length).toBeLessThan(aggregates.length / 2);
    // Failed ones went again whole: every user record, once, from the stored aggregates.
    const users = aws.server.streams.get('test')!.entries.flatMap((e) => deaggregate(e.data, e.partitionKey!).map((u) => u.data.toString()));
    expect(users.length).toBe(4000);
    expect(new Set(users)).toEqual(new Set(records.map((r) => r.data.toString())));
  });
});
