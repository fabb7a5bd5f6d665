import { describe, expect, it } from 'vitest';
import { copyData, dataLength, Line } from '../../src/pipeline/line.ts';
import type { Acker } from '../../src/pipeline/types.ts';
import { PlainPacker, type Entry, type Packer } from '../../src/sink/entry.ts';
import { Batcher } from '../../src/sink/batcher.ts';
import { KplPacker } from '../../src/sink/kpl-packer.ts';
import { LinePacker } from '../../src/sink/firehose/packer.ts';
import { deaggregate } from '../sink/deaggregate.ts';

const acker: Acker = { ack: () => {} };
const FILE = { path: '/var/log/app.log' };

describe('a Line: one object per line, its bytes a range of the chunk read', () => {
  const chunk = Buffer.from('first\nsecond\nthird\n');

  it('shows its range of the chunk as data, sharing the chunk\'s memory', () => {
    const l = new Line(chunk, 6, 7, acker, 106, 113, FILE);
    expect(l.data.toString()).toBe('second\n');
    expect(l.data.buffer).toBe(chunk.buffer);
    expect(dataLength(l)).toBe(7);
    expect(l.userBytes).toBe(7);
  });

  it('makes its view once, on the first read, and keeps it', () => {
    const l = new Line(chunk, 6, 7, acker, 106, 113, FILE);
    const first = l.data;
    expect(l.data).toBe(first);
    expect(first.toString()).toBe('second\n');
    expect(dataLength(l)).toBe(7);
  });

  it('hands over a Buffer that is the whole of its own as is, without a new view', () => {
    const own = Buffer.from('joined line\n');
    expect(new Line(own, 0, own.length, acker, 0, 12, FILE).data).toBe(own);
  });

  it('holds a processor\'s new bytes whole', () => {
    const l = new Line(chunk, 6, 7, acker, 106, 113, FILE);
    const out = Buffer.from('{"line":"second"}\n');
    l.data = out;
    expect(l.data).toBe(out);
    expect(dataLength(l)).toBe(out.length);
    // Its file range is what it was read from, whatever its bytes became.
    expect([l.start, l.end]).toEqual([106, 113]);
  });

  it('copies its bytes, and a plain record\'s, into a body at an offset', () => {
    const body = Buffer.alloc(20, 0x2e);
    let at = copyData(new Line(chunk, 13, 6, acker, 0, 6, FILE), body, 2);
    at = copyData({ data: Buffer.from('xy') }, body, at);
    expect(at).toBe(10);
    expect(body.toString()).toBe('..third\nxy..........');
  });

  it('is its own entry as one API record each, with the key the packer chose', () => {
    const packer = new PlainPacker(true, 1024, () => '');
    const lines = [new Line(chunk, 0, 6, acker, 0, 6, FILE), new Line(chunk, 6, 7, acker, 6, 13, FILE)];
    packer.add(lines[0]!, 'k1');
    packer.add(lines[1]!, '');
    const entries = packer.take();
    expect(entries[0]).toBe(lines[0]);
    expect(entries[1]).toBe(lines[1]);
    expect(entries.map((e) => e.partitionKey)).toEqual(['k1', '']);
    expect(entries[1]!.records).toEqual([lines[1]]);
  });

  it('a record that is not a Line gets an entry of its own holding it', () => {
    const packer = new PlainPacker(false);
    const record = { data: Buffer.from('x\n'), acker, start: 0, end: 2, file: FILE };
    packer.add(record, '');
    const [entry] = packer.take();
    expect(entry).not.toBe(record);
    expect(entry!.records).toEqual([record]);
    expect(entry!.userBytes).toBe(2);
  });
});

describe('batching Lines reads their bytes without a view of each (a heap object per line less at full speed)', () => {
  const chunk = Buffer.from(Array.from({ length: 50 }, (_, i) => `line-${String(i).padStart(3, '0')}\n`).join(''));
  const linesOf = () => Array.from({ length: 50 }, (_, i) => new Line(chunk, i * 9, 9, acker, i * 9, i * 9 + 9, FILE));
  const caps = { entries: 500, bytes: 5 << 20, held: Infinity, heldPerRecord: 384 };

  const asIs = (body: Buffer) => body.toString();
  it.each<[string, () => Packer, (body: Buffer) => string]>([
    ['plain PutRecords (each Line its own entry)', () => new PlainPacker(true, 1 << 20, () => ''), asIs],
    [
      'KPL aggregation (Lines copied into the aggregate when it is encoded)',
      () => new KplPacker(() => ({ kind: 'shard', shardId: 'shardId-0' }), 1 << 20),
      (body) => deaggregate(body, 'key').map((r) => r.data.toString()).join(''),
    ],
    ['Firehose packing (Lines copied into records of up to 200 bytes)', () => new LinePacker(200, 1000), asIs],
  ])('%s', (_, packer, shippedOf) => {
    const lines = linesOf();
    const batches: Entry[][] = [];
    const batcher = new Batcher(packer(), caps, (entries) => batches.push(entries));
    for (const l of lines) batcher.add(l, 'key');
    batcher.flush();
    const entries = batches.flat();
    // Still ranges of the chunk: no Line made a view of its own.
    expect(lines.every((l) => l.chunk === chunk)).toBe(true);
    const body = Buffer.alloc(entries.reduce((n, e) => n + dataLength(e), 0));
    let at = 0;
    for (const e of entries) at = copyData(e, body, at);
    expect(shippedOf(body)).toBe(chunk.toString());
  });
});
