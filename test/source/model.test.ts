import { appendFile, copyFile, rename, rm, stat, truncate } from 'node:fs/promises';
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
  | { kind: 'restart' };

const FILES = 3;
const fileArb = fc.integer({ min: 0, max: FILES - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), f: fileArb, n: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rotate' as const), f: fileArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('copytruncate' as const), f: fileArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), f: fileArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), f: fileArb }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

/**
 * The model: each logical log has a current file that gets lines; every
 * line ever written must come out exactly once, and the lines of one
 * generation of a file (between rotations) in the order written. The one
 * thing the model asks of timing is what any tailer needs: a file is found
 * before it is renamed out of the patterns or deleted, and read before it
 * is truncated with no copy to read from.
 */
async function runModel(ops: Op[], wide: boolean): Promise<void> {
  const { dir, cleanup } = await tempDir('ka-model-');
  const pattern = wide ? join(dir, 'app*.log*') : join(dir, 'app*.log');
  const flow = testFlow([pattern], { minTimeBetweenFilePollsMillis: 5, maxTimeBetweenFileTrackerRefreshMillis: 30 });
  const sink = new CollectingSink({ maxAckDelayMs: 3 });
  const opts = { sinkInstance: sink, source: { rotatedGraceMillis: 60, multiLineFlushMillis: 60 } };
  let h: Harness = await startSource(dir, flow, opts);
  const written: string[] = [];
  const gen = Array.from({ length: FILES }, () => 0);
  const seq = Array.from({ length: FILES }, () => 0);
  const current = Array.from({ length: FILES }, () => 0); // lines in the current file
  let k = 0;
  /** Generations no longer reachable by path (deleted, or renamed out of the patterns): only an open descriptor reads them. */
  const unreachable: string[] = [];
  const path = (f: number) => join(dir, `app${f}.log`);
  const got = () => new Set(sink.lines());

  /** The agent holds the current file open (so its bytes cannot be lost). */
  async function tracked(f: number) {
    if (current[f] === 0) return;
    const ino = (await stat(path(f))).ino.toString();
    await waitFor(
      () => h.source.status().some((s) => s.identity.ino === ino),
      () => `file ${f} never tracked: ${JSON.stringify(h.source.status())}`,
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
        case 'append': {
          let s = '';
          for (let i = 0; i < op.n; i++) {
            const line = `f${op.f}-g${gen[op.f]}-${String(seq[op.f]!++).padStart(5, '0')}`;
            written.push(line);
            s += `${line}\n`;
          }
          await appendFile(path(op.f), s);
          current[op.f]! += op.n;
          break;
        }
        case 'rotate':
          if (current[op.f] === 0) break;
          if (!wide) await tracked(op.f);
          await rename(path(op.f), `${path(op.f)}.${k++}`);
          if (!wide) unreachable.push(`f${op.f}-g${gen[op.f]}-`);
          gen[op.f]!++;
          seq[op.f] = 0;
          current[op.f] = 0;
          break;
        case 'copytruncate':
          if (current[op.f] === 0) break;
          if (!wide) await caughtUp(op.f);
          await copyFile(path(op.f), `${path(op.f)}.c${k++}`);
          await truncate(path(op.f), 0);
          gen[op.f]!++;
          seq[op.f] = 0;
          current[op.f] = 0;
          break;
        case 'truncate':
          if (current[op.f] === 0) break;
          await caughtUp(op.f);
          await truncate(path(op.f), 0);
          gen[op.f]!++;
          seq[op.f] = 0;
          current[op.f] = 0;
          break;
        case 'delete':
          if (current[op.f] === 0) break;
          await tracked(op.f);
          await rm(path(op.f));
          unreachable.push(`f${op.f}-g${gen[op.f]}-`);
          gen[op.f]!++;
          seq[op.f] = 0;
          current[op.f] = 0;
          break;
        case 'restart': {
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
          await h.stop();
          h = await startSource(dir, flow, opts);
          break;
        }
      }
    }
    await waitFor(
      () => {
        const g = got();
        return written.every((l) => g.has(l));
      },
      () => `missing ${written.filter((l) => !got().has(l)).slice(0, 5).join(',')} of ${written.length}`,
      15_000,
    );
    await new Promise((r) => setTimeout(r, 100));
    const lines = sink.lines();
    const dups = lines.filter((l, i) => lines.indexOf(l) !== i);
    expect(dups).toEqual([]);
    expect(lines.length).toBe(written.length);
    // In order within each generation of each file.
    const last = new Map<string, string>();
    for (const l of lines) {
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

describe('tailing model (fast-check)', () => {
  it('every line once, in order per file, through random appends, rotations, copytruncates, truncations, deletions and restarts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), fc.boolean(), async (ops, wide) => {
        await runModel(ops, wide);
      }),
      { numRuns: Number(process.env.KA_MODEL_RUNS ?? 25), endOnFailure: true },
    );
  }, 120_000);
});
