import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainOf } from './helpers.js';

describe('SINGLELINE', () => {
  const run = chainOf([{ optionName: 'SINGLELINE' }]);

  it('joins the lines of a multi-line record with nothing between them, each trimmed, one newline at the end', () => {
    const record = 'java.lang.IllegalStateException: boom\n    at com.example.Foo.bar(Foo.java:42)\n    at com.example.Main.main(Main.java:7)\n';
    expect(run.text(record)).toBe(
      'java.lang.IllegalStateException: boomat com.example.Foo.bar(Foo.java:42)at com.example.Main.main(Main.java:7)\n',
    );
  });

  it('trims tabs and control characters as Java trim does', () => {
    expect(run.text('\t \u0001 value \u0000\r\n  \n')).toBe('value\n');
  });

  it('returns the same buffer when the record is already one trimmed line', () => {
    const input = Buffer.from('already single\n');
    expect(run.chain.process(input)).toBe(input);
  });

  it('adds the newline to a record that has none and turns an empty record into a newline', () => {
    expect(run.text('no newline')).toBe('no newline\n');
    expect(run.text('')).toBe('\n');
    expect(run.text('\n')).toBe('\n');
  });

  it('keeps multi-byte UTF-8 and invalid bytes as they are', () => {
    const input = Buffer.concat([Buffer.from(' héllo ✓\n '), Buffer.from([0xff, 0xfe]), Buffer.from(' \n')]);
    expect(run.chain.process(input)).toEqual(Buffer.concat([Buffer.from('héllo ✓'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]));
  });

  it('agrees with the agent\'s rule (split on \\n, Java trim, join, add \\n) for any text', () => {
    const isTrimmed = (c: string): boolean => c.charCodeAt(0) <= 0x20;
    const javaTrim = (s: string): string => {
      let a = 0;
      let b = s.length;
      while (a < b && isTrimmed(s[a]!)) a++;
      while (b > a && isTrimmed(s[b - 1]!)) b--;
      return s.slice(a, b);
    };
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'é', '✓', ' ', '\t', '\n', '\r', '\u0000', 'x') }), (text) => {
        const expected = text.split('\n').map(javaTrim).join('') + '\n';
        expect(run.text(text)).toBe(expected);
      }),
    );
  });
});

/**
 * SingleLineDataConverter.java with parseOptions: String.split("\n") (trailing
 * empty strings dropped), String.trim per line unless NO_TRIM, then
 * StringUtils.join(lines, ESCAPE_NEW_LINE ? "\\\\n" : "") + "\n".
 */
function javaSingleLine(text: string, noTrim: boolean, escape: boolean): string {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const javaTrim = (l: string): string => {
    let a = 0;
    let b = l.length;
    while (a < b && l.charCodeAt(a) <= 0x20) a++;
    while (b > a && l.charCodeAt(b - 1) <= 0x20) b--;
    return l.slice(a, b);
  };
  const trimmed = noTrim ? lines : lines.map(javaTrim);
  return trimmed.join(escape ? '\\\\n' : '') + '\n';
}

describe('SINGLELINE parseOptions', () => {
  const stack = 'Error: boom\n    at f (a.js:1)\n\n    at g (b.js:2)  \n\n';

  it('NO_TRIM joins the lines as they are', () => {
    const run = chainOf([{ optionName: 'SINGLELINE', noTrim: true }]);
    expect(run.text(stack)).toBe('Error: boom    at f (a.js:1)    at g (b.js:2)  \n');
  });

  it('ESCAPE_NEW_LINE joins trimmed lines with the three characters \\\\n, empty lines included, trailing ones dropped', () => {
    const run = chainOf([{ optionName: 'SINGLELINE', escapeNewLine: true }]);
    expect(run.text(stack)).toBe('Error: boom\\\\nat f (a.js:1)\\\\n\\\\nat g (b.js:2)\n');
  });

  it('both: lines untrimmed, joined with \\\\n', () => {
    const run = chainOf([{ optionName: 'SINGLELINE', noTrim: true, escapeNewLine: true }]);
    expect(run.text(stack)).toBe('Error: boom\\\\n    at f (a.js:1)\\\\n\\\\n    at g (b.js:2)  \n');
    expect(run.text('\n\n')).toBe('\n');
    expect(run.text('')).toBe('\n');
    expect(run.text('  \n')).toBe('  \n');
  });

  it('agrees with the Java rule for any text and every combination', () => {
    const runs = [false, true].flatMap((noTrim) => [false, true].map((escapeNewLine) => ({ noTrim, escapeNewLine, run: chainOf([{ optionName: 'SINGLELINE', noTrim, escapeNewLine }]) })));
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'é', '✓', ' ', '\t', '\n', '\r', '\u0000', '\\') }), (text) => {
        for (const r of runs) expect(r.run.text(text)).toBe(javaSingleLine(text, r.noTrim, r.escapeNewLine));
      }),
    );
  });
});
