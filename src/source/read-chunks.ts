/**
 * The read chunks of one file whose lines may still be in the pipeline, so
 * that a chunk's memory is given back as soon as every line framed from it
 * is acknowledged, rather than at V8's next full collection.
 *
 * Why: lines are ranges of the chunk they were read in (pipeline/line.ts),
 * so a chunk (up to 256 KiB) lives until its last line is acknowledged,
 * hundreds of ms at full speed: long enough for V8 to promote it, after
 * which only a full collection frees it (docs/performance.md, "Ninth
 * round": dead chunks and answers were 40-55 MB of the plain peak).
 *
 * Freed by detaching (buffer-release.ts), not pooled and reused: a bug that
 * read an acknowledged line would then send nothing, never another line's
 * bytes.
 */
import { freeArrayBuffer, ownsItsMemory } from '../buffer-release.js';

/** Chunks remembered at most per file: 256 MB of 256 KiB reads past the committed offset. */
const MAX_CHUNKS_HELD = 1024;

export class ReadChunks {
  /**
   * Oldest first, each with the file offset it ends at. Held weakly: while
   * one line retried for long holds the committed offset back, the chunks
   * after it whose lines are all gone are still the collector's to free.
   */
  private chunks: { memory: WeakRef<ArrayBufferLike>; end: number }[] = [];

  /** Chunks remembered now (for tests). */
  get held(): number {
    return this.chunks.length;
  }

  /** `chunk` was read and ends at file offset `end` (bytes); its lines may be framed from it. Not remembered when it shares its memory. */
  add(chunk: Buffer, end: number): void {
    if (!ownsItsMemory(chunk)) return;
    if (this.chunks.length >= MAX_CHUNKS_HELD) this.chunks.shift();
    this.chunks.push({ memory: new WeakRef(chunk.buffer), end });
  }

  /**
   * Every byte below `committed` (file offset) is acknowledged or skipped:
   * frees the chunks that end at or below it. Returns how many were freed.
   */
  freeBelow(committed: number): number {
    let done = 0;
    let freed = 0;
    while (done < this.chunks.length && this.chunks[done]!.end <= committed) {
      const memory = this.chunks[done++]!.memory.deref();
      if (memory && freeArrayBuffer(memory)) freed++;
    }
    if (done > 0) this.chunks.splice(0, done);
    return freed;
  }

  /** The file starts over (truncated): lines of the old content may still be in flight, so its chunks are left to the collector. */
  forget(): void {
    this.chunks = [];
  }
}
