import { describe, expect, it } from 'vitest';
import { AggregateBuilder, KPL_MAGIC } from '../../src/sink/kpl.ts';
import { KplPacker } from '../../src/sink/kpl-packer.ts';
import { ShardMap, hashKeyOf } from '../../src/sink/shard-map.ts';
import { deaggregate } from './deaggregate.ts';
import { makeRecords, RecordingAcker, sizedRecords } from './helpers.ts';
import type { Entry } from '../../src/sink/entry.ts';

describe('KPL aggregated records', () => {
  it('encode to the exact size announced, and deaggregate to every user record with its key', () => {
    const b = new AggregateBuilder();
    const users = Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 7}`, data: Buffer.from(`rec ${i} ${'z'.repeat(i)}\n`) }));
    for (const u of users) {
      const expected = b.sizeWith(u.key, u.data.length);
      b.add(u.key, u.data);
      expect(b.size).toBe(expected);
    }
    const encoded = b.encode();
    expect(encoded.length).toBe(b.size);
    expect(encoded.subarray(0, 4).equals(KPL_MAGIC)).toBe(true);
    const back = deaggregate(encoded, 'k0');
    expect(back.map((r) => r.data.toString())).toEqual(users.map((u) => u.data.toString()));
    expect(back.map((r) => r.partitionKey)).toEqual(users.map((u) => u.key));
  });

  it('varints of large records encode correctly (a record over 16 KiB)', () => {
    const b = new AggregateBuilder();
    const big = Buffer.alloc(200_000, 0x61);
    b.add('key', big);
    b.add('key', Buffer.from('small\n'));
    const back = deaggregate(b.encode(), 'key');
    expect(back[0]!.data.equals(big)).toBe(true);
    expect(back[1]!.data.toString()).toBe('small\n');
  });

  it('the packer keeps aggregates under 1 MiB with their key, and groups records by shard', () => {
    const map = new ShardMap([
      { shardId: 'a', start: 0n, end: (1n << 127n) - 1n },
      { shardId: 'b', start: 1n << 127n, end: (1n << 128n) - 1n },
    ]);
    const packer = new KplPacker((key) => ({ kind: 'shard', shardId: map.shardOf(key)! }), 1024 * 1024);
    const acker = new RecordingAcker();
    const records = makeRecords(20_000, acker, 150);
    const keys = records.map((_, i) => `key-${i}`);
    let announced = 0;
    records.forEach((r, i) => {
      announced += packer.cost(r, keys[i]!).bytes;
      packer.add(r, keys[i]!);
    });
    expect(packer.byteCount).toBe(announced);
    const entries = packer.take();
    const seen: string[] = [];
    for (const e of entries) {
      expect(e.data.length + Buffer.byteLength(e.partitionKey)).toBeLessThanOrEqual(1024 * 1024);
      const shard = map.shardOf(e.partitionKey);
      for (const u of deaggregate(e.data, e.partitionKey)) {
        // Every user record inside lands where its own key would have sent it.
        expect(map.shardOf(u.partitionKey)).toBe(shard);
        seen.push(u.data.toString());
      }
    }
    expect(entries.length).toBeGreaterThan(2);
    expect(seen.sort()).toEqual(records.map((r) => r.data.toString()).sort());
  });

  it('a record too large for an aggregate travels plain', () => {
    const packer = new KplPacker(() => ({ kind: 'key', key: 's' }), 1024 * 1024);
    const acker = new RecordingAcker();
    const big = { data: Buffer.alloc(1024 * 1024 - 20, 0x62), acker, start: 0, end: 10, file: { path: 'test.log' } };
    packer.add(big, 'k');
    const [entry] = packer.take();
    expect(entry!.data).toBe(big.data);
  });

  it('hash keys are the MD5 of the partition key read as a 128-bit number', () => {
    // md5("") = d41d8cd98f00b204e9800998ecf8427e
    expect(hashKeyOf('')).toBe(0xd41d8cd98f00b204e9800998ecf8427en);
  });
});

describe('KPL encoding, property', () => {
  it('any user records and keys come back byte for byte, and the announced size is exact', async () => {
    const fc = await import('fast-check');
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.string({ minLength: 1, maxLength: 256, unit: 'grapheme' }), data: fc.uint8Array({ maxLength: 3000 }) }), {
          minLength: 1,
          maxLength: 60,
        }),
        (users) => {
          const b = new AggregateBuilder();
          for (const u of users) {
            const expected = b.sizeWith(u.key, u.data.length);
            b.add(u.key, Buffer.from(u.data));
            if (b.size !== expected) return false;
          }
          const encoded = b.encode();
          if (encoded.length !== b.size) return false;
          const back = deaggregate(encoded, users[0]!.key);
          return (
            back.length === users.length &&
            back.every((r, i) => r.partitionKey === users[i]!.key && r.data.equals(Buffer.from(users[i]!.data)))
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('KPL packer, property', () => {
  it('with cost() before each add() and batches taken between them: every record once, in order per group, entries within the limit, byteCount what take() hands over (a lone record less its envelope), and each record routed once', async () => {
    const fc = await import('fast-check');
    const acker = new RecordingAcker();
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: fc.constantFrom('', 'a', 'b', 'c', 'ключ'),
            len: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 2000, max: 5000 })),
            takeBetween: fc.boolean(),
          }),
          { minLength: 1, maxLength: 120 },
        ),
        fc.integer({ min: 1500, max: 8000 }),
        (ops, limit) => {
          let routed = 0;
          // Two shards: 'a' and 'ключ' on one, 'b' and 'c' on the other.
          const packer = new KplPacker((key) => {
            routed++;
            return { kind: 'shard', shardId: key === 'a' || key === 'ключ' ? 's0' : 's1' };
          }, limit);
          const out: Entry[] = [];
          const takeAll = (): boolean => {
            const expected = packer.byteCount;
            const taken = packer.take();
            out.push(...taken);
            const handed = taken.reduce((n, e) => n + e.data.length + Buffer.byteLength(e.partitionKey), 0);
            // A lone record leaves without the envelope it was counted with: fewer bytes, never more.
            return taken.some((e) => !e.packed) ? handed <= expected : handed === expected;
          };
          const records = sizedRecords(ops.map((op) => op.len), acker, '');
          let routesExpected = 0;
          for (let i = 0; i < ops.length; i++) {
            const { key, takeBetween } = ops[i]!;
            packer.cost(records[i]!, key);
            if (takeBetween && !takeAll()) return false;
            packer.add(records[i]!, key);
            if (key !== '') routesExpected += takeBetween ? 2 : 1;
          }
          if (!takeAll()) return false;
          if (routed !== routesExpected) return false;
          const seen: string[] = [];
          for (const e of out) {
            if (e.data.length + Buffer.byteLength(e.partitionKey) > limit && e.records.length > 1) return false;
            const users = e.records.length === 1 && !e.packed ? [{ data: e.data }] : deaggregate(e.data, e.partitionKey);
            if (users.length !== e.records.length) return false;
            users.forEach((u, j) => {
              if (!u.data.equals(e.records[j]!.data)) seen.push('mismatch');
              seen.push(u.data.toString().split(' ')[0]!);
            });
          }
          return seen.length === records.length && [...seen].sort((x, y) => Number(x) - Number(y)).every((s, i) => s === String(i));
        },
      ),
      { numRuns: 300 },
    );
  });
});
