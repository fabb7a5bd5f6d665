import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Line } from '../../src/pipeline/line.ts';
import type { Acker, SourceRecord } from '../../src/pipeline/types.ts';
import { acknowledge } from '../../src/sink/ack-ranges.ts';
import type { Entry } from '../../src/sink/entry.ts';

/** An acker that records each range it is told of. */
class Ranges implements Acker {
  readonly acked: [number, number][] = [];
  ack(start: number, end: number): void {
    this.acked.push([start, end]);
  }
}

const FILE = { path: '/var/log/app.log' };

/** A line of file `acker` covering [start, end), with `end - start` bytes of data in a chunk of its own. */
function line(acker: Acker, start: number, end: number): Line {
  return new Line(Buffer.alloc(end - start + 4, 0x61), 2, end - start, acker, start, end, FILE);
}

/** An entry holding several records (as KPL aggregates and packed Firehose lines do). */
function packed(records: SourceRecord[]): Entry {
  return { data: Buffer.alloc(1), partitionKey: '', records, userBytes: records.reduce((n, r) => n + r.data.length, 0) };
}

/** Bytes [start, end) of each range, merged where they touch: what a set of acks covers. */
function covered(ranges: readonly (readonly [number, number])[]): [number, number][] {
  const out: [number, number][] = [];
  for (const [s, e] of [...ranges].filter(([s, e]) => e > s).sort((x, y) => x[0] - y[0])) {
    const last = out.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

describe('acknowledging a call: consecutive records of one file as one range', () => {
  const a = new Ranges();
  const b = new Ranges();
  const cases: { name: string; entries: () => Entry[]; acks: { a: [number, number][]; b: [number, number][] }; records: number }[] = [
    { name: 'nothing delivered: no ack', entries: () => [], acks: { a: [], b: [] }, records: 0 },
    { name: 'one line', entries: () => [line(a, 0, 10)], acks: { a: [[0, 10]], b: [] }, records: 1 },
    { name: 'three lines in a row: one range', entries: () => [line(a, 0, 10), line(a, 10, 25), line(a, 25, 26)], acks: { a: [[0, 26]], b: [] }, records: 3 },
    { name: 'a gap (a failed line between): two ranges', entries: () => [line(a, 0, 10), line(a, 20, 30)], acks: { a: [[0, 10], [20, 30]], b: [] }, records: 2 },
    {
      name: 'two files interleaved: a range per run',
      entries: () => [line(a, 0, 10), line(a, 10, 20), line(b, 0, 5), line(a, 20, 30)],
      acks: { a: [[0, 20], [20, 30]], b: [[0, 5]] },
      records: 4,
    },
    { name: 'out of order (a retry after newer lines): no range runs backwards', entries: () => [line(a, 10, 20), line(a, 0, 10)], acks: { a: [[10, 20], [0, 10]], b: [] }, records: 2 },
    {
      name: 'entries of several records join the run',
      entries: () => [packed([line(a, 0, 5), line(a, 5, 9)]), line(a, 9, 12), packed([line(b, 3, 4)])],
      acks: { a: [[0, 12]], b: [[3, 4]] },
      records: 4,
    },
  ];
  it.each(cases)('$name', ({ entries, acks, records }) => {
    a.acked.length = 0;
    b.acked.length = 0;
    const list = entries();
    const released = acknowledge(list);
    expect(a.acked).toEqual(acks.a);
    expect(b.acked).toEqual(acks.b);
    expect(released.records).toBe(records);
    expect(released.bytes).toBe(list.reduce((n, e) => n + e.userBytes, 0));
  });

  it('covers exactly the bytes of the delivered records, whatever mix of delivered and failed, files and calls', () => {
    const fileArb = fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(
        fc.array(fileArb, { minLength: 1, maxLength: 3 }),
        fc.infiniteStream(fc.boolean()),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (files, delivered, perCall, seed) => {
          // The tailers' lines, in the order a flow's files interleave them.
          const ackers = files.map(() => new Ranges());
          const queues = files.map((lengths, f) => {
            let at = 0;
            return lengths.map((n) => line(ackers[f]!, at, (at += n)));
          });
          const order: Line[] = [];
          let pick = seed;
          while (queues.some((q) => q.length > 0)) {
            pick = (pick * 1103515245 + 12345) % 2 ** 31;
            const q = queues.filter((x) => x.length > 0)[pick % queues.filter((x) => x.length > 0).length]!;
            order.push(q.shift()!);
          }
          // Cut into calls; in each call some records fail and are left out.
          const flags = delivered[Symbol.iterator]();
          const expected = ackers.map(() => [] as [number, number][]);
          for (let i = 0; i < order.length; i += perCall) {
            const call = order.slice(i, i + perCall).filter((r) => {
              const ok = flags.next().value as boolean;
              if (ok) expected[ackers.indexOf(r.acker as Ranges)]!.push([r.start, r.end]);
              return ok;
            });
            acknowledge(call);
          }
          ackers.forEach((acker, f) => {
            // The same bytes as acknowledging each record alone, with no more acks than records.
            expect(covered(acker.acked)).toEqual(covered(expected[f]!));
            expect(acker.acked.length).toBeLessThanOrEqual(expected[f]!.length);
            // No range covers a byte of a record that was not delivered.
            const total = (rs: [number, number][]): number => rs.reduce((n, [s, e]) => n + e - s, 0);
            expect(total(acker.acked)).toBe(total(expected[f]!));
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
