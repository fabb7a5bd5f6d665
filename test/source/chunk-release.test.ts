import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../src/pipeline/types.js';
import { CollectingSink } from './support/collecting-sink.js';
import { startSource, type Harness } from './support/harness.js';
import { tempDir, testFlow, waitFor } from './support/helpers.js';

/** Keeps every record it is given (acks held while down), so a test can ack them one by one. */
class KeepingSink extends CollectingSink {
  readonly kept: SourceRecord[] = [];
  override push(record: SourceRecord): boolean {
    this.kept.push(record);
    return super.push(record);
  }
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('read chunks are freed once every record in them is acknowledged', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let h: Harness | undefined;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    await cleanup();
  });

  it('a chunk keeps its bytes until the committed offset passes its end, then its memory is given back', async () => {
    // 200-byte lines, 3,000 of them: several read chunks, each larger than Node's Buffer pool serves.
    const lines = Array.from({ length: 3000 }, (_, i) => `${String(i).padStart(6, '0')} ${'x'.repeat(192)}`);
    await writeFile(join(dir, 'app.log'), lines.map((l) => `${l}\n`).join(''));
    const sink = new KeepingSink({ maxAckDelayMs: 0 });
    sink.goDown();
    h = await startSource(dir, testFlow([join(dir, '*.log')]), { sinkInstance: sink });
    await waitFor(() => sink.kept.length === lines.length, () => `${sink.kept.length} records pushed`);

    const text = (r: SourceRecord) => r.data.toString('utf8', 0, r.data.length - 1);
    expect(sink.kept.map(text)).toEqual(lines);
    // Records are views into their chunk; a line across two chunks is a copy of its own.
    const first = sink.kept[0]!.data.buffer;
    const inFirst = sink.kept.filter((r) => r.data.buffer === first);
    expect(inFirst.length).toBeGreaterThan(100);
    const across = sink.kept[inFirst.length]!;
    expect(across.data.buffer).not.toBe(first);

    // Every record of the first chunk acknowledged, but not the line that began in it and ended in the next.
    for (const r of inFirst) r.acker.ack(r.start, r.end);
    await settle();
    expect(first.byteLength).toBeGreaterThan(0);
    expect(text(inFirst[inFirst.length - 1]!)).toBe(lines[inFirst.length - 1]);

    across.acker.ack(across.start, across.end);
    await settle();
    expect(first.byteLength).toBe(0);
    expect(sink.kept[0]!.data.length).toBe(0);
    // The next chunk's records, not acknowledged yet, are untouched.
    const next = sink.kept.slice(inFirst.length + 1);
    expect(next.map(text)).toEqual(lines.slice(inFirst.length + 1));

    sink.comeBack();
    await waitFor(() => sink.pending === 0, () => `${sink.pending} records unacknowledged`);
    await settle();
    // Every chunk is freed; what is left readable are the lines joined across two chunks, copies of their own.
    const left = next.filter((r) => r.data.length > 0);
    expect(left.length).toBeLessThanOrEqual(2);
    expect(left.every((r) => r.data.buffer !== first && r.data.length === lines[0]!.length + 1)).toBe(true);
  });
});
