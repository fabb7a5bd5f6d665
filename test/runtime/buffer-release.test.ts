import { describe, expect, it } from 'vitest';
import { freeBuffer, ownsItsMemory } from '../../src/buffer-release.ts';

describe('freeing a Buffer at once (freeBuffer)', () => {
  it.each<[string, () => { buf: Buffer; others: Buffer[] }, boolean]>([
    ['a Buffer.allocUnsafe larger than half of Node\'s pool spans its own memory: freed', () => ({ buf: Buffer.allocUnsafe(64 * 1024).fill(1), others: [] }), true],
    ['a Buffer.concat result: freed', () => ({ buf: Buffer.concat([Buffer.alloc(50_000, 1), Buffer.alloc(50_000, 2)]), others: [] }), true],
    ['a small Buffer is a slice of Node\'s shared pool: its neighbours keep their bytes', () => {
      const neighbour = Buffer.allocUnsafe(1000).fill(9);
      return { buf: Buffer.allocUnsafe(2000).fill(1), others: [neighbour] };
    }, false],
    ['a line inside a read chunk: the chunk keeps its bytes', () => {
      const chunk = Buffer.alloc(256 * 1024, 7);
      return { buf: chunk.subarray(100, 200), others: [chunk] };
    }, false],
    ['the head of a read chunk (offset 0, shorter than its memory): the chunk keeps its bytes', () => {
      const chunk = Buffer.alloc(256 * 1024, 7);
      return { buf: chunk.subarray(0, 1000), others: [chunk] };
    }, false],
    ['an empty Buffer: nothing to free', () => ({ buf: Buffer.alloc(0), others: [] }), false],
  ])('%s', (_, make, freed) => {
    const { buf, others } = make();
    const before = others.map((o) => Buffer.from(o));
    const length = buf.length;
    expect(ownsItsMemory(buf)).toBe(freed);
    expect(freeBuffer(buf)).toBe(freed);
    expect(buf.length).toBe(freed ? 0 : length);
    others.forEach((o, i) => expect(o.equals(before[i]!)).toBe(true));
  });

  it('gives the memory back while the Buffer is still referenced, which no collection could', () => {
    const before = process.memoryUsage().arrayBuffers;
    const bufs = Array.from({ length: 32 }, () => Buffer.allocUnsafe(1 << 20).fill(3));
    expect(process.memoryUsage().arrayBuffers - before).toBeGreaterThanOrEqual(32 << 20);
    for (const b of bufs) expect(freeBuffer(b)).toBe(true);
    expect(bufs.every((b) => b.length === 0)).toBe(true);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 << 20);
  });

  it('a freed Buffer is not freed twice, and every view of it reads as empty', () => {
    const buf = Buffer.allocUnsafe(100_000).fill(5);
    const view = buf.subarray(10, 20);
    expect(freeBuffer(buf)).toBe(true);
    expect(freeBuffer(buf)).toBe(false);
    expect(view.length).toBe(0);
  });
});
