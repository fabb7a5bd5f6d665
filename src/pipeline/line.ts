/**
 * A framed line as the pipeline carries it: the one heap object per line
 * from the tailer to the acknowledgement. Its bytes are a range of the
 * chunk they were read in, not a Buffer view of their own; on the plain path
 * (one line, one API record) the line is also its own batch entry
 * (sink/entry.ts, PlainPacker). A queued line lives about a second at full
 * speed, long enough for V8 to promote it to the old generation, so each
 * object it does not hold is work the major collector never does
 * (docs/performance.md, "Seventh round").
 */
import type { Acker, SourceRecord } from './types.js';

export class Line implements SourceRecord {
  /**
   * The partition key the sink chose for it when it travels as its own API
   * entry ('' for a random key drawn when the body is written); set by
   * PlainPacker, read by the request-body writers.
   */
  partitionKey = '';
  /** Its bytes are chunk[offset, offset + length): the read chunk, shared with the lines framed from it, or a Buffer of their own. */
  chunk: Buffer;
  offset: number;
  length: number;

  /**
   * @param chunk, offset, length where its bytes are (see above)
   * @param acker, start, end, file as in SourceRecord
   */
  constructor(
    chunk: Buffer,
    offset: number,
    length: number,
    public acker: Acker,
    public start: number,
    public end: number,
    public file: { readonly path: string },
  ) {
    this.chunk = chunk;
    this.offset = offset;
    this.length = length;
  }

  /**
   * Its bytes as a Buffer, for what reads them (processors, partition keys
   * of a field, the KPL and Firehose packers): a view made on the first
   * read and kept in place of the chunk range, so that code reading it
   * several times makes one, as when every line had its view. On the plain
   * path nothing reads it and no view is made.
   */
  get data(): Buffer {
    if (this.offset !== 0 || this.length !== this.chunk.length) {
      this.chunk = this.chunk.subarray(this.offset, this.offset + this.length);
      this.offset = 0;
    }
    return this.chunk;
  }

  /** New bytes (a processor's output), held whole. */
  set data(data: Buffer) {
    this.chunk = data;
    this.offset = 0;
    this.length = data.length;
  }

  /** Copies its bytes into `out` at `at`; returns the offset after them. */
  copyTo(out: Buffer, at: number): number {
    return at + this.chunk.copy(out, at, this.offset, this.offset + this.length);
  }

  /** As an entry: the one user record inside it. A new array each time: read only by code off the hot path. */
  get records(): readonly SourceRecord[] {
    return [this];
  }

  /** As an entry: what it holds in the queue. */
  get userBytes(): number {
    return this.length;
  }
}

/** Bytes of a record's (or a batch entry's) data, without making a view of a Line's. */
export function dataLength(holder: { readonly data: Buffer }): number {
  return holder instanceof Line ? holder.length : holder.data.length;
}

/** Copies a record's (or a batch entry's) data into `out` at `at`, without making a view of a Line's; returns the offset after it. */
export function copyData(holder: { readonly data: Buffer }, out: Buffer, at: number): number {
  if (holder instanceof Line) return holder.copyTo(out, at);
  const data = holder.data;
  out.set(data, at);
  return at + data.length;
}
