import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSource, type Harness } from './support/harness.js';
import { checkExactlyOnce, tempDir, testFlow, waitFor } from './support/helpers.js';

describe('many files under one ** pattern', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let h: Harness | undefined;
  beforeEach(async () => ({ dir, cleanup } = await tempDir('ka-many-')));
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    await cleanup();
  });

  it('tails 300 nested files at once, files created after start, and files deleted while the sink is down: all lines, once', async () => {
    const expected: string[] = [];
    const paths: string[] = [];
    for (let i = 0; i < 300; i++) {
      const sub = join(dir, 'pods', `ns${i % 5}`, `pod${i % 37}`, `c${i}`);
      await mkdir(sub, { recursive: true });
      const p = join(sub, `${i}.log`);
      paths.push(p);
      let s = '';
      for (let j = 0; j < 50; j++) {
        const l = `file${i}-line${j}`;
        expected.push(l);
        s += `${l}\n`;
      }
      await writeFile(p, s);
    }
    h = await startSource(dir, testFlow([join(dir, 'pods', '**', '*.log')]), { sink: { capacity: 2000 } });
    await waitFor(() => h!.metrics.filesTracked === 300, () => `tracked ${h!.metrics.filesTracked}`);

    // New files, in new directories, after start: read from their start.
    for (let i = 300; i < 330; i++) {
      const sub = join(dir, 'pods', 'late', `c${i}`);
      await mkdir(sub, { recursive: true });
      const p = join(sub, `${i}.log`);
      let s = '';
      for (let j = 0; j < 20; j++) {
        const l = `file${i}-line${j}`;
        expected.push(l);
        s += `${l}\n`;
      }
      await writeFile(p, s);
    }
    await waitFor(() => checkExactlyOnce(h!.sink.lines(), expected).missing.length === 0, () => `got ${h!.sink.records.length}/${expected.length}`);

    // The destination goes down; more is written and 100 files are deleted
    // before it comes back. The open descriptors keep their bytes.
    h.sink.goDown();
    for (let i = 0; i < 100; i++) {
      let s = '';
      for (let j = 50; j < 60; j++) {
        const l = `file${i}-line${j}`;
        expected.push(l);
        s += `${l}\n`;
      }
      await appendFile(paths[i]!, s);
    }
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 100; i++) await rm(paths[i]!);
    await new Promise((r) => setTimeout(r, 400));
    h.sink.comeBack();
    await waitFor(
      () => checkExactlyOnce(h!.sink.lines(), expected).missing.length === 0,
      () => `missing ${checkExactlyOnce(h!.sink.lines(), expected).missing.slice(0, 5).join(',')}`,
    );
    expect(checkExactlyOnce(h.sink.lines(), expected).duplicated).toEqual([]);
    expect(h.sink.records.length).toBe(expected.length);
    await waitFor(() => h!.metrics.filesTracked === 230, () => `tracked ${h!.metrics.filesTracked}`);
  });

  it('reads 3,000 files through 200 descriptors: idle files are parked and reopened when they grow', async () => {
    const expected: string[] = [];
    const paths: string[] = [];
    for (let d = 0; d < 30; d++) await mkdir(join(dir, 'many', `d${d}`), { recursive: true });
    for (let i = 0; i < 3000; i++) {
      const p = join(dir, 'many', `d${i % 30}`, `f${i}.log`);
      paths.push(p);
      expected.push(`f${i}-0`);
      await writeFile(p, `f${i}-0\n`);
    }
    h = await startSource(dir, testFlow([join(dir, 'many', '**', '*.log')]), { source: { maxOpenFiles: 200 } });
    const complete = () => checkExactlyOnce(h!.sink.lines(), expected).missing.length === 0;
    await waitFor(complete, () => `got ${h!.sink.records.length}/${expected.length}, tracked ${h!.metrics.filesTracked}`, 45_000);
    for (let i = 0; i < 3000; i += 7) {
      expected.push(`f${i}-1`);
      await appendFile(paths[i]!, `f${i}-1\n`);
    }
    await waitFor(complete, () => `got ${h!.sink.records.length}/${expected.length}`, 30_000);
    expect(checkExactlyOnce(h.sink.lines(), expected).duplicated).toEqual([]);
    expect(h.metrics.filesTracked).toBe(3000);
  }, 90_000);

  it('with END_OF_FILE, a file found at start but opened late (over the cap) starts at its size at start', async () => {
    for (let i = 0; i < 20; i++) await writeFile(join(dir, `e${i}.log`), `old-${i}\n`);
    h = await startSource(dir, testFlow([join(dir, '*.log')], { initialPosition: 'END_OF_FILE' }), { source: { maxOpenFiles: 2 } });
    const expected: string[] = [];
    for (let i = 0; i < 20; i++) {
      expected.push(`new-${i}`);
      await appendFile(join(dir, `e${i}.log`), `new-${i}\n`);
    }
    await waitFor(() => checkExactlyOnce(h!.sink.lines(), expected).missing.length === 0, () => `got ${JSON.stringify(h!.sink.lines())}`);
    expect(h.sink.lines().filter((l) => l.startsWith('old-'))).toEqual([]);
    expect(checkExactlyOnce(h.sink.lines(), expected).duplicated).toEqual([]);
  });

  it('never lets the checkpoint file run ahead of acknowledged records', async () => {
    const p = join(dir, 'app.log');
    const ckpt = join(dir, 'state', 'checkpoints');
    h = await startSource(dir, testFlow([p]), { sink: { maxAckDelayMs: 20 } });
    const acked: [number, number][] = [];
    // Watch acks as the sink sees them.
    const orig = h.sink.push.bind(h.sink);
    h.sink.push = (r) =>
      orig({
        ...r,
        acker: {
          ack: (s, e) => {
            acked.push([s, e]);
            r.acker.ack(s, e);
          },
        },
      });
    let n = 0;
    const ends = new Set<number>([0]);
    let size = 0;
    for (let round = 0; round < 40; round++) {
      let s = '';
      for (let j = 0; j < 50; j++) {
        const l = `line-${n++}-${'x'.repeat(n % 17)}\n`;
        s += l;
        size += Buffer.byteLength(l);
        ends.add(size);
      }
      await appendFile(p, s);
      await new Promise((r) => setTimeout(r, 5));
      let body: { entries: { offset: number }[] } | undefined;
      try {
        body = JSON.parse(await readFile(ckpt, 'utf8')) as { entries: { offset: number }[] };
      } catch {
        continue; // not written yet
      }
      for (const e of body.entries) {
        // A line boundary, and every byte below it acked.
        expect(ends.has(e.offset)).toBe(true);
        const covered = acked.filter(([s]) => s < e.offset).reduce((t, [s, en]) => t + (Math.min(en, e.offset) - s), 0);
        expect(covered).toBe(e.offset);
      }
    }
  });
});
