/**
 * Properties of the framer over any bytes cut into chunks anywhere: it never
 * throws, the records and skipped ranges tile the file without holes or
 * overlaps, and with no processors the records concatenate to the file's
 * bytes after the documented rules (`\r\n` read as `\n`, a line over the
 * record limit cut to it ending in the terminator, a last line without a
 * newline given one at the end of input).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Framer, type FramerOptions } from '../../src/source/framer.ts';

interface Out {
  records: { data: Buffer; start: number; end: number; truncated: boolean }[];
  ranges: { start: number; end: number; kind: 'record' | 'skip' }[];
}

/** Runs the framer over `file` cut at `cuts`, then ends the input. */
function frame(file: Buffer, cuts: number[], opts: FramerOptions, startOffset = 0): Out & { frontier: number } {
  const out: Out = { records: [], ranges: [] };
  const framer = new Framer(
    opts,
    {
      record(src, from, to, start, end, truncated) {
        // Records may share memory with the chunk: keep a copy.
        out.records.push({ data: Buffer.from(src.subarray(from, to)), start, end, truncated });
        out.ranges.push({ start, end, kind: 'record' });
      },
      skip(start, end) {
        out.ranges.push({ start, end, kind: 'skip' });
      },
    },
    startOffset,
  );
  const points = [...new Set(cuts.map((c) => Math.min(c, file.length)))].sort((a, b) => a - b);
  let at = 0;
  for (const p of [...points, file.length]) {
    if (p <= at) continue;
    // A copy per chunk: the framer may rewrite it in place.
    framer.push(Buffer.from(file.subarray(at, p)), startOffset + at);
    at = p;
  }
  framer.endOfInput();
  return { ...out, frontier: framer.frontier };
}

/** The file's lines, each with its newline; the last one may lack it. */
function linesOf(file: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let at = 0;
  while (at < file.length) {
    const nl = file.indexOf(0x0a, at);
    const end = nl === -1 ? file.length : nl + 1;
    lines.push(file.subarray(at, end));
    at = end;
  }
  return lines;
}

/** What one line becomes as a record: `\r\n` -> `\n`, a missing `\n` added. */
function asRecord(line: Buffer): Buffer {
  let content = line.at(-1) === 0x0a ? line.subarray(0, -1) : line;
  if (content.at(-1) === 0x0d) content = content.subarray(0, -1);
  return Buffer.concat([content, Buffer.from('\n')]);
}

function terminatorFor(opts: FramerOptions): Buffer {
  const t = Buffer.from(opts.truncatedRecordTerminator, 'utf8');
  return t.length >= opts.maxRecordBytes ? t.subarray(0, Math.max(0, opts.maxRecordBytes - 1)) : t;
}

function cut(data: Buffer, opts: FramerOptions): Buffer {
  if (data.length <= opts.maxRecordBytes) return data;
  const t = terminatorFor(opts);
  return Buffer.concat([data.subarray(0, opts.maxRecordBytes - t.length), t]);
}

/**
 * Patterns see a line as the framer holds it: a line longer than the record
 * limit that spans reads is held only up to maxRecordBytes + 1 bytes (the
 * rest is cut anyway). Cases where that prefix and the whole line disagree
 * about a pattern depend on read boundaries; they are left out.
 */
function patternIsDecidable(pattern: RegExp | ((text: string) => boolean), content: Buffer, max: number): boolean {
  if (content.length <= max + 1) return true;
  const test = typeof pattern === 'function' ? pattern : (text: string): boolean => pattern.test(text);
  return test(content.toString('utf8')) === test(content.subarray(0, max + 1).toString('utf8'));
}

const bytes = fc.oneof(
  // Line-heavy text with CRs, NULs and invalid UTF-8.
  fc
    .array(fc.constantFrom(0x61, 0x62, 0x0a, 0x0a, 0x0d, 0x00, 0xff, 0xc3, 0x20, 0x7b), { maxLength: 400 })
    .map((a) => Buffer.from(a)),
  fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
);
const cuts = fc.array(fc.nat({ max: 420 }), { maxLength: 30 });
const terminator = fc.oneof(fc.constant('\n'), fc.constant(''), fc.constant('…[cut]\n'), fc.string({ maxLength: 12 }));
const baseOptions = fc.record({
  maxRecordBytes: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 13, max: 500 })),
  truncatedRecordTerminator: terminator,
});

/** Every byte from the start offset to the frontier is covered once, in order. */
function expectTiling(out: Out & { frontier: number }, from: number, to: number): void {
  let at = from;
  for (const r of out.ranges) {
    expect(r.start, JSON.stringify(out.ranges)).toBe(at);
    expect(r.end).toBeGreaterThan(r.start);
    at = r.end;
  }
  expect(at).toBe(to);
  expect(out.frontier).toBe(to);
}

describe('the framer on any bytes, cut into chunks anywhere', () => {
  it('gives back the file: records concatenate to its lines after the CRLF, size-cap and last-line rules', () => {
    fc.assert(
      fc.property(bytes, cuts, baseOptions, fc.nat({ max: 1_000_000 }), (file, at, o, startOffset) => {
        const opts: FramerOptions = { ...o, skipHeaderLines: 0 };
        const out = frame(file, at, opts, startOffset);
        const expected = linesOf(file).map((l) => cut(asRecord(l), opts));
        expect(out.records.map((r) => r.data.toString('hex'))).toEqual(expected.map((e) => e.toString('hex')));
        for (const r of out.records) expect(r.data.length).toBeLessThanOrEqual(opts.maxRecordBytes);
        expectTiling(out, startOffset, startOffset + file.length);
      }),
      { numRuns: 1500 },
    );
  });

  it('with a generous record limit and no CR, the records are the file byte for byte', () => {
    fc.assert(
      fc.property(bytes, cuts, (raw, at) => {
        const file = Buffer.concat([Buffer.from(raw.filter((b) => b !== 0x0d)), Buffer.from('\n')]);
        const out = frame(file, at, { maxRecordBytes: 1024, truncatedRecordTerminator: '\n', skipHeaderLines: 0 });
        expect(Buffer.concat(out.records.map((r) => r.data)).equals(file)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('skips header lines and everything from a footer line on, acknowledging them as skipped ranges', () => {
    fc.assert(
      fc.property(bytes, cuts, baseOptions, fc.nat({ max: 5 }), fc.constantFrom('^b', 'a{3}', '\\x00', 'END'), (file, at, o, headers, footer) => {
        // The Kinesis Agent's footer rule, written independently of line-match.ts:
        // Java's matches() (the whole line) on String.trim() (code units <= U+0020 off both ends).
        const footerPattern = new RegExp(`^(?:${footer})$`);
        // eslint-disable-next-line no-control-regex -- Java trim() strips the C0 controls too
        const isFooter = (text: string): boolean => footerPattern.test(text.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, ''));
        const opts: FramerOptions = { ...o, skipHeaderLines: headers, fileFooterPattern: new RegExp(footer) };
        const out = frame(file, at, opts);
        const lines = linesOf(file);
        const expected: Buffer[] = [];
        let end = file.length;
        let offset = 0;
        for (let i = 0; i < lines.length; i++) {
          const line = lines[i]!;
          offset += line.length;
          if (i < headers) continue;
          const content = asRecord(line).subarray(0, -1);
          fc.pre(patternIsDecidable(isFooter, line.at(-1) === 0x0a ? line.subarray(0, -1) : line, opts.maxRecordBytes));
          if (isFooter(content.toString('utf8'))) {
            end = offset;
            break;
          }
          expected.push(cut(asRecord(line), opts));
        }
        expect(out.records.map((r) => r.data.toString('hex'))).toEqual(expected.map((e) => e.toString('hex')));
        expectTiling(out, 0, end);
      }),
      { numRuns: 1500 },
    );
  });

  it('gathers multi-line records: each concatenates its lines, cut as a whole at the record limit', () => {
    fc.assert(
      fc.property(bytes, cuts, baseOptions, fc.constantFrom('^a', '^\\d', '^[^ ]', '^$'), (file, at, o, start) => {
        const startPattern = new RegExp(start);
        const opts: FramerOptions = { ...o, skipHeaderLines: 0, multiLineStartPattern: startPattern };
        const out = frame(file, at, opts);
        const groups: Buffer[][] = [];
        for (const line of linesOf(file)) {
          const content = asRecord(line).subarray(0, -1);
          fc.pre(patternIsDecidable(startPattern, line.at(-1) === 0x0a ? line.subarray(0, -1) : line, opts.maxRecordBytes));
          if (groups.length === 0 || startPattern.test(content.toString('utf8'))) groups.push([]);
          groups.at(-1)!.push(asRecord(line));
        }
        const expected = groups.map((g) => cut(Buffer.concat(g), opts));
        expect(out.records.map((r) => r.data.toString('hex'))).toEqual(expected.map((e) => e.toString('hex')));
        expectTiling(out, 0, file.length);
      }),
      { numRuns: 1500 },
    );
  });

  it('never throws, whatever the options', () => {
    const anyPattern = fc.option(fc.constantFrom('^', '$', '.', 'a|b', '(?:x)*', '\\s', '^\\S'), { nil: undefined });
    fc.assert(
      fc.property(
        bytes,
        cuts,
        fc.record({
          maxRecordBytes: fc.integer({ min: -3, max: 64 }),
          truncatedRecordTerminator: fc.string({ unit: 'binary', maxLength: 80 }),
          skipHeaderLines: fc.integer({ min: -2, max: 10 }),
          multiLineStartPattern: anyPattern.map((p) => (p === undefined ? undefined : new RegExp(p))),
          fileFooterPattern: anyPattern.map((p) => (p === undefined ? undefined : new RegExp(p))),
        }),
        (file, at, opts) => {
          const out = frame(file, at, opts);
          for (const r of out.records) expect(r.data.length).toBeLessThanOrEqual(Math.max(1, opts.maxRecordBytes));
        },
      ),
      { numRuns: 1500 },
    );
  });
});
