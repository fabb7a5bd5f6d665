import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../src/pipeline/types.js';
import { compressionUnavailable } from '../../src/config/flow-options.js';
import { codecFor, CompressingPacker, maxInputFor, SLACK_BYTES, type CompressionKind } from '../../src/sink/compression.js';
import { PlainPacker } from '../../src/sink/entry.js';
import { KplPacker } from '../../src/sink/kpl-packer.js';
import { deaggregate } from './deaggregate.ts';

const zstdDecompress = (zlib as unknown as { zstdDecompressSync: (b: Buffer) => Buffer }).zstdDecompressSync;
const decode: Record<CompressionKind, (b: Buffer) => Buffer> = { gzip: gunzipSync, zstd: (b) => zstdDecompress(b) };

function record(data: Buffer | string, start = 0): SourceRecord {
  const d = Buffer.from(data);
  return { data: d, acker: { ack() {} }, start, end: start + d.length, file: { path: 'test.log' } };
}

describe.each(['gzip', 'zstd'] as const)('%s', (kind) => {
  const codec = codecFor(kind);

  // Sizes either side of where gzip's window grows (input + 262 bytes of lookahead a power of two).
  it.each([0, 1, 100, 249, 250, 251, 762, 763, 4096, 32_505, 32_506, 65_536, 131_071, 1_048_320])('the bound holds for %i incompressible bytes', (n) => {
    const data = randomBytes(n);
    const out = codec.encode(data);
    expect(out.length).toBeLessThanOrEqual(codec.bound(n));
    expect(decode[kind](out).equals(data)).toBe(true);
  });

  it('each record compresses on its own to a stream any decoder reads back, whatever its size', () => {
    const lines = Array.from({ length: 300 }, (_, i) => `2026-11-30 12:00:00 INFO request ${i} ${'x'.repeat(i * 37)} seq=${i}\n`);
    lines.push('y'.repeat(40_000), '');
    for (const line of lines) expect(decode[kind](codec.encode(Buffer.from(line))).toString()).toBe(line);
  });

  it('a compressed short record holds memory of about its own size, not the codec\'s 64 KiB output chunk', () => {
    const outs = Array.from({ length: 50 }, (_, i) => codec.encode(Buffer.from(`GET /index.html?seq=${i} HTTP/1.1 200 ${'a'.repeat(i)}\n`)));
    for (const out of outs) expect(out.buffer.byteLength).toBeLessThanOrEqual(Math.max(Buffer.poolSize, out.length + SLACK_BYTES));
  });

  it('maxInputFor is the largest input whose bound fits the limit', () => {
    for (const limit of [1000, 1_048_320, 10 * 1024 * 1024]) {
      const n = maxInputFor(codec, limit);
      expect(codec.bound(n)).toBeLessThanOrEqual(limit);
      expect(codec.bound(n + 1)).toBeGreaterThan(limit);
      expect(n).toBeGreaterThan(limit * 0.99 - 200);
    }
  });

  it('plain records: each is compressed once, batches count its compressed size, acks go to the record as pushed', () => {
    const packer = new CompressingPacker(new PlainPacker(true, 1_048_576, () => 'k'), codec, true);
    const recs = [record('a'.repeat(10_000) + '\n', 0), record('b'.repeat(5000) + '\n', 10_001)];
    const costs = recs.map((r) => packer.cost(r, 'key'));
    recs.forEach((r) => packer.add(r, 'key'));
    const entries = packer.take();
    expect(entries.map((e) => decode[kind](e.data).toString())).toEqual(recs.map((r) => r.data.toString()));
    // Exact: what the batcher was told is what is sent.
    expect(costs.map((c) => c.bytes)).toEqual(entries.map((e) => e.data.length + 3));
    expect(costs[0]!.bytes).toBeLessThan(200);
    expect(entries.map((e) => e.records[0])).toEqual(recs);
    expect(entries.map((e) => e.userBytes)).toEqual([10_001, 5001]);
  });

  it('KPL aggregates are compressed whole, counted at the bound until then, and never pass the per-record limit', () => {
    const limit = 64 * 1024;
    const packer = new CompressingPacker(new KplPacker(() => ({ kind: 'shard', shardId: 'shardId-000000000000' }), maxInputFor(codec, limit)), codec, false);
    const recs = Array.from({ length: 200 }, (_, i) => record(randomBytes(1000).toString('latin1').replaceAll('\n', ' '), i * 2000));
    let counted = 0;
    for (const r of recs) {
      counted += packer.cost(r, 'p').bytes;
      packer.add(r, 'p');
    }
    const before = packer.byteCount;
    const entries = packer.take();
    const sent = entries.reduce((n, e) => n + e.data.length + Buffer.byteLength(e.partitionKey), 0);
    expect(sent).toBeLessThanOrEqual(before);
    expect(sent).toBeLessThanOrEqual(counted);
    const users: string[] = [];
    for (const e of entries) {
      expect(e.data.length + Buffer.byteLength(e.partitionKey)).toBeLessThanOrEqual(limit);
      users.push(...deaggregate(decode[kind](e.data), e.partitionKey).map((u) => u.data.toString('latin1')));
    }
    expect(users).toEqual(recs.map((r) => r.data.toString('latin1')));
  });
});

describe('compressionUnavailable', () => {
  it.each([
    ['gzip on any Node', 'gzip', {}, undefined],
    ['zstd where node:zlib has it', 'zstd', { zstdCompressSync: () => Buffer.alloc(0) }, undefined],
    ['zstd on a Node without it', 'zstd', {}, 'zstd needs Node 22.15, 23.8 or later; this is Node v20.20.2'],
  ] as const)('%s', (_n, kind, z, want) => {
    expect(compressionUnavailable(kind, z, 'v20.20.2')).toBe(want);
  });
});
