import { describe, expect, it } from 'vitest';
import { formatOfAnswer, formatOfContentType, type WireFormat } from '../../src/aws/wire-format.ts';

describe('the encoding of a successful answer, from its first byte (formatOfAnswer)', () => {
  it.each<[string, number[], WireFormat, WireFormat]>([
    ['a JSON object to a CBOR request', [0x7b, 0x7d], 'cbor', 'json'],
    ['a JSON object after a line break', [0x0a, 0x7b, 0x7d], 'cbor', 'json'],
    ['a CBOR map (definite length)', [0xa2], 'json', 'cbor'],
    ['a CBOR map (indefinite length, as Jackson writes)', [0xbf], 'cbor', 'cbor'],
    ['an HTML page: the request\'s', [0x3c], 'cbor', 'cbor'],
    ['nothing: the request\'s', [], 'json', 'json'],
  ])('%s', (_, bytes, requested, expected) => {
    expect(formatOfAnswer(Buffer.from(bytes), requested)).toBe(expected);
  });
});

describe('the encoding an error answer\'s content type names (formatOfContentType)', () => {
  it.each<[string | string[] | undefined, WireFormat]>([
    ['application/x-amz-cbor-1.1', 'cbor'],
    ['Application/X-Amz-CBOR-1.1', 'cbor'],
    ['application/x-amz-json-1.1', 'json'],
    ['text/html', 'json'],
    [undefined, 'json'],
  ])('%s: %s', (type, expected) => {
    expect(formatOfContentType(type)).toBe(expected);
  });
});
