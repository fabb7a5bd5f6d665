import { describe, expect, it } from 'vitest';
import { parseCriLine, parseDockerLine } from '../../src/source/container-format.js';
import { Framer, type FramerOptions } from '../../src/source/framer.js';

interface Rec {
  text: string;
  start: number;
  end: number;
  truncated: boolean;
}

function frame(input: string, opts: Partial<FramerOptions>, chunk = 4096, end = true): { recs: Rec[]; framer: Framer } {
  const recs: Rec[] = [];
  const framer = new Framer(
    { maxRecordBytes: 100_000, truncatedRecordTerminator: '\n', skipHeaderLines: 0, ...opts },
    { record: (src, from, to, start, e, truncated) => recs.push({ text: src.toString('utf8', from, to), start, end: e, truncated }), skip: () => {} },
    0,
  );
  const bytes = Buffer.from(input);
  for (let at = 0; at < bytes.length; at += chunk) framer.push(Buffer.from(bytes.subarray(at, at + chunk)), at);
  if (end) framer.endOfInput();
  return { recs, framer };
}

/** What Docker's json-file driver writes for `text` printed on `stream`: 16 KiB per object. */
function dockerLines(text: string, stream = 'stdout'): string {
  const parts: string[] = [];
  for (let at = 0; at < text.length; at += 16 * 1024) parts.push(text.slice(at, at + 16 * 1024));
  return parts.map((log) => `${JSON.stringify({ log, stream, time: '2026-11-30T12:00:00.123456789Z' })}\n`).join('');
}

describe('container line parsers', () => {
  it.each([
    ['a full line', '2026-11-30T12:00:00.1Z stdout F hello world\n', { stream: 'stdout', content: 'hello world\n', partial: false }],
    ['a partial line', '2026-11-30T12:00:00.1Z stderr P hel\n', { stream: 'stderr', content: 'hel', partial: true }],
    ['tags after the flag', '2026-11-30T12:00:00.1Z stdout F:x hi\n', { stream: 'stdout', content: 'hi\n', partial: false }],
    ['an empty line', '2026-11-30T12:00:00.1Z stdout F\n', { stream: 'stdout', content: '\n', partial: false }],
    ['spaces inside the text kept', '2026-11-30T12:00:00.1Z stdout F  a  b \n', { stream: 'stdout', content: ' a  b \n', partial: false }],
  ])('CRI: %s', (_n, line, want) => {
    const got = parseCriLine(Buffer.from(line))!;
    expect({ ...got, content: got.content.toString() }).toEqual(want);
  });

  it.each([
    ['no flag', '2026-11-30T12:00:00.1Z stdout hello\n'],
    ['a stream that is not one', '2026-11-30T12:00:00.1Z stdin F x\n'],
    ['a plain line', 'hello\n'],
  ])('CRI: %s is not a CRI line', (_n, line) => {
    expect(parseCriLine(Buffer.from(line))).toBeUndefined();
  });

  it.each([
    ['a full line', '{"log":"hi \\"there\\"\\n","stream":"stderr","time":"t"}\n', { stream: 'stderr', content: 'hi "there"\n', partial: false }],
    ['a split line', '{"log":"abc","stream":"stdout","time":"t"}\n', { stream: 'stdout', content: 'abc', partial: true }],
  ])('Docker: %s', (_n, line, want) => {
    const got = parseDockerLine(Buffer.from(line))!;
    expect({ ...got, content: got.content.toString() }).toEqual(want);
  });

  it.each([['not JSON', 'hello\n'], ['JSON without log', '{"msg":"x"}\n'], ['broken JSON', '{"log":"x\n']])('Docker: %s is passed on', (_n, line) => {
    expect(parseDockerLine(Buffer.from(line))).toBeUndefined();
  });
});

describe('containerFormat through the framer', () => {
  it('cri: joins P parts up to the F part into one line whose range covers every part', () => {
    const input = 'T stdout P first \nT stdout P second \nT stdout F third\nT stderr F other\n';
    const { recs } = frame(input, { containerFormat: 'cri' }, 5);
    expect(recs.map((r) => r.text)).toEqual(['first second third\n', 'other\n']);
    const firstLen = input.indexOf('T stderr');
    expect(recs.map((r) => [r.start, r.end])).toEqual([
      [0, firstLen],
      [firstLen, input.length],
    ]);
  });

  it('docker: a 40 KiB line split by the driver into 16 KiB objects comes out whole', () => {
    const long = 'x'.repeat(40 * 1024);
    const input = dockerLines(`${long}\n`) + dockerLines('short\n', 'stderr');
    expect(input.split('\n').length - 1).toBe(4);
    const { recs } = frame(input, { containerFormat: 'docker' }, 3000);
    expect(recs.map((r) => r.text)).toEqual([`${long}\n`, 'short\n']);
    expect(recs[0]!.start).toBe(0);
    expect(recs[1]!.end).toBe(Buffer.byteLength(input));
    expect(recs[0]!.end).toBe(recs[1]!.start);
  });

  it('holds a partial line (not acknowledgeable) until its end is read', () => {
    const { recs, framer } = frame('T stdout P abc\n', { containerFormat: 'cri' }, 4096, false);
    expect(recs).toEqual([]);
    expect(framer.hasPendingMultiLine).toBe(true);
    expect(framer.frontier).toBe(0);
  });

  it('a partial line cut short by another stream, or by the end of the file, goes out with a newline', () => {
    const input = 'T stdout P abc\nT stderr F err\nT stdout P tail\n';
    const { recs } = frame(input, { containerFormat: 'cri' });
    expect(recs.map((r) => r.text)).toEqual(['abc\n', 'err\n', 'tail\n']);
  });

  it('lines not in the format are sent as they are', () => {
    const { recs } = frame('plain line\n{"log":"ok\\n"}\n', { containerFormat: 'docker' });
    expect(recs.map((r) => r.text)).toEqual(['plain line\n', 'ok\n']);
  });

  it('a joined line over the record size limit is cut with the terminator and marked truncated', () => {
    const input = 'T stdout P aaaaaaaaaa\nT stdout P bbbbbbbbbb\nT stdout F cc\n';
    const { recs } = frame(input, { containerFormat: 'cri', maxRecordBytes: 12, truncatedRecordTerminator: '~\n' });
    expect(recs).toEqual([{ text: 'aaaaaaaaaa~\n', start: 0, end: input.length, truncated: true }]);
  });

  it('with multiLine, the application’s stack trace inside CRI lines is one record', () => {
    const app = [
      '2026-11-30 12:00:01 ERROR order failed',
      'java.lang.IllegalStateException: cannot load order 42',
      '\tat Shop.load(Shop.java:6)',
      '\tat Shop.main(Shop.java:9)',
      '2026-11-30 12:00:02 INFO next',
    ];
    const input = app.map((l, i) => `2026-11-30T12:00:0${i}.000Z stdout F ${l}\n`).join('');
    const { recs } = frame(input, { containerFormat: 'cri', multiLine: 'java', multiLineStartPattern: /^\d{4}-/ });
    expect(recs.map((r) => r.text)).toEqual([`${app.slice(0, 4).join('\n')}\n`, `${app[4]}\n`]);
    expect(recs[0]!.start).toBe(0);
    expect(recs[1]!.end).toBe(input.length);
  });
});
