import { describe, expect, it } from 'vitest';
import { chainOf } from './helpers.js';

describe('JSON', () => {
  it('sends a compact JSON object line as the same bytes', () => {
    const run = chainOf([{ optionName: 'JSON', jsonFormat: 'COMPACT' }]);
    const input = Buffer.from('{"a":1,"b":[true,null]}\n');
    expect(run.chain.process(input)).toBe(input);
  });

  it('makes a spaced or multi-line object one line, keeping big numbers digit for digit', () => {
    const run = chainOf([{ optionName: 'JSON', jsonFormat: 'COMPACT' }]);
    expect(run.text('{\n  "id": 12345678901234567890,\n  "msg": "a b"\n}\n')).toBe('{"id":12345678901234567890,"msg":"a b"}\n');
  });

  it('keeps the top-level fields listed, in the order listed, leaving out those absent', () => {
    const run = chainOf([{ optionName: 'JSON', fields: ['level', 'msg', 'missing'], jsonFormat: 'COMPACT' }]);
    expect(run.text('{"time":"t","msg":"hello","level":"info","nested":{"x":1}}\n')).toBe('{"level":"info","msg":"hello"}\n');
  });

  it('sends invalid JSON and non-objects unconverted and counts processing errors', () => {
    const run = chainOf([{ optionName: 'JSON', jsonFormat: 'COMPACT' }]);
    expect(run.text('not json\n')).toBe('not json\n');
    expect(run.text('[1,2]\n')).toBe('[1,2]\n');
    expect(run.text('"str"\n')).toBe('"str"\n');
    expect(run.metrics.processingErrors).toBe(3);
    expect(run.metrics.recordsSkipped).toBe(0);
  });

  it('pretty prints nested objects and arrays as Jackson does', () => {
    const run = chainOf([{ optionName: 'JSON', jsonFormat: 'PRETTYPRINT' }]);
    expect(run.text('{"a":1,"b":{"c":[1,{"d":[]}],"e":{}},"s":"x, y: {z}"}\n')).toBe(
      '{\n  "a" : 1,\n  "b" : {\n    "c" : [ 1, {\n      "d" : [ ]\n    } ],\n    "e" : { }\n  },\n  "s" : "x, y: {z}"\n}\n',
    );
  });
});
