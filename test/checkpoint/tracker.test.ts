import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointTracker } from '../../src/checkpoint/tracker.js';

describe('CheckpointTracker', () => {
  it('commits in-order acks as they come', () => {
    const seen: number[] = [];
    const t = new CheckpointTracker(0, (o) => seen.push(o));
    t.ack(0, 10);
    t.ack(10, 25);
    expect(t.committed).toBe(25);
    expect(seen).toEqual([10, 25]);
  });

  it('never passes a gap: out-of-order acks wait for the earlier range', () => {
    const t = new CheckpointTracker(100);
    t.ack(110, 120);
    t.ack(120, 130);
    expect(t.committed).toBe(100);
    t.ack(100, 110);
    expect(t.committed).toBe(130);
    expect(t.waiting).toBe(0);
  });

  it('ignores repeated and stale acks', () => {
    const t = new CheckpointTracker(0);
    t.ack(0, 5);
    t.ack(0, 5);
    t.ack(2, 5);
    expect(t.committed).toBe(5);
  });

  it('runs whenCommitted callbacks once the offset is reached', () => {
    const t = new CheckpointTracker(0);
    let fired = 0;
    t.whenCommitted(20, () => fired++);
    t.ack(0, 10);
    expect(fired).toBe(0);
    t.ack(10, 20);
    expect(fired).toBe(1);
    t.whenCommitted(5, () => fired++);
    expect(fired).toBe(2);
  });

  it('for any ack order, the committed offset is the longest acked run from the start', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 60 }),
        fc.func(fc.integer()),
        fc.integer({ min: 0, max: 60 }),
        (lengths, orderFn, unacked) => {
          const ranges: [number, number][] = [];
          let at = 0;
          for (const l of lengths) {
            ranges.push([at, at + l]);
            at += l;
          }
          const skipIdx = unacked < ranges.length ? unacked : -1;
          const order = ranges.map((r, i) => ({ r, i, k: orderFn(i) })).sort((a, b) => a.k - b.k);
          const t = new CheckpointTracker(0);
          const acked = new Set<number>();
          for (const { r, i } of order) {
            if (i === skipIdx) continue;
            t.ack(r[0], r[1]);
            acked.add(i);
            // Invariant: committed is the end of the acked prefix.
            let j = 0;
            while (acked.has(j)) j++;
            const expected = j === 0 ? 0 : ranges[j - 1]![1];
            if (t.committed !== expected) return false;
          }
          return true;
        },
      ),
    );
  });
});
