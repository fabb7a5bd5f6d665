import { describe, expect, it } from 'vitest';
import { blankJsonComments } from '../../src/config/comments.js';
import { substituteEnv } from '../../src/config/env.js';
import { decodeInteger } from '../../src/config/reader.js';
import { normalizeLoneCarriageReturns } from '../../src/config/line-breaks.js';

describe('blankJsonComments (Jackson ALLOW_COMMENTS)', () => {
  it.each([
    ['line comment after a value', '{"a": 1 // one\n}', '{"a": 1       \n}'],
    ['block comment across lines keeps the newline', '{/* a\nb */"a": 1}', '{    \n    "a": 1}'],
    ['comment before the document', '// top\n{"a": 1}', '      \n{"a": 1}'],
    ['// inside a string is text', '{"u": "http://x//y"}', '{"u": "http://x//y"}'],
    ['an escaped quote does not end the string', '{"u": "a\\"//b"}', '{"u": "a\\"//b"}'],
    ['a URL in unquoted YAML flow text is not a comment', '{endpoint: http://x}', '{endpoint: http://x}'],
    ['a YAML document is never touched', 'a: 1 // not json\n', 'a: 1 // not json\n'],
    ['an unterminated block comment blanks to the end', '{"a": 1} /* open', '{"a": 1}        '],
  ])('%s', (_what, input, expected) => {
    expect(blankJsonComments(input)).toBe(expected);
    expect(blankJsonComments(input).length).toBe(input.length);
  });
});

describe('decodeInteger (Java Integer.decode, the agent\'s number converter)', () => {
  it.each([
    ['500', 500],
    [' 42 ', 42],
    ['+7', 7],
    ['-12', -12],
    ['0', 0],
    ['0x1F4', 500],
    ['0X1f4', 500],
    ['#1F4', 500],
    ['-0x10', -16],
    ['010', 8],
    ['1.5', undefined],
    ['1e3', undefined],
    ['0x', undefined],
    ['abc', undefined],
    ['', undefined],
  ])('%j is %j', (text, value) => {
    expect(decodeInteger(text)).toBe(value);
  });
});

describe('substituteEnv', () => {
  const env = { A: 'x', EMPTY: '' };
  it.each([
    ['${A}', 'x', false],
    ['${EMPTY:-d}', 'd', false],
    ['${MISSING:-d}', 'd', false],
    ['$${A}', '${A}', false],
    ['${MISSING}', '${MISSING}', true],
    ['${1abc}', '${1abc}', true],
    ['cost ${', 'cost ${', true],
  ])('%j -> %j (kept with a warning: %j)', (text, value, kept) => {
    const s = substituteEnv(text, env);
    expect(s.value).toBe(value);
    expect(s.kept !== undefined).toBe(kept);
  });
});

describe('normalizeLoneCarriageReturns (a bare CR is a line break to Jackson)', () => {
  it.each([
    ['classic Mac line endings', '{\r"a": 1\r}\r', '{\n"a": 1\n}\n'],
    ['CRLF is left as it is', '{\r\n"a": 1\r\n}', '{\r\n"a": 1\r\n}'],
    ['a last line ending in a bare CR', '{"a": 1}\n\r', '{"a": 1}\n\n'],
    ['no CR at all', '{"a": 1}\n', '{"a": 1}\n'],
  ])('%s', (_what, input, expected) => {
    expect(normalizeLoneCarriageReturns(input)).toBe(expected);
    expect(normalizeLoneCarriageReturns(input).length).toBe(input.length);
  });
});
