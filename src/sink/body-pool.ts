/**
 * Request body Buffers lent out and taken back once a call's bytes are on
 * their way, so that a body is not a new ArrayBuffer every call. At full
 * speed that was one 113 KB allocation per 500 lines: 226 MB per million,
 * each mapped fresh by malloc (the packaged MALLOC_MMAP_THRESHOLD_), faulted
 * in page by page as the body was written, and counted by V8 as external
 * memory until a full collection found it dead (docs/performance.md).
 *
 * Only the send path knows when a body is no longer read: it gives a body
 * back (`give`) once its stream has written all of it and closed. A body
 * never given back (a call aborted mid-write, the SDK's path) is left to the
 * garbage collector, and the pool lends a new one.
 */

import { freeBuffer } from '../buffer-release.js';

/** Bodies are lent in whole multiples of this, so that bodies of nearly the same size share buffers (bytes). */
const GRAIN = 16 * 1024;

export interface BodyPoolOptions {
  /** Bodies larger than this are allocated, not pooled (bytes). KPL bodies are few and large. */
  maxBodyBytes: number;
  /** Free buffers kept at most, in bytes of their capacity. */
  maxFreeBytes: number;
}

export class BodyPool {
  private readonly free: Buffer[] = [];
  private freeBytes = 0;
  /** The whole buffer behind each body lent, by its memory. */
  private readonly lent = new WeakMap<ArrayBufferLike, Buffer>();

  constructor(private readonly opts: BodyPoolOptions) {}

  /** Free buffers held now. */
  get freeCount(): number {
    return this.free.length;
  }

  /** A Buffer of exactly `size` bytes, contents undefined. */
  take(size: number): Buffer {
    if (size > this.opts.maxBodyBytes) {
      // Not kept for lending, but freed when given back: a KPL body over 1 MiB each call.
      const once = Buffer.allocUnsafeSlow(size);
      this.lent.set(once.buffer, once);
      return once;
    }
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const cap = this.free[i]!.length;
      if (cap >= size && (best < 0 || cap < this.free[best]!.length)) best = i;
    }
    let whole: Buffer;
    if (best >= 0) {
      whole = this.free[best]!;
      this.free[best] = this.free[this.free.length - 1]!;
      this.free.pop();
      this.freeBytes -= whole.length;
    } else {
      whole = Buffer.allocUnsafeSlow(Math.min(this.opts.maxBodyBytes, Math.ceil(size / GRAIN) * GRAIN));
    }
    this.lent.set(whole.buffer, whole);
    return whole.subarray(0, size);
  }

  /**
   * `body` (from take) is no longer read by anyone: it may be lent again, or
   * is freed at once when the pool keeps no more (buffer-release.ts), not
   * left for the collector. Bodies not lent by this pool are ignored.
   */
  give(body: Buffer): void {
    const whole = this.lent.get(body.buffer);
    if (!whole) return;
    this.lent.delete(body.buffer);
    if (whole.length > this.opts.maxBodyBytes || this.freeBytes + whole.length > this.opts.maxFreeBytes) {
      freeBuffer(whole);
      return;
    }
    this.free.push(whole);
    this.freeBytes += whole.length;
  }

  /** Lets go of every free buffer (after a burst, so that memory can be returned). */
  clear(): void {
    this.free.length = 0;
    this.freeBytes = 0;
  }
}
