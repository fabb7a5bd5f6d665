import { describe, expect, it } from 'vitest';
import { chainOf } from './helpers.js';

describe('ADDBRACKETS', () => {
  it('wraps the record in braces with its newline inside, as the agent does', () => {
    expect(chainOf([{ optionName: 'ADDBRACKETS' }]).text('hello there\n')).toBe('{hello there\n}');
  });

  it('wraps the raw bytes, invalid UTF-8 included', () => {
    const out = chainOf([{ optionName: 'ADDBRACKETS' }]).chain.process(Buffer.from([0xc3, 0x28]));
    expect(out).toEqual(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]));
  });
});
