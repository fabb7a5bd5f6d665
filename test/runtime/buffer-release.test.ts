import { describe, expect, it } from 'vitest';
import { freeBuffer } from '../../src/buffer-release.ts';
import { answerObject } from '../../src/sink/raw-exchange.ts';

describe('freeing a Buffer at once (freeBuffer)', () => {
  it.each<[string, () => { buf: Buffer; others: Buffer[] }, boolean]>([
    ['a Buffer that spans its own ArrayBuffer (allocUnsafe larger than half of Node\'s pool)', () => ({ buf: Buffer.allocUnsafe(64 * 1024).fill(1), others: [] }), true],
    ['the result of Buffer.concat', () => ({ buf: Buffer.concat([Buffer.alloc(50_000, 1), Buffer.alloc(50_000, 2)]), others: [] }), true],
    ['a slice of Node\'s shared pool: its neighbours keep their bytes', () => {
      const neighbour = Buffer.allocUnsafe(1000).fill(9);
      return { buf: Buffer.allocUnsafe(2000).fill(1), others: [neighbour] };
    }, false],
    ['a view into a larger chunk (a record in a file chunk): the chunk keeps its bytes', () => {
      const chunk = Buffer.alloc(256 * 1024, 7);
      return { buf: chunk.subarray(100, 200), others: [chunk] };
    }, false],
    ['an empty Buffer', () => ({ buf: Buffer.alloc(0), others: [] }), false],
  ])('%s', (_, make, freed) => {
    const { buf, others } = make();
    const before = others.map((o) => Buffer.from(o));
    const length = buf.length;
    expect(freeBuffer(buf)).toBe(freed);
    expect(buf.length).toBe(freed ? 0 : length);
    others.forEach((o, i) => expect(o.equals(before[i]!)).toBe(true));
  });

  it('frees memory V8 would otherwise keep until its next full collection', () => {
    const before = process.memoryUsage().arrayBuffers;
    const bufs = Array.from({ length: 32 }, () => Buffer.allocUnsafe(1 << 20).fill(3));
    expect(process.memoryUsage().arrayBuffers - before).toBeGreaterThanOrEqual(32 << 20);
    for (const b of bufs) expect(freeBuffer(b)).toBe(true);
    // Still referenced, so no collection could have freed them: the detach did.
    expect(bufs.every((b) => b.length === 0)).toBe(true);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 << 20);
  });

  it('a freed Buffer cannot be freed twice', () => {
    const buf = Buffer.allocUnsafe(100_000);
    expect(freeBuffer(buf)).toBe(true);
    expect(freeBuffer(buf)).toBe(false);
  });
});

describe('an answer is read once (answerObject)', () => {
  it('parses the answer and frees its bytes', () => {
    const bytes = Buffer.concat([Buffer.from('{"FailedRecordCount":0,"Records":['), Buffer.from(`${'{"SequenceNumber":"1","ShardId":"s"},'.repeat(3000)}{}]}`)]);
    const parsed = answerObject('PutRecords', bytes);
    expect(parsed.FailedRecordCount).toBe(0);
    expect((parsed.Records as unknown[]).length).toBe(3001);
    expect(bytes.length).toBe(0);
  });

  it('frees the bytes of an answer that is not JSON too', () => {
    const bytes = Buffer.concat([Buffer.from('<html>'), Buffer.alloc(80_000, 0x20), Buffer.from('</html>')]);
    expect(() => answerObject('PutRecords', bytes)).toThrow(/not JSON/);
    expect(bytes.length).toBe(0);
  });
});
