import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Framer, type FramerOptions } from '../../src/source/framer.js';
import { go, java, python, ruby, startRule, type LineKind, type PresetMachine } from '../../src/source/multiline-presets.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/traces/${name}`, import.meta.url), 'utf8');

/** Frames `text` in chunks of `chunk` bytes and returns the records, checking that they tile the input. */
function records(text: string, opts: Partial<FramerOptions>, chunk = 7): string[] {
  const out: { data: string; start: number; end: number }[] = [];
  const framer = new Framer(
    { maxRecordBytes: 100_000, truncatedRecordTerminator: '\n', skipHeaderLines: 0, ...opts },
    { record: (src, from, to, start, end) => out.push({ data: src.toString('utf8', from, to), start, end }), skip: () => {} },
    0,
  );
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += chunk) framer.push(Buffer.from(bytes.subarray(at, at + chunk)), at);
  framer.endOfInput();
  let at = 0;
  for (const r of out) {
    expect(r.start).toBe(at);
    expect(bytes.subarray(r.start, r.end).toString()).toBe(r.data);
    at = r.end;
  }
  expect(at).toBe(bytes.length);
  return out.map((r) => r.data);
}

/** The file's lines grouped by counts: the records we expect. */
function grouped(text: string, counts: number[]): string[] {
  const lines = text.split(/(?<=\n)/);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(lines.length);
  const out: string[] = [];
  let at = 0;
  for (const n of counts) {
    out.push(lines.slice(at, at + n).join(''));
    at += n;
  }
  return out;
}

describe('multi-line presets on traces the runtimes printed', () => {
  const cases: { preset: 'java' | 'python' | 'go' | 'ruby'; file: string; alone: number[]; pattern: RegExp; combined: number[] }[] = [
    // Throwable.printStackTrace with a cause, `... n more`, and a suppressed exception (Shop.java).
    { preset: 'java', file: 'java.log', alone: [1, 1, 9, 1, 5, 1], pattern: /^\d{4}-/, combined: [1, 10, 6, 1] },
    // logging.exception with `raise ... from` and with an exception raised while handling another (shop.py).
    { preset: 'python', file: 'python.log', alone: [1, 1, 16, 1, 1, 13, 1], pattern: /^\S/, combined: [1, 17, 1, 14, 1] },
    // A panic with two goroutines, an index-out-of-range panic, a deadlock.
    { preset: 'go', file: 'go.log', alone: [1, 1, 14, 1, 7, 1, 5, 1], pattern: /^\d{4}\//, combined: [1, 15, 8, 6, 1] },
    // Logger#error with a backtrace, an uncaught exception with its cause (3.3 quotes), an uncaught one in 3.4 quotes.
    { preset: 'ruby', file: 'ruby.log', alone: [1, 4, 1, 6, 1, 3, 1], pattern: /^[A-Z], \[/, combined: [1, 4, 7, 4, 1] },
  ];
  for (const c of cases) {
    it(`${c.preset}: each trace is one record, every other line a record of its own`, () => {
      const text = fixture(c.file);
      expect(records(text, { multiLine: c.preset })).toEqual(grouped(text, c.alone));
      expect(records(text, { multiLine: c.preset }, 4096)).toEqual(grouped(text, c.alone));
    });
    it(`${c.preset} with multiLineStartPattern ${c.pattern}: the trace joins the log line that reports it`, () => {
      const text = fixture(c.file);
      expect(records(text, { multiLine: c.preset, multiLineStartPattern: c.pattern })).toEqual(grouped(text, c.combined));
    });
  }

  it('python with `^\\S` alone splits the traceback where the preset keeps it whole', () => {
    const text = fixture('python.log');
    expect(records(text, { multiLineStartPattern: /^\S/ }).length).toBeGreaterThan(5);
  });
});

describe('preset state machines, line by line', () => {
  function kinds<S extends string>(m: PresetMachine<S>, lines: string[]): LineKind[] {
    let state = m.initial;
    return lines.map((l) => {
      const { kind, next } = m.step(state, l);
      state = next;
      return kind;
    });
  }
  it.each([
    ['java: a frame with no header continues whatever came before', java, ['ERROR x', '\tat a.B.c(B.java:1)'], ['other', 'trace']],
    ['java: a class name without an exception suffix is not a header', java, ['com.example.Config: loaded'], ['other']],
    ['java: a thread header', java, ['Exception in thread "main" java.lang.Error: x', '\tat M.main(M.java:3)'], ['header', 'trace']],
    ['python: a line after the exception ends the trace', python, ['Traceback (most recent call last):', '  File "a.py", line 1, in <module>', 'KeyError: 1', 'next'], ['header', 'trace', 'trace', 'other']],
    ['go: a log line after a goroutine dump is not part of it', go, ['goroutine 5 [running]:', 'main.f()', '\t/a.go:1 +0x1', '2026/11/30 x'], ['header', 'trace', 'trace', 'other']],
    ['go: a function-looking line outside a trace is not a frame', go, ['main.main()'], ['other']],
    ['ruby: a header outside a trace starts one', ruby, ['a.rb:1:in `x\': boom (RuntimeError)', '\tfrom a.rb:2:in `<main>\''], ['header', 'trace']],
  ] as const)('%s', (_name, machine, lines, want) => {
    expect(kinds(machine as PresetMachine<string>, [...lines])).toEqual(want);
  });

  it('the pattern alone keeps the Kinesis Agent meaning: a line starts a record when it matches', () => {
    const rule = startRule(/^\d/, undefined);
    expect(['1 a', ' b', '2 c'].map(rule)).toEqual([true, false, true]);
  });
});
