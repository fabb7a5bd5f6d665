import { appendFile, mkdir, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkExactlyOnce, tempDir, testFlow, waitFor } from './support/helpers.js';
import { startSource, type Harness } from './support/harness.js';
import { CollectingSink } from './support/collecting-sink.js';
import type { SourceRecord } from '../../src/pipeline/types.js';

const lines = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${prefix}-${String(from + i).padStart(6, '0')}`);
const text = (ls: string[]) => ls.map((l) => `${l}\n`).join('');

/** Keeps every record it is given, so a test can acknowledge them one by one (the sink is down: it acks none itself). */
class KeepingSink extends CollectingSink {
  readonly kept: SourceRecord[] = [];
  override push(record: SourceRecord): boolean {
    this.kept.push(record);
    return super.push(record);
  }
}

/** A few turns of the event loop: the tailer hears of acks once per turn. */
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('FileSource', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let h: Harness | undefined;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    await cleanup();
  });

  async function expectLines(expected: string[], timeoutMs = 15_000) {
    await waitFor(
      () => checkExactlyOnce(h!.sink.lines(), expected).missing.length === 0,
      () => `missing ${JSON.stringify(checkExactlyOnce(h!.sink.lines(), expected).missing.slice(0, 5))}, got ${h!.sink.records.length}`,
      timeoutMs,
    );
    const { duplicated } = checkExactlyOnce(h!.sink.lines(), expected);
    expect(duplicated).toEqual([]);
  }

  it('reads existing files from the start with START_OF_FILE and follows appends', async () => {
    const p = join(dir, 'app.log');
    await writeFile(p, text(lines('a', 0, 100)));
    h = await startSource(dir, testFlow([join(dir, '*.log')]));
    await expectLines(lines('a', 0, 100));
    await appendFile(p, text(lines('a', 100, 200)));
    await expectLines(lines('a', 0, 200));
    expect(h.sink.lines()).toEqual(lines('a', 0, 200));
    expect(h.metrics.recordsParsed).toBe(200);
    expect(h.metrics.filesTracked).toBe(1);
  });

  it('starts files present at start at their end with END_OF_FILE, but reads new files from their start', async () => {
    await writeFile(join(dir, 'old.log'), text(lines('old', 0, 50)));
    h = await startSource(dir, testFlow([join(dir, '*.log')], { initialPosition: 'END_OF_FILE' }));
    await appendFile(join(dir, 'old.log'), text(lines('old', 50, 60)));
    await writeFile(join(dir, 'new.log'), text(lines('new', 0, 30)));
    await expectLines([...lines('old', 50, 60), ...lines('new', 0, 30)]);
    expect(h.sink.lines().filter((l) => l.startsWith('old-00000'))).toEqual([]);
  });

  it('resumes from the checkpoint after restart: nothing twice, nothing lost', async () => {
    const p = join(dir, 'app.log');
    await writeFile(p, text(lines('r', 0, 500)));
    h = await startSource(dir, testFlow([p], { initialPosition: 'END_OF_FILE' }));
    await appendFile(p, text(lines('r', 500, 1000)));
    await expectLines(lines('r', 500, 1000));
    await h.stop();
    const before = h.sink.lines();
    h = undefined;
    await appendFile(p, text(lines('r', 1000, 1500)));
    h = await startSource(dir, testFlow([p], { initialPosition: 'END_OF_FILE' }));
    await expectLines(lines('r', 1000, 1500));
    const all = [...before, ...h.sink.lines()];
    expect(checkExactlyOnce(all, lines('r', 500, 1500))).toEqual({ missing: [], duplicated: [] });
    expect(h.sink.lines()).toEqual(lines('r', 1000, 1500));
  });

  it('follows a rename-and-create rotation: the old file read to its end, the new one from its start', async () => {
    const p = join(dir, 'app.log');
    await writeFile(p, text(lines('x', 0, 100)));
    h = await startSource(dir, testFlow([p]));
    await expectLines(lines('x', 0, 100));
    await rename(p, join(dir, 'app.log.1'));
    await appendFile(join(dir, 'app.log.1'), text(lines('x', 100, 150))); // late writes to the old file
    await writeFile(p, text(lines('x', 150, 200)));
    await expectLines(lines('x', 0, 200));
  });

  for (const watchMode of ['events', 'poll'] as const) {
    it(`finds a file created at the path of one renamed out of the patterns while that one is still read to its end, long before the rescan (${watchMode})`, async () => {
      const p = join(dir, 'app.log');
      await writeFile(p, text(lines('g0', 0, 10)));
      const flow = testFlow([p], { maxTimeBetweenFileTrackerRefreshMillis: 120_000 });
      h = await startSource(dir, flow, { source: { watchMode, rotatedGraceMillis: 60_000 } });
      await expectLines(lines('g0', 0, 10));
      await rename(p, join(dir, 'app.log.1'));
      await waitFor(
        () => h!.source.status().some((s) => s.state === 'gone'),
        () => `never seen gone: ${JSON.stringify(h!.source.status())}`,
      );
      // The gone file is still read (grace of 60 s) while a new one takes its path.
      await writeFile(p, text(lines('g1', 0, 10)));
      await expectLines([...lines('g0', 0, 10), ...lines('g1', 0, 10)], 10_000);
    });
  }

  it('flushes an unterminated last line of a rotated-away file with a newline', async () => {
    const p = join(dir, 'app.log');
    await writeFile(p, 'one\ntwo');
    h = await startSource(dir, testFlow([p]));
    await expectLines(['one']);
    await rename(p, join(dir, 'gone.1'));
    await expectLines(['one', 'two']);
    expect(h.sink.records).toEqual(['one\n', 'two\n']);
  });

  it('restarts a file truncated in place at 0', async () => {
    const p = join(dir, 'app.log');
    await writeFile(p, text(lines('t', 0, 100)));
    h = await startSource(dir, testFlow([p]));
    await expectLines(lines('t', 0, 100));
    await truncate(p, 0);
    await waitFor(() => h!.source.status()[0]?.readOffset === 0, () => JSON.stringify(h!.source.status()));
    await appendFile(p, text(lines('u', 0, 10)));
    await expectLines([...lines('t', 0, 100), ...lines('u', 0, 10)]);
  });

  it('reads a copytruncate copy from where the original stopped, nothing twice', async () => {
    const p = join(dir, 'app.log');
    await writeFile(p, text(lines('c', 0, 100)));
    h = await startSource(dir, testFlow([`${p}*`]));
    await expectLines(lines('c', 0, 100));
    // Lines the agent has not read yet when the copy is taken.
    await h.source.stop();
    await appendFile(p, text(lines('c', 100, 120)));
    const state = h;
    h = undefined;
    await state.stop();
    h = await startSource(dir, testFlow([`${p}*`]), { sinkInstance: state.sink });
    const { copyFile } = await import('node:fs/promises');
    await copyFile(p, join(dir, 'app.log.1'));
    await truncate(p, 0);
    await appendFile(p, text(lines('d', 0, 10)));
    await expectLines([...lines('c', 0, 120), ...lines('d', 0, 10)]);
  });

  it('reads a copytruncate copy of a file whose first line is longer than the fingerprint from where the original stopped, nothing twice', async () => {
    const p = join(dir, 'app.log');
    const first = `${'h'.repeat(2000)}`;
    await writeFile(p, text([first, ...lines('c', 0, 100)]));
    h = await startSource(dir, testFlow([`${p}*`]));
    await expectLines([first, ...lines('c', 0, 100)]);
    const { copyFile } = await import('node:fs/promises');
    await copyFile(p, join(dir, 'app.log.1'));
    await truncate(p, 0);
    await appendFile(p, text(lines('d', 0, 10)));
    await expectLines([first, ...lines('c', 0, 100), ...lines('d', 0, 10)]);
    // Nothing of the copy read again after the rotation settled.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(h.sink.records.length).toBe(111);
  });

  it('drops a held copy deleted before it was released, even when its quiet time passed before the rescan saw it gone', async () => {
    const p = join(dir, 'app.log');
    await writeFile(p, text(lines('k', 0, 100)));
    h = await startSource(dir, testFlow([`${p}*`]));
    await expectLines(lines('k', 0, 100));
    const { copyFileSync, rmSync } = await import('node:fs');
    copyFileSync(p, `${p}.1`);
    await waitFor(
      () => h!.source.status().some((s) => s.path.endsWith('app.log.1') && s.state === 'waiting'),
      () => JSON.stringify(h!.source.status()),
    );
    // Deleted, then the event loop stalls past COPY_QUIET_MS (a loaded
    // machine): the candidate's next turn comes before any rescan did.
    rmSync(`${p}.1`);
    const until = Date.now() + 1_500;
    while (Date.now() < until) {
      /* stall */
    }
    await waitFor(() => !h!.source.status().some((s) => s.path.endsWith('app.log.1')), () => JSON.stringify(h!.source.status()));
    await appendFile(p, text(lines('k', 100, 110)));
    await expectLines(lines('k', 0, 110));
  });

  it('holds a copy of a file found empty, taken before the first read of what was appended, and drops it once deleted', async () => {
    const p = join(dir, 'app.log');
    await writeFile(p, '');
    h = await startSource(dir, testFlow([`${p}*`]));
    const { appendFileSync, copyFileSync } = await import('node:fs');
    // Both at once: the rescan for the copy comes before app.log's turn.
    appendFileSync(p, text(lines('e', 0, 100)));
    copyFileSync(p, `${p}.1`);
    await expectLines(lines('e', 0, 100));
    await rm(`${p}.1`);
    await appendFile(p, text(lines('e', 100, 110)));
    await expectLines(lines('e', 0, 110));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(checkExactlyOnce(h.sink.lines(), lines('e', 0, 110)).duplicated).toEqual([]);
  });

  it('reads a deleted file to its end while the destination is down', async () => {
    const p = join(dir, 'app.log');
    h = await startSource(dir, testFlow([p]), { sink: { capacity: 50 } });
    h.sink.goDown();
    await writeFile(p, text(lines('del', 0, 2000)));
    await waitFor(() => h!.sink.pending >= 50, () => `pending ${h!.sink.pending}`);
    await rm(p);
    await new Promise((r) => setTimeout(r, 500));
    h.sink.comeBack();
    await expectLines(lines('del', 0, 2000));
    await waitFor(() => h!.metrics.filesTracked === 0, () => `tracked ${h!.metrics.filesTracked}`);
  });

  it('resolves symlinks to the real file and reads it once', async () => {
    const p = join(dir, 'real.log');
    await writeFile(p, text(lines('s', 0, 20)));
    await symlink(p, join(dir, 'link.log'));
    h = await startSource(dir, testFlow([join(dir, '*.log')]));
    await expectLines(lines('s', 0, 20));
    expect(h.source.status()).toHaveLength(1);
  });

  it('reads a file whose name is not valid UTF-8 (by its raw bytes) and follows its appends', async () => {
    const raw = Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9]), Buffer.from('.log')]);
    await writeFile(raw, 'latin1-1\n');
    await writeFile(join(dir, 'plain.log'), 'plain-1\n');
    h = await startSource(dir, testFlow([join(dir, '*.log')]));
    await expectLines(['latin1-1', 'plain-1']);
    await appendFile(raw, 'latin1-2\n');
    await expectLines(['latin1-1', 'plain-1', 'latin1-2']);
  });

  it('never reads compressed files, even when the pattern matches them', async () => {
    await writeFile(join(dir, 'app.log.1.gz'), 'not text\n');
    await writeFile(join(dir, 'app.log'), 'text\n');
    h = await startSource(dir, testFlow([join(dir, 'app.log*')]));
    await expectLines(['text']);
    expect(h.source.status().map((s) => s.path)).toEqual([join(dir, 'app.log')]);
  });

  it('honours excludePatterns and ** across nested directories', async () => {
    await mkdir(join(dir, 'a', 'b', 'c'), { recursive: true });
    await writeFile(join(dir, 'a', 'top.log'), 'top\n');
    await writeFile(join(dir, 'a', 'b', 'c', 'deep.log'), 'deep\n');
    await writeFile(join(dir, 'a', 'b', 'skip.log'), 'skip\n');
    h = await startSource(dir, testFlow([join(dir, 'a', '**', '*.log')], { excludePatterns: [join(dir, '**', 'skip.log')] }));
    await expectLines(['top', 'deep']);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.sink.lines()).not.toContain('skip');
  });

  it('pauses reading while the sink is full and loses nothing (the file is the buffer)', async () => {
    const p = join(dir, 'big.log');
    await writeFile(p, text(lines('b', 0, 20_000)));
    h = await startSource(dir, testFlow([p]), { sink: { capacity: 100, maxAckDelayMs: 2 } });
    await expectLines(lines('b', 0, 20_000), 30_000);
    expect(h.sink.pushesRefused).toBeGreaterThan(0);
    expect(h.sink.lines()).toEqual(lines('b', 0, 20_000));
  });

  it('reports status with committed and read offsets', async () => {
    const p = join(dir, 'app.log');
    await writeFile(p, 'a\nb\n');
    h = await startSource(dir, testFlow([p]));
    await waitFor(() => h!.source.status()[0]?.committedOffset === 4, () => JSON.stringify(h!.source.status()));
    const [s] = h.source.status();
    expect(s).toMatchObject({ path: p, size: 4, readOffset: 4, committedOffset: 4, bytesBehind: 0, state: 'active' });
  });
});

describe('FileSource reading policy', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let h: Harness | undefined;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    await cleanup();
  });

  it('frees a read chunk once every line in it is acknowledged, not before: lines are ranges of their chunk', async () => {
    // 200-byte lines across several 256 KiB reads; a line that spans two reads is a copy of its own.
    const all = Array.from({ length: 3000 }, (_, i) => `${String(i).padStart(6, '0')} ${'x'.repeat(192)}`);
    await writeFile(join(dir, 'app.log'), text(all));
    const sink = new KeepingSink({ maxAckDelayMs: 0 });
    sink.goDown();
    h = await startSource(dir, testFlow([join(dir, '*.log')]), { sinkInstance: sink });
    await waitFor(() => sink.kept.length === all.length, () => `${sink.kept.length} records pushed`);
    const textOf = (r: SourceRecord) => r.data.toString('utf8', 0, r.data.length - 1);
    expect(sink.kept.map(textOf)).toEqual(all);
    const memory = sink.kept.map((r) => r.data.buffer);
    // A read chunk is the memory of many lines; a line that spanned two reads is a copy, alone in its memory or in Node's shared pool.
    const linesIn = new Map<ArrayBufferLike, number>();
    for (const m of memory) linesIn.set(m, (linesIn.get(m) ?? 0) + 1);
    const chunks = [...linesIn].filter(([, n]) => n > 100).map(([m]) => m);

    const first = sink.kept[0]!.data.buffer;
    const inFirst = sink.kept.filter((r) => r.data.buffer === first);
    expect(inFirst.length).toBeGreaterThan(100);
    const across = sink.kept[inFirst.length]!;
    expect(across.data.buffer).not.toBe(first);
    const rest = sink.kept.slice(inFirst.length + 1);

    // Every line inside the first chunk acknowledged, but not the one that began in it: the chunk stays.
    for (const r of inFirst) r.acker.ack(r.start, r.end);
    await settle();
    expect(first.byteLength).toBeGreaterThan(0);
    expect(inFirst.map(textOf)).toEqual(all.slice(0, inFirst.length));

    across.acker.ack(across.start, across.end);
    await settle();
    expect(first.byteLength).toBe(0);
    // The lines of the next chunks, not acknowledged, keep their bytes.
    expect(rest.map(textOf)).toEqual(all.slice(inFirst.length + 1));

    for (const r of rest) r.acker.ack(r.start, r.end);
    await settle();
    // Every read chunk freed; the copies of lines that spanned two reads (small, in Node's shared pool) are the collector's.
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks.map((m) => m.byteLength)).toEqual(chunks.map(() => 0));
    expect(memory.filter((m) => m.byteLength > 0).length).toBeGreaterThan(0);
  });

  it('reads files fairly: a small file is not starved behind a big one', async () => {
    const big = Array.from({ length: 40_000 }, (_, i) => `big-${i}`);
    await writeFile(join(dir, 'a-big.log'), text(big));
    await writeFile(join(dir, 'b-small.log'), text(['small-1', 'small-2']));
    h = await startSource(dir, testFlow([join(dir, '*.log')]), { source: { readChunkBytes: 4096 } });
    await waitFor(() => h!.sink.lines().includes('small-2'), () => 'small file not read');
    const atThatMoment = h.sink.lines();
    const bigSeen = atThatMoment.filter((l) => l.startsWith('big-')).length;
    expect(bigSeen).toBeLessThan(big.length);
    await waitFor(() => h!.sink.records.length === big.length + 2, () => `got ${h!.sink.records.length}`);
  });

  it('keeps to maxOpenFiles: idle files give their descriptor back and are reopened when they grow', async () => {
    const { readdirSync, readlinkSync, readFileSync } = await import('node:fs');
    // Synchronous, so the sample is (nearly) one instant; read-only
    // descriptors only (the test's own appends write).
    const openHere = () => {
      let n = 0;
      for (const fd of readdirSync('/proc/self/fd')) {
        try {
          const target = readlinkSync(`/proc/self/fd/${fd}`);
          if (!target.startsWith(dir) || !target.endsWith('.log')) continue;
          const flags = /flags:\s+([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
          if (flags !== undefined && (parseInt(flags, 8) & 3) === 0) n++;
        } catch {
          /* closed meanwhile */
        }
      }
      return n;
    };
    for (let i = 0; i < 8; i++) await writeFile(join(dir, `f${i}.log`), `f${i}-a\n`);
    h = await startSource(dir, testFlow([join(dir, '*.log')]), { source: { maxOpenFiles: 3 } });
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, openHere())), 5);
    try {
      await expectLinesIn(() => h!, [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `f${i}-a`));
      for (let i = 0; i < 8; i++) await appendFile(join(dir, `f${i}.log`), `f${i}-b\n`);
      await expectLinesIn(() => h!, [0, 1, 2, 3, 4, 5, 6, 7].flatMap((i) => [`f${i}-a`, `f${i}-b`]));
      expect(h.metrics.filesTracked).toBe(8);
    } finally {
      clearInterval(watch);
    }
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThan(0);
  });

  it('reads a file written every few ms at most once per minTimeBetweenFilePollsMillis, not once per change event', async () => {
    const p = join(dir, 'busy.log');
    await writeFile(p, 'first\n');
    // Each read pushes its records in one synchronous burst: bursts count reads.
    const sink = new CollectingSink();
    const push = sink.push.bind(sink);
    let bursts = 0;
    let inBurst = false;
    sink.push = (r) => {
      if (!inBurst) {
        bursts++;
        inBurst = true;
        queueMicrotask(() => (inBurst = false));
      }
      return push(r);
    };
    const pollMs = 1000;
    h = await startSource(dir, testFlow([p], { minTimeBetweenFilePollsMillis: pollMs, maxTimeBetweenFileTrackerRefreshMillis: 60_000 }), { sinkInstance: sink });
    await expectLinesIn(() => h!, ['first']);
    bursts = 0;
    const written = lines('w', 0, 40);
    const t0 = performance.now();
    for (const l of written) {
      await appendFile(p, `${l}\n`);
      await new Promise((r) => setTimeout(r, 2));
    }
    await expectLinesIn(() => h!, ['first', ...written]);
    const spanMs = performance.now() - t0;
    // Reads at least pollMs apart: within spanMs, at most one per pollMs and one more.
    expect(bursts).toBeGreaterThan(0);
    expect(bursts).toBeLessThanOrEqual(Math.ceil(spanMs / pollMs) + 1);
    expect(h.sink.lines()).toEqual(['first', ...written]);
  });

  it('follows a file quiet long enough to be polled and looked at only every few seconds (events trusted in its directory): an append read and a rename-and-create rotation opened at once, long before the rescan, nothing lost', async () => {
    const p = join(dir, 'app.log');
    await writeFile(p, text(lines('q', 0, 10)));
    h = await startSource(dir, testFlow([p], { maxTimeBetweenFileTrackerRefreshMillis: 120_000 }));
    await expectLinesIn(() => h!, lines('q', 0, 10));
    await appendFile(p, text(lines('q', 10, 11)));
    await expectLinesIn(() => h!, lines('q', 0, 11));
    // Quiet for 9 s in a directory on a local file system: polled and looked at every 2 s or more (poll-schedule.ts).
    await new Promise((r) => setTimeout(r, 9_000));
    let t0 = performance.now();
    await appendFile(p, text(lines('q', 11, 12)));
    await expectLinesIn(() => h!, lines('q', 0, 12), 5_000);
    const appendMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 6_000));
    t0 = performance.now();
    await rename(p, join(dir, 'app.log.1'));
    await appendFile(join(dir, 'app.log.1'), text(lines('q', 12, 13)));
    await writeFile(p, text(lines('q', 13, 20)));
    await expectLinesIn(() => h!, lines('q', 0, 20), 5_000);
    console.log(`long-quiet file: append read after ${appendMs.toFixed(0)} ms, rotation followed after ${(performance.now() - t0).toFixed(0)} ms (rescan every 120 s)`);
    expect(h.sink.lines()).toEqual(lines('q', 0, 20));
  });

  it('gives a file quiet for longer than the grace, then renamed out of the patterns, the whole grace from the rename for a last write', async () => {
    const p = join(dir, 'app.log');
    await writeFile(p, text(lines('g', 0, 5)));
    h = await startSource(dir, testFlow([p], { maxTimeBetweenFileTrackerRefreshMillis: 120_000 }), { source: { rotatedGraceMillis: 3_000 } });
    await expectLinesIn(() => h!, lines('g', 0, 5));
    // Quiet for longer than the grace before the rotation.
    await new Promise((r) => setTimeout(r, 4_000));
    await rename(p, join(dir, 'app.log.1'));
    await waitFor(
      () => h!.source.status().some((s) => s.state === 'gone'),
      () => JSON.stringify(h!.source.status()),
    );
    // Seen gone: the writer's last line, within the grace counted from then, is still read.
    await appendFile(join(dir, 'app.log.1'), text(lines('g', 5, 6)));
    await expectLinesIn(() => h!, lines('g', 0, 6), 10_000);
  });

  it('works without file-system events (poll mode), by rescan and polling alone', async () => {
    h = await startSource(dir, testFlow([join(dir, '*.log')]), { source: { watchMode: 'poll' } });
    await writeFile(join(dir, 'p.log'), 'p1\n');
    await expectLinesIn(() => h!, ['p1']);
    await rename(join(dir, 'p.log'), join(dir, 'p.old'));
    await writeFile(join(dir, 'p.log'), 'p2\n');
    await expectLinesIn(() => h!, ['p1', 'p2']);
  });

  it('frames multi-line records and skips header lines of files read from the start', async () => {
    const p = join(dir, 'm.log');
    await writeFile(p, 'HEADER\n2024 one\n  at a\n2024 two\n  at b\n');
    h = await startSource(dir, testFlow([p], { skipHeaderLines: 1, multiLineStartPattern: /^2024 / }));
    await waitFor(() => h!.sink.records.length === 2, () => JSON.stringify(h!.sink.records));
    expect(h.sink.records).toEqual(['2024 one\n  at a\n', '2024 two\n  at b\n']);
    await waitFor(() => h!.source.status()[0]?.committedOffset === 39, () => JSON.stringify(h!.source.status()));
  });

  it('cuts long lines to maxRecordBytes with the terminator and counts them', async () => {
    const p = join(dir, 'long.log');
    await writeFile(p, `short\n${'z'.repeat(5000)}\nafter\n`);
    h = await startSource(dir, testFlow([p], { truncatedRecordTerminator: '\n' }), { source: { maxRecordBytes: 100 } });
    await waitFor(() => h!.sink.records.length === 3, () => `got ${h!.sink.records.length}`);
    expect(h.sink.records[1]).toBe(`${'z'.repeat(99)}\n`);
    expect(h.metrics.recordsTruncated).toBe(1);
    expect(h.sink.records[2]).toBe('after\n');
  });
});

async function expectLinesIn(h: () => Harness, expected: string[], timeoutMs?: number) {
  await waitFor(
    () => checkExactlyOnce(h().sink.lines(), expected).missing.length === 0,
    () => `got ${JSON.stringify(h().sink.lines())}`,
    timeoutMs,
  );
  expect(checkExactlyOnce(h().sink.lines(), expected).duplicated).toEqual([]);
}

describe('FileSource identity edge cases', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let h: Harness | undefined;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    await cleanup();
  });

  it('reads a new file that merely starts with the same header line as a rotated one from its start', async () => {
    const p = join(dir, 'data.csv');
    await writeFile(p, 'ts,level,msg\n1,INFO,a\n2,INFO,b\n');
    h = await startSource(dir, testFlow([`${p}*`]));
    await expectLinesIn(() => h!, ['ts,level,msg', '1,INFO,a', '2,INFO,b']);
    await rename(p, `${p}.1`);
    await writeFile(p, 'ts,level,msg\n');
    await new Promise((r) => setTimeout(r, 300));
    await appendFile(p, '3,WARN,c\n');
    await waitFor(() => h!.sink.lines().includes('3,WARN,c'), () => JSON.stringify(h!.source.status()));
    expect(h.sink.lines()).toEqual(['ts,level,msg', '1,INFO,a', '2,INFO,b', 'ts,level,msg', '3,WARN,c']);
  });

  it('at start, never takes a file for a copy of another that begins the same way', async () => {
    await writeFile(join(dir, 'a.csv'), 'ts,msg\n1,a\n');
    await writeFile(join(dir, 'b.csv'), 'ts,msg\n');
    h = await startSource(dir, testFlow([join(dir, '*.csv')]));
    await waitFor(() => h!.sink.records.length === 3, () => JSON.stringify(h!.sink.lines()));
    expect(h.sink.lines().sort()).toEqual(['1,a', 'ts,msg', 'ts,msg']);
  });

  it('after a restart, reads a file created while stopped from its start even when it begins like a checkpointed file still there intact', async () => {
    const a = join(dir, 'a.log');
    await writeFile(a, 'service started\n');
    h = await startSource(dir, testFlow([join(dir, '*.log')], { initialPosition: 'END_OF_FILE' }));
    await waitFor(() => h!.source.status().some((f) => f.state === 'active'), () => JSON.stringify(h!.source.status()));
    await h.stop();
    h = undefined;
    // A second instance of the service logs the same banner first.
    await writeFile(join(dir, 'b.log'), 'service started\nb1\n');
    await appendFile(a, 'a2\n');
    h = await startSource(dir, testFlow([join(dir, '*.log')], { initialPosition: 'END_OF_FILE' }));
    await expectLinesIn(() => h!, ['service started', 'b1', 'a2']);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.sink.lines().sort()).toEqual(['a2', 'b1', 'service started']);
  });

  it('after a restart, finds a copytruncate copy made while stopped by the fingerprint in the checkpoint', async () => {
    const p = join(dir, 'app.log');
    await writeFile(p, text(lines('k', 0, 100)));
    h = await startSource(dir, testFlow([`${p}*`]));
    await expectLinesIn(() => h!, lines('k', 0, 100));
    await h.stop();
    const first = h.sink.lines();
    h = undefined;
    await appendFile(p, text(lines('k', 100, 130)));
    const { copyFile } = await import('node:fs/promises');
    await copyFile(p, `${p}.1`);
    await truncate(p, 0);
    await appendFile(p, text(lines('n', 0, 5)));
    h = await startSource(dir, testFlow([`${p}*`]));
    await expectLinesIn(() => h!, [...lines('k', 100, 130), ...lines('n', 0, 5)]);
    expect(checkExactlyOnce([...first, ...h.sink.lines()], [...lines('k', 0, 130), ...lines('n', 0, 5)])).toEqual({
      missing: [],
      duplicated: [],
    });
  });
});

describe('FileSource footers', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let h: Harness | undefined;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    await cleanup();
  });

  it('stops tailing a file at its footer line, closes it, and forgets it once deleted', async () => {
    const p = join(dir, 'job.log');
    await writeFile(p, 'a\nb\n=== END ===\n');
    h = await startSource(dir, testFlow([p], { fileFooterPattern: /^=== END ===$/ }));
    await waitFor(() => h!.source.status()[0]?.committedOffset === 16, () => JSON.stringify(h!.source.status()));
    await appendFile(p, 'after the footer\n');
    await new Promise((r) => setTimeout(r, 400));
    expect(h.sink.lines()).toEqual(['a', 'b']);
    await rm(p);
    await waitFor(() => h!.metrics.filesTracked === 0, () => `tracked ${h!.metrics.filesTracked}`);
  });
});
