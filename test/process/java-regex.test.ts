import { describe, expect, it } from 'vitest';
import { literalOf, translateJavaRegex } from '../../src/process/java-regex.js';

describe('translateJavaRegex', () => {
  it.each([
    ['\\s+', '\\s+', ''],
    ['(?i)^error', '^error', 'i'],
    ['(?is)a.b', 'a.b', 'is'],
    ['\\Q|.*\\E', '\\|\\.\\*', ''],
    ['[\\Q]-\\E]', '[\\]\\-]', ''],
    ['\\h+', '[ \\t\\xA0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000]+', ''],
    ['\\p{Punct}', '[!-\\/:-@\\[-`{-~]', ''],
    ['\\P{Digit}', '[^0-9]', ''],
    ['[\\p{Alpha}_]', '[a-zA-Z_]', ''],
    ['\\Afoo\\z', '^foo$', ''],
    ['a*+b++c?+d{2}+', 'a*b+c?d{2}', ''],
    ['(?>ab|a)c', '(?:ab|a)c', ''],
    ['[]a]', '[\\]a]', ''],
    ['(?x) ^ \\d{4} - \\d{2}  # a date\n \\s', '^\\d{4}-\\d{2}\\s', ''],
    ['(?xi) a \\  b [ c d ] \\# \\Q x y\\E', 'a\\x20b[cd]# x y', 'i'],
  ])('%j becomes %j with flags %j', (java, source, flags) => {
    const t = translateJavaRegex(java);
    expect(t).toEqual({ ok: true, source, flags });
    if (t.ok) expect(() => new RegExp(t.source, t.flags)).not.toThrow();
  });

  it.each([['[a-z&&[^e]]'], ['\\p{IsGreek}']])('refuses %j with a hint', (java) => {
    const t = translateJavaRegex(java);
    expect(t.ok).toBe(false);
    if (!t.ok) expect(t.hint.length).toBeGreaterThan(5);
  });
});

describe('literalOf', () => {
  it.each([
    [',', ','],
    ['::', '::'],
    ['\\t', '\t'],
    ['\\|', '|'],
    ['\\\\', '\\'],
    ['\\Q|*\\E', '|*'],
    ['|', undefined],
    ['.', undefined],
    ['\\s+', undefined],
    ['\\d', undefined],
    ['', ''],
  ])('%j matches only %j', (java, literal) => {
    expect(literalOf(java)).toBe(literal);
  });
});
