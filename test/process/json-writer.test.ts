import { describe, expect, it } from 'vitest';
import { javaSplitter } from '../../src/process/csv-split.js';
import { parseObjectEntries } from '../../src/process/json-object.js';
import { FieldRecordWriter, minifyJson, prettyJson } from '../../src/process/json-writer.js';

describe('JSON layout', () => {
  it('removes whitespace between tokens but never inside strings', () => {
    expect(minifyJson('{ "a b" : "c \\" d" ,\n\t"e" : [ 1 , 2 ] }')).toBe('{"a b":"c \\" d","e":[1,2]}');
  });

  it('pretty prints as Jackson: " : ", inline arrays, { } and [ ] for empty ones', () => {
    expect(prettyJson('{}')).toBe('{ }');
    expect(prettyJson('[]')).toBe('[ ]');
    expect(prettyJson('{"a":{"b":{}},"c":[[],[1]]}')).toBe('{\n  "a" : {\n    "b" : { }\n  },\n  "c" : [ [ ], [ 1 ] ]\n}');
    expect(prettyJson('{"s":"{[,:]}"}')).toBe('{\n  "s" : "{[,:]}"\n}');
  });

  it('writes an empty field list as an empty object', () => {
    expect(new FieldRecordWriter([], 'COMPACT').write([])).toBe('{}\n');
    expect(new FieldRecordWriter([], 'PRETTYPRINT').write([])).toBe('{ }\n');
  });

  it('escapes lone surrogates and keeps emoji', () => {
    expect(new FieldRecordWriter(['a', 'b'], 'COMPACT').write(['\ud800', '😀'])).toBe('{"a":"\\ud800","b":"😀"}\n');
  });
});

describe('top-level entries of a JSON object', () => {
  it('keeps each value\'s text, nested structure and key order, last duplicate winning in first place', () => {
    expect(parseObjectEntries('{"b": {"x": [1, "]"]}, "a": 1.50, "b": 2}')).toEqual([
      { key: 'b', raw: '2' },
      { key: 'a', raw: '1.50' },
    ]);
  });

  it('is null for anything but an object', () => {
    expect(parseObjectEntries('[1]')).toBeNull();
    expect(parseObjectEntries('null')).toBeNull();
    expect(parseObjectEntries('{"a":')).toBeNull();
  });
});

describe('Java String.split semantics', () => {
  it('drops trailing empty columns, keeps leading ones, and returns the whole text when nothing matches', () => {
    const comma = javaSplitter(',');
    expect(comma('a,,b,,')).toEqual(['a', '', 'b']);
    expect(comma(',a')).toEqual(['', 'a']);
    expect(comma('abc')).toEqual(['abc']);
    expect(comma('')).toEqual(['']);
    expect(comma(',,')).toEqual([]);
  });

  it('splits on a regular expression the way Java does, zero-width matches included', () => {
    expect(javaSplitter(/\s*;\s*/)('a ; b;c ;')).toEqual(['a', 'b', 'c']);
    expect(javaSplitter(/\b/)('ab cd')).toEqual(['ab', ' ', 'cd']);
  });
});
