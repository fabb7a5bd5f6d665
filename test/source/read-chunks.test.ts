import { describe, expect, it } from 'vitest';
import { ReadChunks } from '../../src/source/read-chunks.ts';

const CHUNK = 64 * 1024;
/** `n` chunks as the tailer reads them, back to back from offset 0, each with the offset it ends at. */
function readChunks(n: number): { chunks: ReadChunks; bufs: Buffer[]; ends: number[] } {
  const chunks = new ReadChunks();
  const bufs: Buffer[] = [];
  const ends: number[] = [];
  for (let i = 0; i < n; i++) {
    const buf = Buffer.allocUnsafe(CHUNK).fill(i + 1);
    bufs.push(buf);
    ends.push((i + 1) * CHUNK);
    chunks.add(buf, ends[i]!);
  }
  return { chunks, bufs, ends };
}

describe('read chunks freed once their lines are acknowledged (ReadChunks)', () => {
  it.each<[string, (ends: number[]) => number, number]>([
    ['nothing acknowledged: none freed', () => 0, 0],
    ['committed inside the first chunk: none freed (a line in it is still in flight)', (e) => e[0]! - 1, 0],
    ['committed at the first chunk\'s end: the first freed', (e) => e[0]!, 1],
    ['committed inside the third chunk: the first two freed', (e) => e[2]! - 100, 2],
    ['committed at the last chunk\'s end: all freed', (e) => e[3]!, 4],
  ])('%s', (_, committedOf, freed) => {
    const { chunks, bufs, ends } = readChunks(4);
    expect(chunks.freeBelow(committedOf(ends))).toBe(freed);
    bufs.forEach((b, i) => expect(b.length).toBe(i < freed ? 0 : CHUNK));
    // Untouched chunks keep every byte.
    bufs.slice(freed).forEach((b, i) => expect(b.every((x) => x === freed + i + 1)).toBe(true));
    expect(chunks.held).toBe(4 - freed);
  });

  it('frees each chunk once, as the committed offset moves on', () => {
    const { chunks, bufs, ends } = readChunks(3);
    expect(chunks.freeBelow(ends[0]!)).toBe(1);
    expect(chunks.freeBelow(ends[0]!)).toBe(0);
    expect(chunks.freeBelow(ends[2]!)).toBe(2);
    expect(bufs.every((b) => b.length === 0)).toBe(true);
  });

  it('does not remember a read that shares its memory (a short read, a small one from Node\'s pool)', () => {
    const chunks = new ReadChunks();
    const whole = Buffer.allocUnsafe(CHUNK).fill(1);
    chunks.add(whole.subarray(0, 100), 100);
    const small = Buffer.allocUnsafe(512).fill(2);
    chunks.add(small, 612);
    expect(chunks.held).toBe(0);
    expect(chunks.freeBelow(10_000)).toBe(0);
    expect(whole.length).toBe(CHUNK);
    expect(small.every((x) => x === 2)).toBe(true);
  });

  it('after the file starts over, chunks of the old content are left to the collector', () => {
    const { chunks, bufs, ends } = readChunks(2);
    chunks.forget();
    expect(chunks.freeBelow(ends[1]!)).toBe(0);
    expect(bufs.every((b) => b.length === CHUNK)).toBe(true);
  });
});
