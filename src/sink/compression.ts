/**
 * `compression: gzip | zstd`: each API record is compressed before it is
 * sent: a user record, or a whole KPL aggregate or Firehose packed record
 * when those are on. Consumers decompress first (and de-aggregate after).
 *
 * Limits count what is sent. A plain record is compressed when the batcher
 * asks what it costs, so batches are cut by its compressed size. An
 * aggregate or packed record is compressed when it is closed; until then it
 * counts at the codec's worst-case bound, which keeps every call within the
 * API's limit whatever the data.
 */
import * as zlib from 'node:zlib';
import type { SourceRecord } from '../pipeline/types.js';
import type { Cost, Entry, Packer } from './entry.js';
import { freeBuffer } from '../buffer-release.js';

import { compressionUnavailable, type CompressionKind } from '../config/flow-options.js';

export type { CompressionKind } from '../config/flow-options.js';

export interface Codec {
  kind: CompressionKind;
  encode(data: Buffer): Buffer;
  /** Most bytes `encode` can make of `n` bytes (incompressible input). */
  bound(n: number): number;
}

/**
 * zlib's deflateBound for the default window and memory level (deflate.c:
 * n + n>>12 + n>>14 + n>>25 + 7) plus the gzip wrapper (18 bytes), with 32
 * bytes to spare.
 */
function gzipBound(n: number): number {
  return n + Math.floor(n / 4096) + Math.floor(n / 16384) + Math.floor(n / 33554432) + 7 + 18 + 32;
}

/** ZSTD_COMPRESSBOUND (zstd.h: n + n>>8, plus (128 KiB - n)>>11 below 128 KiB), with 32 bytes to spare for the frame. */
function zstdBound(n: number): number {
  const small = n < 128 * 1024 ? Math.floor((128 * 1024 - n) / 2048) : 0;
  return n + Math.floor(n / 256) + small + 32;
}

type ZstdZlib = typeof zlib & { zstdCompressSync?: (data: Buffer, options?: { pledgedSrcSize?: number }) => Buffer };

/**
 * A compressed result in memory of its own size. zlib's sync calls return a
 * view into their 64 KiB output chunk: kept as a queued record, each ~150
 * byte line held 64 KiB (a full queue of them, hundreds of MB).
 */
function compact(out: Buffer): Buffer {
  return out.buffer.byteLength > out.length + SLACK_BYTES ? Buffer.from(out) : out;
}

/** Memory a compressed result may hold beyond its length before it is copied out (bytes). */
export const SLACK_BYTES = 16 * 1024;

/**
 * gzip of one record. Below 32 KiB the deflate window (and with it
 * memLevel: hash table and block buffers) is cut to the smallest power of
 * two that covers the input plus zlib's 262-byte lookahead: the same
 * compression for such an input, a ~10 KB state instead of ~270 KB set up
 * per call (which glibc, told to map blocks of 64 KiB and more, mapped and
 * unmapped each time). Any inflater reads a smaller window. The output
 * chunk is the bound, so the result is one buffer of about its own size.
 * The bound holds for these settings too (compression.test.ts).
 */
function gzip(data: Buffer): Buffer {
  const windowBits = Math.min(15, Math.max(9, Math.ceil(Math.log2(data.length + 262))));
  return compact(zlib.gzipSync(data, { windowBits, memLevel: windowBits - 7, chunkSize: Math.max(64, gzipBound(data.length)) }));
}

/** The codec of a kind; throws when this Node has no such codec (config validation reports it first). */
export function codecFor(kind: CompressionKind): Codec {
  if (kind === 'gzip') return { kind, encode: gzip, bound: gzipBound };
  const z = zlib as ZstdZlib;
  const compress = z.zstdCompressSync;
  if (!compress) throw new Error(compressionUnavailable('zstd'));
  // The size told up front lets zstd size its tables to the input (and writes it in the frame header).
  return { kind, encode: (d) => compact(compress(d, { pledgedSrcSize: d.length })), bound: zstdBound };
}

/** The largest input whose compressed form always fits in `limit` bytes. */
export function maxInputFor(codec: Codec, limit: number): number {
  let lo = 0;
  let hi = limit;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (codec.bound(mid) <= limit) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Compresses what another packer makes. `perRecord`: the inner packer makes
 * one entry per record (plain records), which is then packed already
 * compressed and counted exactly; otherwise the inner packer's entries
 * (aggregates, packed lines) are compressed as they are taken, and counted
 * until then at the bound. The inner packer must be built with
 * `maxInputFor(codec, limit)` as its per-entry limit.
 */
export class CompressingPacker implements Packer {
  private readonly originals = new WeakMap<SourceRecord, SourceRecord>();
  private last: { record: SourceRecord; compressed: SourceRecord } | undefined;

  constructor(
    private readonly inner: Packer,
    private readonly codec: Codec,
    private readonly perRecord: boolean,
  ) {}

  get entryCount(): number {
    return this.inner.entryCount;
  }

  get byteCount(): number {
    const n = this.inner.byteCount;
    return this.perRecord ? n : this.slack(n, this.inner.entryCount);
  }

  cost(record: SourceRecord, key: string): Cost {
    if (this.perRecord) return this.inner.cost(this.compressed(record), key);
    const c = this.inner.cost(record, key);
    return { entries: c.entries, bytes: this.slack(c.bytes, c.entries) };
  }

  add(record: SourceRecord, key: string): void {
    if (this.perRecord) {
      this.inner.add(this.compressed(record), key);
      this.last = undefined;
    } else {
      this.inner.add(record, key);
    }
  }

  take(): Entry[] {
    const entries = this.inner.take();
    if (this.perRecord) {
      // The sender acknowledges, and the queue releases, the records as they were pushed.
      return entries.map((e) => {
        const records = e.records.map((r) => this.originals.get(r) ?? r);
        return { data: e.data, partitionKey: e.partitionKey, records, userBytes: records.reduce((n, r) => n + r.data.length, 0) };
      });
    }
    for (const e of entries) {
      const plain = e.data;
      e.data = this.codec.encode(plain);
      // The uncompressed aggregate or packed record is read by nobody now.
      if (e.packed) freeBuffer(plain);
      e.packed = true;
    }
    return entries;
  }

  /** `bytes` over `entries` entries, each at the codec's bound. */
  private slack(bytes: number, entries: number): number {
    return entries === 0 ? bytes : this.codec.bound(bytes) + entries * (this.codec.bound(0) + 64);
  }

  private compressed(record: SourceRecord): SourceRecord {
    if (this.last?.record === record) return this.last.compressed;
    const compressed: SourceRecord = { ...record, data: this.codec.encode(record.data) };
    this.originals.set(compressed, record);
    this.last = { record, compressed };
    return compressed;
  }
}
