import { describe, expect, it } from 'vitest';
import { Batcher, type BatchCaps } from '../../src/sink/batcher.ts';
import { PlainPacker, type Entry } from '../../src/sink/entry.ts';
import { RecordingAcker } from './helpers.ts';

/** Sizes of the batches 20 records of 100 bytes (data) make under `caps`. */
function batchSizes(caps: Partial<BatchCaps>): number[] {
  const out: number[] = [];
  const batcher = new Batcher(new PlainPacker(true), { entries: 500, bytes: Infinity, held: Infinity, heldPerRecord: 0, ...caps }, (entries: Entry[]) =>
    out.push(entries.length),
  );
  const acker = new RecordingAcker();
  for (let i = 0; i < 20; i++) batcher.add({ data: Buffer.alloc(100, 0x61), acker, start: i * 100, end: (i + 1) * 100, file: { path: 'a.log' } }, 'k');
  batcher.flush();
  return out;
}

describe('Batcher: where a batch is cut', () => {
  it.each<[string, Partial<BatchCaps>, number[]]>([
    ['no cap reached: one batch at flush', {}, [20]],
    ['by entries', { entries: 8 }, [8, 8, 4]],
    ['by the queue it holds: 100 bytes of data and 50 of bookkeeping each, 600 bytes of queue', { held: 600, heldPerRecord: 50 }, [4, 4, 4, 4, 4]],
    ['by the queue it holds, before entries', { entries: 8, held: 600, heldPerRecord: 50 }, [4, 4, 4, 4, 4]],
    ['by entries, before the queue it holds', { entries: 3, held: 600, heldPerRecord: 50 }, [3, 3, 3, 3, 3, 3, 2]],
    ['at the record that reaches the cap, not the one after', { held: 601, heldPerRecord: 50 }, [5, 5, 5, 5]],
  ])('%s', (_, caps, sizes) => {
    expect(batchSizes(caps)).toEqual(sizes);
  });
});
