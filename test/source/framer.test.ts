import { describe, expect, it } from 'vitest';
import { Framer, type FramerOptions } from '../../src/source/framer.js';

interface Out {
  records: { text: string; start: number; end: number; truncated: boolean }[];
  skips: [number, number][];
}

function frame(chunks: string[], opts: Partial<FramerOptions> = {}, end = false, startOffset = 0): { out: Out; framer: Framer } {
  const out: Out = { records: [], skips: [] };
  const framer = new Framer(
    { maxRecordBytes: 1000, truncatedRecordTerminator: '\n', skipHeaderLines: 0, ...opts },
    {
      record: (src, from, to, start, e, truncated) => out.records.push({ text: src.toString('utf8', from, to), start, end: e, truncated }),
      skip: (s, e) => out.skips.push([s, e]),
    },
    startOffset,
  );
  let at = startOffset;
  for (const c of chunks) {
    const b = Buffer.from(c);
    framer.push(b, at);
    at += b.length;
  }
  if (end) framer.endOfInput();
  return { out, framer };
}

/** Records and skips must tile [from, to) without holes or overlaps. */
function tiles(out: Out, from: number): number {
  const ranges = [...out.records.map((r) => [r.start, r.end] as [number, number]), ...out.skips].sort((a, b) => a[0] - b[0]);
  let at = from;
  for (const [s, e] of ranges) {
    expect(s).toBe(at);
    at = e;
  }
  return at;
}

describe('Framer', () => {
  it('cuts records at \\n, each including its newline, with file offsets', () => {
    const { out } = frame(['a\nbb\n', 'ccc\n']);
    expect(out.records.map((r) => r.text)).toEqual(['a\n', 'bb\n', 'ccc\n']);
    expect(out.records.map((r) => [r.start, r.end])).toEqual([
      [0, 2],
      [2, 5],
      [5, 9],
    ]);
  });

  it('turns \\r\\n into \\n in the record while the range covers the \\r\\n', () => {
    const { out } = frame(['one\r\ntw', 'o\r', '\nthree\n']);
    expect(out.records.map((r) => r.text)).toEqual(['one\n', 'two\n', 'three\n']);
    expect(out.records[1]).toMatchObject({ start: 5, end: 10 });
    tiles(out, 0);
  });

  it('holds a partial last line until its newline arrives', () => {
    const { out, framer } = frame(['a\npar', 'tial']);
    expect(out.records.map((r) => r.text)).toEqual(['a\n']);
    expect(framer.frontier).toBe(2);
    framer.push(Buffer.from(' line\n'), 9);
    expect(out.records.map((r) => r.text)).toEqual(['a\n', 'partial line\n']);
    expect(out.records[1]).toMatchObject({ start: 2, end: 15 });
  });

  it('flushes an unterminated last line with a \\n appended at end of input', () => {
    const { out } = frame(['a\nlast'], {}, true);
    expect(out.records.map((r) => r.text)).toEqual(['a\n', 'last\n']);
    expect(out.records[1]).toMatchObject({ start: 2, end: 6 });
  });

  it('skips header lines when reading from the start, acking them as done', () => {
    const { out } = frame(['h1\nh2\nd1\nd2\n'], { skipHeaderLines: 2 });
    expect(out.records.map((r) => r.text)).toEqual(['d1\n', 'd2\n']);
    expect(out.skips).toEqual([
      [0, 3],
      [3, 6],
    ]);
    tiles(out, 0);
  });

  it('drops footer lines and reads nothing after them', () => {
    const { out, framer } = frame(['a\n--END--\nb\n'], { fileFooterPattern: /^--END--$/ });
    expect(out.records.map((r) => r.text)).toEqual(['a\n']);
    expect(out.skips).toEqual([[2, 10]]);
    expect(framer.footerSeen).toBe(true);
  });

  it('gathers multi-line records from one start line to the next and flushes the last on quiet', () => {
    const { out, framer } = frame(['2024 a\n  at x\n  at y\n2024 b\n', '  more\n'], { multiLineStartPattern: /^\d{4} / });
    expect(out.records.map((r) => r.text)).toEqual(['2024 a\n  at x\n  at y\n']);
    expect(framer.frontier).toBe(21);
    framer.flushMultiLine();
    expect(out.records.map((r) => r.text)).toEqual(['2024 a\n  at x\n  at y\n', '2024 b\n  more\n']);
    tiles(out, 0);
  });

  it('starts a multi-line record only where the pattern matches at the line start (Java lookingAt), not mid-line', () => {
    const text =
      'ProjectName:ComponentName 1 start\n' +
      'java.lang.IllegalStateException: bad state in ProjectName:ComponentName handler\n' +
      '  at x\n' +
      'ProjectName:ComponentName 2\n' +
      'ProjectName:ComponentName 3\n';
    const { out } = frame([text], { multiLineStartPattern: /ProjectName:ComponentName/ }, true);
    expect(out.records.map((r) => r.text.split('\n').length - 1)).toEqual([3, 1, 1]);
    // Alternatives anchor too, and flags are kept.
    const alt = frame(['b x\nfoo a\nA y\n'], { multiLineStartPattern: /a|b/i }, true).out;
    expect(alt.records.map((r) => r.text)).toEqual(['b x\nfoo a\n', 'A y\n']);
  });

  it('takes a line for the footer only when the pattern matches the whole trimmed line (Java matches)', () => {
    const { out, framer } = frame(['SENDING\nEND \r\nafter\n'], { fileFooterPattern: /END/ });
    expect(out.records.map((r) => r.text)).toEqual(['SENDING\n']);
    expect(framer.footerSeen).toBe(true);
    // Backtracking finds the whole-line alternative.
    expect(frame(['ab\nc\n'], { fileFooterPattern: /a|ab/ }).framer.footerSeen).toBe(true);
    expect(frame(['xab\n'], { fileFooterPattern: /a|ab/ }).framer.footerSeen).toBe(false);
  });

  it('cuts records over maxRecordBytes to the limit, ending in the terminator, and goes on', () => {
    const long = 'x'.repeat(50);
    const { out } = frame([`ok\n${long}\nnext\n`], { maxRecordBytes: 20, truncatedRecordTerminator: '...\n' });
    expect(out.records.map((r) => r.text)).toEqual(['ok\n', `${'x'.repeat(16)}...\n`, 'next\n']);
    expect(out.records[1]!.truncated).toBe(true);
    expect(out.records[1]!.text.length).toBe(20);
    expect(tiles(out, 0)).toBe(3 + 51 + 5);
  });

  it('keeps memory bounded for a huge line spread over many chunks', () => {
    const chunks = Array.from({ length: 100 }, () => 'y'.repeat(1000));
    chunks.push('\nz\n');
    const { out } = frame(chunks, { maxRecordBytes: 100 });
    expect(out.records.map((r) => r.text.length)).toEqual([100, 2]);
    expect(out.records[0]).toMatchObject({ start: 0, end: 100_001, truncated: true });
  });

  it('starts mid-file at the given offset without skipping headers', () => {
    const { out } = frame(['c\n'], {}, false, 500);
    expect(out.records[0]).toMatchObject({ text: 'c\n', start: 500, end: 502 });
  });
});
