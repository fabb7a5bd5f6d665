/**
 * Cuts a file's bytes into records. Records end at `\n` and include it; a
 * `\r\n` ending becomes `\n`. Everything the framer reads comes out either
 * as a record or as a skipped range, in file order and without holes, so the
 * checkpoint tracker can tile the file with them.
 */

import type { ContainerFormat } from './container-format.js';
import { LineAssembler, needsAssembly } from './line-assembler.js';
import { footerTest, type LineTest } from './line-match.js';
import type { MultiLinePreset } from './multiline-presets.js';

export interface FramerOutput {
  /**
   * A record covering file bytes [start, end) whose bytes are src[from, to):
   * a range of the chunk read (no Buffer view per line: the receiver makes
   * one only if it needs one), or a Buffer of the record's own.
   */
  record(src: Buffer, from: number, to: number, start: number, end: number, truncated: boolean): void;
  /** File bytes [start, end) that are done without being sent (header, footer). */
  skip(start: number, end: number): void;
}

export interface FramerOptions {
  /** Largest record, terminating newline or terminator included. */
  maxRecordBytes: number;
  truncatedRecordTerminator: string;
  /** Lines to drop at the start; 0 unless the file is read from offset 0. */
  skipHeaderLines: number;
  /** Starts a record when it matches at a line's start (see recordStartTest). */
  multiLineStartPattern?: RegExp | undefined;
  /** Stack traces of this runtime are one record (see multiline-presets.ts). */
  multiLine?: MultiLinePreset | undefined;
  /** Lines are wrapped by this container runtime (see container-format.ts). */
  containerFormat?: ContainerFormat | undefined;
  /** Ends the file at a line it matches whole, trimmed (see footerTest). */
  fileFooterPattern?: RegExp | undefined;
}

const LF = 0x0a;
const CR = 0x0d;

export class Framer {
  /** Offset of the first byte not yet handed out as a record or a skip. */
  frontier: number;
  /** A footer line was seen: the file is complete and nothing after it is read. */
  footerSeen = false;

  private readonly out: FramerOutput;
  private readonly max: number;
  private readonly terminator: Buffer;
  private readonly isFooter: LineTest | undefined;
  private headerLeft: number;

  // The incomplete last line: its start, its real length, and up to max+1
  // of its bytes (a line longer than that is truncated anyway).
  private lineStart = 0;
  private lineLen = 0;
  private held: Buffer[] = [];
  private heldLen = 0;

  // Joins container partial lines and gathers multi-line records, when configured.
  private readonly assembler: LineAssembler | undefined;

  constructor(opts: FramerOptions, out: FramerOutput, startOffset: number) {
    this.out = out;
    this.max = Math.max(1, opts.maxRecordBytes);
    this.terminator = Buffer.from(opts.truncatedRecordTerminator, 'utf8');
    if (this.terminator.length >= this.max) this.terminator = this.terminator.subarray(0, this.max - 1);
    if (needsAssembly(opts)) {
      this.assembler = new LineAssembler(opts, (data, start, end, truncated) => {
        const cut = truncated || data.length > this.max;
        this.frontier = end;
        const out = cut ? this.cut(data) : data;
        this.out.record(out, 0, out.length, start, end, cut);
      });
    }
    this.isFooter = opts.fileFooterPattern && footerTest(opts.fileFooterPattern);
    this.headerLeft = Math.max(0, opts.skipHeaderLines);
    this.frontier = startOffset;
    this.lineStart = startOffset;
  }

  /** Bytes read but not yet handed out (partial line, gathering multi-line record). */
  get pendingBytes(): number {
    return this.lineLen + (this.assembler?.pendingBytes ?? 0);
  }

  get hasPendingMultiLine(): boolean {
    return this.assembler?.pending ?? false;
  }

  /** Frames `chunk`, the file's bytes from `chunkStart`. The chunk may be modified in place. */
  push(chunk: Buffer, chunkStart: number): void {
    if (this.footerSeen) return;
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(LF, pos);
      if (nl === -1) {
        this.hold(chunk.subarray(pos), chunkStart + pos);
        return;
      }
      if (this.lineLen === 0) {
        this.line(chunk, pos, nl, chunkStart + pos, chunkStart + nl + 1, false);
      } else {
        // The line began in an earlier chunk: this is the one copy we make.
        this.hold(chunk.subarray(pos, nl), chunkStart + pos);
        const joined = this.joinHeld();
        const overflow = this.lineLen > this.heldLen;
        const start = this.lineStart;
        this.resetHeld(chunkStart + nl + 1);
        this.line(joined, 0, joined.length - 1, start, chunkStart + nl + 1, overflow);
      }
      if (this.footerSeen) return;
      pos = nl + 1;
    }
    this.lineStart = chunkStart + chunk.length;
  }

  /**
   * The file will not grow any more (rotated away, deleted): a last line
   * without its newline becomes a record with one, and a gathered
   * multi-line record goes out.
   */
  endOfInput(): void {
    if (this.lineLen > 0 && !this.footerSeen) {
      const joined = this.joinHeld();
      const overflow = this.lineLen > this.heldLen;
      const start = this.lineStart;
      const end = start + this.lineLen;
      this.resetHeld(end);
      this.line(joined, 0, joined.length - 1, start, end, overflow);
    }
    this.flushMultiLine();
  }

  /** After a quiet period the gathered multi-line record is complete. */
  flushMultiLine(): void {
    this.assembler?.flush();
  }

  private hold(part: Buffer, offset: number): void {
    if (this.lineLen === 0) this.lineStart = offset;
    this.lineLen += part.length;
    const room = this.max + 1 - this.heldLen;
    if (room <= 0 || part.length === 0) return;
    const kept = part.length > room ? part.subarray(0, room) : part;
    this.held.push(kept);
    this.heldLen += kept.length;
  }

  /** The held bytes plus a trailing `\n`, in a buffer of our own. */
  private joinHeld(): Buffer {
    const buf = Buffer.allocUnsafe(this.heldLen + 1);
    let at = 0;
    for (const p of this.held) {
      p.copy(buf, at);
      at += p.length;
    }
    buf[at] = LF;
    return buf;
  }

  private resetHeld(nextStart: number): void {
    this.held = [];
    this.heldLen = 0;
    this.lineLen = 0;
    this.lineStart = nextStart;
  }

  /** One complete line: src[from, to) with src[to] === '\n'; file bytes [start, end). */
  private line(src: Buffer, from: number, to: number, start: number, end: number, overflow: boolean): void {
    let contentEnd = to;
    if (!overflow && to > from && src[to - 1] === CR) contentEnd = to - 1;

    if (this.headerLeft > 0) {
      this.headerLeft--;
      this.skipRange(start, end);
      return;
    }
    if (this.isFooter?.(src.toString('utf8', from, contentEnd))) {
      this.flushMultiLine();
      this.footerSeen = true;
      this.skipRange(start, end);
      return;
    }

    // `\r\n` -> `\n` without a copy: the chunk is ours to change.
    if (contentEnd !== to) src[contentEnd] = LF;
    const dataEnd = contentEnd + 1;
    const truncated = overflow || dataEnd - from > this.max;

    if (this.assembler) {
      this.assembler.line(src.subarray(from, dataEnd), start, end, truncated);
      return;
    }

    this.frontier = end;
    if (truncated) {
      const cut = this.cut(src.subarray(from, dataEnd));
      this.out.record(cut, 0, cut.length, start, end, true);
    } else {
      this.out.record(src, from, dataEnd, start, end, false);
    }
  }

  private cut(data: Buffer): Buffer {
    const keep = Math.min(this.max - this.terminator.length, data.length);
    const out = Buffer.allocUnsafe(keep + this.terminator.length);
    data.copy(out, 0, 0, Math.min(keep, data.length));
    this.terminator.copy(out, keep);
    return out;
  }

  private skipRange(start: number, end: number): void {
    if (!this.hasPendingMultiLine) this.frontier = end;
    this.out.skip(start, end);
  }
}
