/**
 * Files of tricky lines for the end-to-end tests of framing
 * (test/e2e/line-bytes*.test.ts): a builder that keeps the bytes each line
 * must arrive as, and the multiset comparison of what arrived.
 */
import { expect } from 'vitest';

/** Multiset difference, shown as short descriptions: what a failed assertion prints. */
export function diff(got: Buffer[], want: Buffer[]): { missing: string[]; unexpected: string[] } {
  const key = (b: Buffer) => b.toString('latin1');
  const show = (b: Buffer) => `${b.length} bytes ${JSON.stringify(b.subarray(0, 40).toString('utf8'))}...${JSON.stringify(b.subarray(-12).toString('utf8'))}`;
  const counts = new Map<string, number>();
  for (const b of want) counts.set(key(b), (counts.get(key(b)) ?? 0) + 1);
  const unexpected: string[] = [];
  for (const b of got) {
    const n = counts.get(key(b)) ?? 0;
    if (n === 0) unexpected.push(show(b));
    else counts.set(key(b), n - 1);
  }
  const missing: string[] = [];
  for (const [k, n] of counts) for (let i = 0; i < n; i++) missing.push(show(Buffer.from(k, 'latin1')));
  return { missing, unexpected };
}

export function expectSameRecords(got: Buffer[], want: Buffer[], context: () => string): void {
  expect(diff(got, want), context()).toEqual({ missing: [], unexpected: [] });
}

/** A file's bytes built piece by piece, with the bytes each line must arrive as. */
export class FileBuilder {
  private readonly parts: Buffer[] = [];
  readonly expected: Buffer[] = [];
  length = 0;

  /** `raw` as written; `sent` as it must arrive (default: `raw` with a final CRLF made LF). */
  line(raw: Buffer | string, sent?: Buffer | string): this {
    const b = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    this.parts.push(b);
    this.length += b.length;
    const out = sent ?? (b.subarray(-2).toString('latin1') === '\r\n' ? Buffer.concat([b.subarray(0, -2), Buffer.from('\n')]) : b);
    this.expected.push(typeof out === 'string' ? Buffer.from(out, 'utf8') : out);
    return this;
  }

  /** ASCII filler lines (each one a line of its own) up to exactly `offset`. */
  padTo(offset: number, tag: string): this {
    let i = 0;
    while (this.length < offset) {
      const left = offset - this.length;
      if (left <= 200) this.line(`${'p'.repeat(left - 1)}\n`);
      else this.line(`${tag} ${i++} ${'.'.repeat(150)}\n`);
    }
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** `n` bytes of text that mixes 1-, 2-, 3- and 4-byte UTF-8 characters, so that any cut lands inside one now and then. */
export function multiByte(n: number): Buffer {
  const unit = Buffer.from('aé€😀', 'utf8'); // 1 + 2 + 3 + 4 bytes
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = unit[i % unit.length]!;
  return out;
}

/** The agent's read size (src/source/file-source.ts): where a file's bytes are cut into chunks. */
export const READ = 256 * 1024;

/**
 * CR and CRLF in every place (inside a line, doubled, alone at the end of a
 * read, a CRLF across two reads), empty lines, a multi-byte line over three
 * reads, lines at, over and far over `max` (the flow's largest record,
 * terminator `\n`), then 300 short lines.
 */
export function trickyLines(max: number): FileBuilder {
  const f = new FileBuilder();
  f.line('crlf one\r\n')
    .line('lone \r inside\n')
    .line('two cr\r\r\n', 'two cr\r\n')
    .line('\n')
    .line('\r\n', '\n')
    .line('\r\r\n', '\r\n')
    .line('tab\tnul\0 end\r\n')
    .line(`${'é'.repeat(40)}\n`);
  // A CRLF whose CR ends the first read and whose LF begins the second.
  f.padTo(READ - 20, 'a').line(`${'c'.repeat(19)}\r\n`);
  // A CR alone as the last byte of the second read.
  f.padTo(2 * READ - 30, 'b').line(`${'d'.repeat(29)}\rafter the CR\n`);
  // A multi-byte line over three reads, ending CRLF.
  const wide = multiByte(700 * 1024);
  f.line(Buffer.concat([wide, Buffer.from('\r\n')]), Buffer.concat([wide, Buffer.from('\n')]));
  // A line exactly at the limit, and one byte over it.
  f.line(Buffer.concat([Buffer.alloc(max - 1, 'e'), Buffer.from('\n')]));
  const over = Buffer.concat([Buffer.alloc(max, 'f'), Buffer.from('\n')]);
  f.line(over, Buffer.concat([over.subarray(0, max - 1), Buffer.from('\n')]));
  // 1.5 MiB of multi-byte text with CRLF: cut at the limit, the terminator after.
  const long = Buffer.concat([multiByte(1536 * 1024), Buffer.from('\r\n')]);
  f.line(long, Buffer.concat([long.subarray(0, max - 1), Buffer.from('\n')]));
  for (let i = 0; i < 300; i++) f.line(`short ${String(i).padStart(7, '0')}\n`);
  return f;
}
