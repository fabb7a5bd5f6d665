import { describe, expect, it } from 'vitest';
import { decide, GROWTH_BYTES, initialState, QUIET_CPU_PERCENT, releaseMemory, startState, type ReleaseState } from '../../src/memory-release.js';

const MB = 1024 * 1024;

describe('memory release after a burst: when', () => {
  const base = 20 * MB;
  const cases: { name: string; state: ReleaseState; cpu: number; held: number; release: boolean; quiet: number; floor: number }[] = [
    { name: 'busy: never, and the quiet count starts over', state: { kind: 'watching', quietChecks: 1, floorBytes: base }, cpu: 40, held: base + 200 * MB, release: false, quiet: 0, floor: base },
    { name: 'the first quiet check after a burst: not yet', state: initialState(base), cpu: 1, held: base + 100 * MB, release: false, quiet: 1, floor: base },
    { name: 'the second quiet check after a burst: release', state: { kind: 'watching', quietChecks: 1, floorBytes: base }, cpu: 1, held: base + 100 * MB, release: true, quiet: 0, floor: base },
    { name: 'quiet but grown less than the threshold: no', state: { kind: 'watching', quietChecks: 5, floorBytes: base }, cpu: 0.5, held: base + GROWTH_BYTES - 1, release: false, quiet: 6, floor: base },
    { name: 'just under the quiet CPU share counts as quiet', state: { kind: 'watching', quietChecks: 1, floorBytes: base }, cpu: QUIET_CPU_PERCENT - 0.01, held: base + GROWTH_BYTES, release: true, quiet: 0, floor: base },
    { name: 'at the quiet CPU share is busy', state: { kind: 'watching', quietChecks: 1, floorBytes: base }, cpu: QUIET_CPU_PERCENT, held: base + GROWTH_BYTES, release: false, quiet: 0, floor: base },
    { name: 'after start: what start-up left (20 MB) is released at the second quiet check', state: { ...startState(), quietChecks: 1 }, cpu: 1, held: base, release: true, quiet: 0, floor: 0 },
    { name: 'after start: busy start-up is never interrupted', state: startState(), cpu: 30, held: base, release: false, quiet: 0, floor: 0 },
    { name: 'held memory below the floor lowers it', state: { kind: 'watching', quietChecks: 0, floorBytes: base }, cpu: 1, held: base - 5 * MB, release: false, quiet: 1, floor: base - 5 * MB },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = decide(c.state, { cpuPercent: c.cpu, heldBytes: c.held });
      expect(d.release).toBe(c.release);
      expect(d.next).toEqual({ kind: 'watching', quietChecks: c.quiet, floorBytes: c.floor });
    });
  }
});

describe('memory release', () => {
  it('frees dead Buffers and heap a burst left behind', () => {
    // A burst's leftovers: 64 MB of Buffers and objects nothing refers to any more.
    let garbage: unknown[] | undefined = [];
    for (let i = 0; i < 256; i++) garbage.push(Buffer.alloc(256 * 1024, i), { i, s: `record ${i}`.repeat(100) });
    // Held while still referenced: no collection can have freed it yet. (V8
    // may collect some of it on its own once it is dropped, before the
    // release: measured from here, that does not matter.)
    const m = process.memoryUsage();
    const whileHeld = m.heapTotal + m.arrayBuffers;
    garbage = undefined;
    expect(garbage).toBeUndefined();
    const released = releaseMemory();
    expect(released).toBeDefined();
    expect(whileHeld - released!.afterBytes).toBeGreaterThan(48 * MB);
  });
});
