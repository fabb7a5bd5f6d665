/**
 * Packers remember a record between the cost() and the add() the batcher
 * asks of it (PlainPacker's choice, KplPacker's placement, the
 * CompressingPacker's compressed copy). Once a batch is taken and
 * delivered, nothing of it may stay reachable from the packer: what a quiet
 * flow keeps alive is outside maxQueueBytes. The KPL case, found first, is
 * in kpl-packer-placement.test.ts; these are the other packers of the kind.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PlainPacker, type Packer } from '../../src/sink/entry.ts';
import { LinePacker } from '../../src/sink/firehose/packer.ts';
import { CompressingPacker, codecFor, maxInputFor } from '../../src/sink/compression.ts';
import { KplPacker } from '../../src/sink/kpl-packer.ts';
import type { SourceRecord } from '../../src/pipeline/types.ts';
import { RecordingAcker } from './helpers.ts';

const MIB = 1024 * 1024;
const gzip = codecFor('gzip');

const gc = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

describe('a packer holds nothing of a batch once it is taken', () => {
  it.each<[string, () => Packer, string]>([
    ['PlainPacker (Streams, a key per record)', () => new PlainPacker(true, MIB), 'k'],
    ['PlainPacker (Streams, RANDOM keys)', () => new PlainPacker(true, MIB), ''],
    ['LinePacker (Firehose, lines packed into records)', () => new LinePacker(512 * 1024, 1000 * 1024), ''],
    ['CompressingPacker, each record compressed (plain records)', () => new CompressingPacker(new PlainPacker(true, MIB), gzip, true), 'k'],
    ['CompressingPacker, aggregates compressed whole (KPL)', () => new CompressingPacker(new KplPacker(() => ({ kind: 'key', key: 'k' }), maxInputFor(gzip, MIB)), gzip, false), 'k'],
  ])('%s', async (_, make, key) => {
    const packer = make();
    const acker = new RecordingAcker();
    let refs: WeakRef<object>[] = [];
    (() => {
      const records: SourceRecord[] = ['a', 'b'].map((name, i) => {
        const data = Buffer.alloc(100_000, 0x61 + i);
        return { data, acker, start: i * data.length, end: (i + 1) * data.length, file: { path: 't.log' } };
      });
      refs = records.map((r) => new WeakRef(r.data));
      for (const r of records) {
        packer.cost(r, key);
        packer.add(r, key);
      }
      if (packer.take().length === 0) throw new Error('entries expected');
    })();
    // The entries were delivered and dropped; the flow goes idle (WeakRefs made in this job hold until it ends).
    await new Promise((r) => setTimeout(r, 0));
    gc();
    gc();
    expect(refs.map((r) => r.deref() === undefined)).toEqual([true, true]);
  });
});
