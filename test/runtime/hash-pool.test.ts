import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIGEST_BYTES, HashPool, type HashAlgorithm } from '../../src/hash-pool.ts';

const MIN = 4096;
const pools: HashPool[] = [];
function pool(): HashPool {
  const p = new HashPool({ minBytes: MIN });
  pools.push(p);
  return p;
}
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

/** Random bytes in memory of their own, a range to hash in them and room for the digest after it. */
function input(algorithm: HashAlgorithm, length: number): { memory: Buffer; start: number; end: number; at: number; copy: Buffer } {
  const start = randomInt(0, 64);
  const end = start + length;
  const memory = Buffer.allocUnsafeSlow(end + DIGEST_BYTES[algorithm] + randomInt(0, 64));
  randomBytes(memory.length).copy(memory);
  return { memory, start, end, at: end, copy: Buffer.from(memory) };
}

/** What digestInPlace must leave: `copy` with the digest of its range written at `at`. */
function expected(algorithm: HashAlgorithm, copy: Buffer, start: number, end: number, at: number): Buffer {
  const out = Buffer.from(copy);
  createHash(algorithm).update(copy.subarray(start, end)).digest().copy(out, at);
  return out;
}

describe('HashPool', () => {
  it.each<HashAlgorithm>(['md5', 'sha256'])('%s digests taken on the worker equal node:crypto\'s, for random inputs, every other byte left alone', async (algorithm) => {
    const p = pool();
    const inputs = Array.from({ length: 40 }, () => input(algorithm, randomInt(MIN, 300_000)));
    // All at once: answers may come in any order, each must reach its own caller.
    const results = await Promise.all(inputs.map((i) => p.digestInPlace(algorithm, i.memory, i.start, i.end, i.at)));
    expect(p.running).toBe(true);
    inputs.forEach((i, n) => expect(results[n]!.equals(expected(algorithm, i.copy, i.start, i.end, i.at))).toBe(true));
    // The memory moved to the worker and back: the caller's Buffer is empty, the result holds it.
    expect(inputs.every((i) => i.memory.length === 0)).toBe(true);
    expect(p.pendingCount).toBe(0);
  });

  it('short ranges, and memory that cannot move (a slice of a larger buffer), are hashed on the calling thread: same bytes, same Buffer, no worker', async () => {
    const p = pool();
    const short = input('md5', MIN - 1);
    const back = await p.digestInPlace('md5', short.memory, short.start, short.end, short.at);
    expect(back).toBe(short.memory);
    expect(back.equals(expected('md5', short.copy, short.start, short.end, short.at))).toBe(true);
    const whole = randomBytes(200_000);
    const slice = whole.subarray(100, 150_100);
    const copy = Buffer.from(slice);
    const sliced = await p.digestInPlace('sha256', slice, 0, 100_000, 100_000);
    expect(sliced).toBe(slice);
    expect(sliced.equals(expected('sha256', copy, 0, 100_000, 100_000))).toBe(true);
    expect(p.running).toBe(false);
  });

  it('the worker\'s error reaches the caller, and the worker goes on serving others', async () => {
    const p = pool();
    const bad = input('md5', MIN * 2);
    await expect(p.digestInPlace('nope' as HashAlgorithm, bad.memory, bad.start, bad.end, bad.at)).rejects.toThrow(/digest/i);
    const good = input('md5', MIN * 2);
    expect((await p.digestInPlace('md5', good.memory, good.start, good.end, good.at)).equals(expected('md5', good.copy, good.start, good.end, good.at))).toBe(true);
  });

  it('close() stops the worker and rejects what was pending on it; the next digest starts a new one', async () => {
    const p = pool();
    const big = Array.from({ length: 8 }, () => input('md5', 4 << 20));
    const settled = Promise.allSettled(big.map((i) => p.digestInPlace('md5', i.memory, i.start, i.end, i.at)));
    await p.close();
    expect(p.running).toBe(false);
    const outcomes = await settled;
    // The last of 32 MiB of MD5 cannot have been answered before close() ended the worker.
    expect(outcomes.at(-1)!.status).toBe('rejected');
    expect(String((outcomes.at(-1) as PromiseRejectedResult).reason)).toMatch(/closed/);
    const next = input('sha256', MIN);
    expect((await p.digestInPlace('sha256', next.memory, next.start, next.end, next.at)).equals(expected('sha256', next.copy, next.start, next.end, next.at))).toBe(true);
    expect(p.running).toBe(true);
  });

  it('an idle worker does not keep the process alive: a process that hashed and did not close the pool exits by itself', () => {
    const module = join(import.meta.dirname, '..', '..', 'src', 'hash-pool.ts');
    const script = `
      const { HashPool } = await import(${JSON.stringify(module)});
      const p = new HashPool({ minBytes: 1 });
      const back = await p.digestInPlace('sha256', Buffer.alloc(1 << 20), 0, (1 << 20) - 32, (1 << 20) - 32);
      if (!p.running) throw new Error('no worker');
      console.log(back.subarray(-32).toString('hex'));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, encoding: 'utf8' });
    expect(out.trim()).toBe(createHash('sha256').update(Buffer.alloc((1 << 20) - 32)).digest('hex'));
  });
});
