import { describe, expect, it } from 'vitest';
import { BodyPool } from '../../src/sink/body-pool.ts';

describe('the request body pool', () => {
  it('lends a buffer given back again, for a body of any size it can hold', () => {
    const pool = new BodyPool({ maxBodyBytes: 1 << 20, maxFreeBytes: 1 << 20 });
    const first = pool.take(100_000);
    expect(first.length).toBe(100_000);
    pool.give(first);
    expect(pool.freeCount).toBe(1);
    const second = pool.take(110_000);
    expect(second.length).toBe(110_000);
    expect(second.buffer).toBe(first.buffer);
    expect(pool.freeCount).toBe(0);
  });

  it('never lends one buffer twice at once: bodies in flight each have their own', () => {
    const pool = new BodyPool({ maxBodyBytes: 1 << 20, maxFreeBytes: 1 << 20 });
    const lent = Array.from({ length: 8 }, () => pool.take(113_000));
    expect(new Set(lent.map((b) => b.buffer)).size).toBe(8);
    pool.give(lent[3]!);
    const again = pool.take(113_000);
    expect(again.buffer).toBe(lent[3]!.buffer);
    expect(lent.filter((b) => b.buffer === again.buffer)).toHaveLength(1);
  });

  it.each<[string, (pool: BodyPool) => void, number]>([
    ['a body given back twice is kept once', (pool) => { const b = pool.take(1000); pool.give(b); pool.give(b); }, 1],
    ['a Buffer it did not lend is ignored', (pool) => pool.give(Buffer.alloc(1000)), 0],
    ['a body over maxBodyBytes is allocated, not pooled', (pool) => pool.give(pool.take(300_000)), 0],
    ['free buffers stop at maxFreeBytes', (pool) => { const bs = [pool.take(100_000), pool.take(100_000), pool.take(100_000)]; bs.forEach((b) => pool.give(b)); }, 1],
    ['clear lets every free buffer go', (pool) => { pool.give(pool.take(1000)); pool.clear(); }, 0],
  ])('%s', (_, use, free) => {
    const pool = new BodyPool({ maxBodyBytes: 256 * 1024, maxFreeBytes: 200_000 });
    use(pool);
    expect(pool.freeCount).toBe(free);
  });

  it.each<[string, (pool: BodyPool) => Buffer, boolean]>([
    ['a body over maxBodyBytes is freed when given back', (pool) => { const b = pool.take(300_000); pool.give(b); return b; }, true],
    ['a body past maxFreeBytes is freed when given back', (pool) => { const bs = [pool.take(100_000), pool.take(100_000)]; bs.forEach((b) => pool.give(b)); return bs[1]!; }, true],
    ['a body kept for lending again is not freed', (pool) => { const b = pool.take(100_000); pool.give(b); return b; }, false],
    ['a body still lent is not freed', (pool) => pool.take(300_000), false],
    ['a Buffer it did not lend is not freed', (pool) => { const b = Buffer.allocUnsafeSlow(300_000); pool.give(b); return b; }, false],
  ])('memory it lets go of is freed at once, not left for the collector: %s', (_, use, freed) => {
    const pool = new BodyPool({ maxBodyBytes: 256 * 1024, maxFreeBytes: 150_000 });
    const body = use(pool);
    expect(body.buffer.byteLength === 0).toBe(freed);
  });
});
