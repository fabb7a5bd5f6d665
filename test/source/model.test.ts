import { appendFile, copyFile, readdir, rename, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CollectingSink } from './support/collecting-sink.js';
import { startSource, type Harness } from './support/harness.js';
import { tempDir, testFlow, waitFor } from './support/helpers.js';

type Op =
  | { kind: 'append'; f: number; n: number }
  | { kind: 'rotate'; f: number }
  | { kind: 'copytruncate'; f: number }
  | { kind: 'truncate'; f: number }
  | { kind: 'delete'; f: number }
  | { kind: 'restart' }
  /** Rename and create at the same path at once (within the watcher's coalescing window). */
  | { kind: 'rotateCreate'; f: number; n: number }
  /** The symlinked log (`applink.log`) swapped to a new target file holding `n` lines. */
  | { kind: 'swap'; n: number }
  /** Stop; append `n` lines to every log (creating those rotated away); start. */
  | { kind: 'restartWithNew'; n: number }
  /** Two new files with the same first line; `a` and `b` more lines of their own (0 for one of them is the hard case). */
  | { kind: 'twins'; a: number; b: number };

const FILES = 3;
/** The symlinked log is logical file number FILES. */
const LINK = FILES;
const fileArb = fc.integer({ min: 0, max: FILES });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), f: fileArb, n: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rotate' as const), f: fileArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('copytruncate' as const), f: fileArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), f: fileArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), f: fileArb }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rotateCreate' as const), f: fileArb, n: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('swap' as const), n: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restartWithNew' as const), n: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('twins' as const), a: fc.integer({ min: 0, max: 5 }), b: fc.integer({ min: 0, max: 5 }) }) },
);

/**
 * The model: each logical log has a current file that gets lines; every
 * line ever written must come out as often as it was written (once; twice
 * for the shared first line of twins), and the lines of one generation of a
 * file (between rotations) in the order written. The one thing the model
 * asks of timing is what any tailer needs: a file is found before it is
 * renamed out of the patterns or deleted, and read before it is truncated
 * with no copy to read from. The flow has run before the first operation
 * (`initialPosition: END_OF_FILE`, a seed line read first), so files
 * created while the agent is stopped must be read from their start.
 */
async function runModel(ops: Op[], wide: boolean): Promise<void> {
  const { dir, cleanup } = await tempDir('ka-model-');
  const pattern = wide ? join(dir, 'app*.log*') : join(dir, 'app*.log');
  // Rescans far apart: files are found by events and by the check of what
  // a tailed path leads to, as they must be in the field.
  const flow = testFlow([pattern], { minTimeBetweenFilePollsMillis: 5, maxTimeBetweenFileTrackerRefreshMillis: 60_000, initialPosition: 'END_OF_FILE' });
  const sink = new CollectingSink({ maxAckDelayMs: 3 });
  const opts = { sinkInstance: sink, source: { rotatedGraceMillis: 60, multiLineFlushMillis: 60 } };
  let h: Harness = await startSource(dir, flow, opts);
  const written: string[] = [];
  const gen = Array.from({ length: FILES + 1 }, () => 0);
  const seq = Array.from({ length: FILES + 1 }, () => 0);
  const current = Array.from({ length: FILES + 1 }, () => 0); // lines in the current file
  let k = 0;
  /** Generations no longer reachable by path (deleted, or renamed out of the patterns): only an open descriptor reads them. */
  const unreachable: string[] = [];
  const link = join(dir, 'applink.log');
  let target = '';
  /** Where lines of logical file f go: its path, or the symlink's target (outside the patterns). */
  const path = (f: number) => (f === LINK ? target : join(dir, `app${f}.log`));
  const got = () => new Set(sink.lines());
  const linesFor = (f: number, n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) {
      const line = `f${f}-g${gen[f]}-${String(seq[f]!++).padStart(5, '0')}`;
      written.push(line);
      s += `${line}\n`;
    }
    current[f]! += n;
    return s;
  };
  const newGeneration = (f: number) => {
    gen[f]!++;
    seq[f] = 0;
    current[f] = 0;
  };
  /** The symlink now leads to a new target holding `n` lines (swapped atomically, as ln -sfn through a rename does). */
  async function swapLink(n: number) {
    if (target) newGeneration(LINK);
    target = join(dir, `t${k++}.dat`);
    await writeFile(target, linesFor(LINK, n));
    await symlink(target, `${link}.new`);
    await rename(`${link}.new`, link);
  }
  await swapLink(0);
  // The flow runs once before anything else happens: from now on it has checkpoints.
  await appendFile(path(0), linesFor(0, 1));
  await waitFor(
    () => got().has('f0-g0-00000'),
    () => 'seed line not read',
  );

  /** The agent holds the current file open (so its bytes cannot be lost). */
  async function tracked(f: number) {
    if (current[f] === 0) return;
    const ino = (await stat(f === LINK ? target : path(f))).ino.toString();
    await waitFor(
      () => h.source.status().some((s) => s.identity.ino === ino),
      () => `file ${f} never tracked: ${JSON.stringify(h.source.status())}`,
    );
  }
  /**
   * Every file the patterns match is tracked and placed (none waiting): a
   * stop right after a copytruncate, before the copy was placed, may send
   * what the original had given again after the restart (the checkpoint
   * names the truncated file's new content; see docs/tailing.md).
   */
  async function settled() {
    const matched = wide ? /^app.*\.log/ : /^app.*\.log$/;
    await waitFor(
      async () => {
        const names = (await readdir(dir)).filter((n) => matched.test(n));
        const inos = await Promise.all(names.map(async (n) => (await stat(join(dir, n)).catch(() => undefined))?.ino.toString()));
        const st = h.source.status();
        const tracked = new Set(st.map((s) => s.identity.ino));
        return st.every((s) => s.state !== 'waiting' || s.size === 0) && inos.every((i) => i === undefined || tracked.has(i));
      },
      () => `not settled: ${JSON.stringify(h.source.status())}`,
    );
  }
  /** The agent has read every line of the current file. */
  async function caughtUp(f: number) {
    const mine = written.filter((l) => l.startsWith(`f${f}-g${gen[f]}-`));
    await waitFor(
      () => {
        const g = got();
        return mine.every((l) => g.has(l));
      },
      () => `file ${f} not caught up`,
    );
  }

  try {
    for (const op of ops) {
      switch (op.kind) {
        case 'append':
          await appendFile(path(op.f), linesFor(op.f, op.n));
          break;
        case 'rotateCreate':
          if (op.f === LINK || current[op.f] === 0) break;
          if (!wide) await tracked(op.f);
          await rename(path(op.f), `${path(op.f)}.${k++}`);
          await writeFile(path(op.f), '');
          if (!wide) unreachable.push(`f${op.f}-g${gen[op.f]}-`);
          newGeneration(op.f);
          await appendFile(path(op.f), linesFor(op.f, op.n));
          break;
        case 'swap':
          // The old target leaves the patterns' reach: read through its descriptor.
          await tracked(LINK);
          unreachable.push(`f${LINK}-g${gen[LINK]}-`);
          await swapLink(op.n);
          break;
        case 'twins': {
          const head = `twin${k}-head`;
          for (const [side, n] of [['a', op.a], ['b', op.b]] as const) {
            let s = `${head}\n`;
            written.push(head);
            for (let i = 0; i < n; i++) {
              const line = `twin${k}${side}-${String(i).padStart(5, '0')}`;
              written.push(line);
              s += `${line}\n`;
            }
            await writeFile(join(dir, `apptwin${k}${side}.log`), s);
          }
          k++;
          break;
        }
        case 'rotate':
          if (op.f === LINK || current[op.f] === 0) break;
          if (!wide) await tracked(op.f);
          await rename(path(op.f), `${path(op.f)}.${k++}`);
          if (!wide) unreachable.push(`f${op.f}-g${gen[op.f]}-`);
          gen[op.f]!++;
          seq[op.f] = 0;
          current[op.f] = 0;
          break;
        case 'copytruncate':
          if (op.f === LINK || current[op.f] === 0) break;
          if (!wide) await caughtUp(op.f);
          await copyFile(path(op.f), `${path(op.f)}.c${k++}`);
          await truncate(path(op.f), 0);
          gen[op.f]!++;
          seq[op.f] = 0;
          current[op.f] = 0;
          break;
        case 'truncate':
          if (op.f === LINK || current[op.f] === 0) break;
          await caughtUp(op.f);
          await truncate(path(op.f), 0);
          gen[op.f]!++;
          seq[op.f] = 0;
          current[op.f] = 0;
          break;
        case 'delete':
          if (op.f === LINK || current[op.f] === 0) break;
          await tracked(op.f);
          await rm(path(op.f));
          unreachable.push(`f${op.f}-g${gen[op.f]}-`);
          gen[op.f]!++;
          seq[op.f] = 0;
          current[op.f] = 0;
          break;
        case 'restart':
        case 'restartWithNew': {
          // A stopped agent cannot come back to a file it can no longer
          // find: such files must be read before it stops (as with any tailer).
          const needed = written.filter((l) => unreachable.some((g) => l.startsWith(g)));
          await waitFor(
            () => {
              const g = got();
              return needed.every((l) => g.has(l));
            },
            () => 'unreachable files not read before restart',
          );
          await settled();
          await h.stop();
          if (op.kind === 'restartWithNew') {
            for (let f = 0; f <= FILES; f++) await appendFile(path(f), linesFor(f, op.n));
          }
          h = await startSource(dir, flow, opts);
          break;
        }
      }
    }
    await waitFor(
      () => sink.lines().length >= written.length && written.every((l) => got().has(l)),
      () => `missing ${written.filter((l) => !got().has(l)).slice(0, 5).join(',')} of ${written.length}`,
      15_000,
    );
    await new Promise((r) => setTimeout(r, 100));
    const lines = sink.lines();
    const count = (ls: string[]) => {
      const m = new Map<string, number>();
      for (const l of ls) m.set(l, (m.get(l) ?? 0) + 1);
      return m;
    };
    const want = count(written);
    const wrong = [...count(lines)].filter(([l, n]) => want.get(l) !== n);
    expect(wrong).toEqual([]);
    expect(lines.length).toBe(written.length);
    // In order within each generation of each file (a twins' shared head belongs to both).
    const last = new Map<string, string>();
    for (const l of lines) {
      if (l.endsWith('-head')) continue;
      const key = l.slice(0, l.lastIndexOf('-'));
      const prev = last.get(key);
      if (prev !== undefined) expect(l > prev, `${l} after ${prev}`).toBe(true);
      last.set(key, l);
    }
  } finally {
    await h.stop();
    await cleanup();
  }
}

/**
 * Counterexamples found before, run first every time. A file created at the
 * path of a file renamed out of the patterns, while that one was still read
 * to its end: the watcher reported a `change` for the path, taken as the old
 * file's (CI, 2026-11-30).
 */
const FOUND: [Op[], boolean][] = [
  [
    [
      { kind: 'rotate', f: 0 },
      { kind: 'append', f: 2, n: 5 },
      { kind: 'append', f: 3, n: 13 },
      { kind: 'copytruncate', f: 0 },
      { kind: 'append', f: 3, n: 27 },
      { kind: 'rotate', f: 0 },
      { kind: 'copytruncate', f: 3 },
      { kind: 'append', f: 0, n: 33 },
    ],
    false,
  ],
];

describe('tailing model (fast-check)', () => {
  // KA_MODEL_CASE='<counterexample as printed>' replays one case (KA_TEST_LOG=debug to see why it fails).
  it.runIf(process.env.KA_MODEL_CASE)('replays KA_MODEL_CASE', async () => {
    const [ops, wide] = JSON.parse(process.env.KA_MODEL_CASE!.replaceAll('__proto__:null,', '')) as [Op[], boolean];
    await runModel(ops, wide);
  }, 120_000);

  it('every line once, in order per file, through random appends, rotations (also with the new file created at once), copytruncates, truncations, deletions, symlink swaps, look-alike twins and restarts (also with files created while stopped)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), fc.boolean(), async (ops, wide) => {
        await runModel(ops, wide);
      }),
      { numRuns: Number(process.env.KA_MODEL_RUNS ?? 25), endOnFailure: true, examples: FOUND },
    );
  }, 120_000);
});
