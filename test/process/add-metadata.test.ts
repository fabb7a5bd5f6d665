import { describe, expect, it } from 'vitest';
import { chainOf } from './helpers.js';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('ADDMETADATA', () => {
  it('wraps the record text as "data" after "metadata", without its newline', () => {
    const run = chainOf([{ optionName: 'ADDMETADATA', metadata: { key: 'value', foo: { bar: 'baz' } }, timestamp: false, jsonFormat: 'COMPACT' }]);
    expect(run.text('hello world\n')).toBe('{"metadata":{"key":"value","foo":{"bar":"baz"}},"data":"hello world"}\n');
  });

  it('adds "ts", the UTC time in milliseconds, first, when timestamp is true (AddMetadataConverter.java puts ts, metadata, data)', () => {
    const run = chainOf([{ optionName: 'ADDMETADATA', metadata: { env: 'prod' }, timestamp: true, jsonFormat: 'COMPACT' }]);
    const before = Date.now();
    const out = JSON.parse(run.text('x\n')!) as Record<string, string>;
    expect(Object.keys(out)).toEqual(['ts', 'metadata', 'data']);
    expect(out.ts).toMatch(ISO_MS);
    expect(Date.parse(out.ts!)).toBeGreaterThanOrEqual(before - 1);
  });

  it('keeps a JSON record as a string in "data", as the agent does', () => {
    const run = chainOf([{ optionName: 'ADDMETADATA', metadata: { a: 1 }, timestamp: false, jsonFormat: 'COMPACT' }]);
    expect(run.text('{"k":"v"}\n')).toBe('{"metadata":{"a":1},"data":"{\\"k\\":\\"v\\"}"}\n');
  });

  it('escapes control characters and keeps other text, multi-line records included', () => {
    const run = chainOf([{ optionName: 'ADDMETADATA', metadata: {}, timestamp: false, jsonFormat: 'COMPACT' }]);
    expect(run.text('line1\n\tline2 é\u0000\n')).toBe('{"metadata":{},"data":"line1\\n\\tline2 é\\u0000"}\n');
  });

  it('pretty prints with the metadata indented inside', () => {
    const run = chainOf([{ optionName: 'ADDMETADATA', metadata: { foo: { bar: 'baz' }, list: [1, 2] }, timestamp: false, jsonFormat: 'PRETTYPRINT' }]);
    expect(run.text('hi\n')).toBe('{\n  "metadata" : {\n    "foo" : {\n      "bar" : "baz"\n    },\n    "list" : [ 1, 2 ]\n  },\n  "data" : "hi"\n}\n');
  });
});

describe('ADDMETADATA output vectors (AddMetadataConverter.java: LinkedHashMap put ts, metadata, data; Jackson)', () => {
  it('writes "metadata": null when the entry has no metadata', () => {
    const run = chainOf([{ optionName: 'ADDMETADATA', metadata: null, timestamp: false, jsonFormat: 'COMPACT' }]);
    expect(run.text('GET /index.html 200\n')).toBe('{"metadata":null,"data":"GET /index.html 200"}\n');
  });

  it('writes a non-map metadata value as given', () => {
    const run = chainOf([{ optionName: 'ADDMETADATA', metadata: ['web', 3], timestamp: false, jsonFormat: 'COMPACT' }]);
    expect(run.text('x\n')).toBe('{"metadata":["web",3],"data":"x"}\n');
  });

  it('puts "ts" (UTC, milliseconds, literal Z) before metadata and data, compact and pretty', () => {
    const now = Date.UTC(2025, 0, 2, 3, 4, 5, 67);
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const compact = chainOf([{ optionName: 'ADDMETADATA', metadata: { app: 'web' }, timestamp: true, jsonFormat: 'COMPACT' }]);
      expect(compact.text('hello\n')).toBe('{"ts":"2025-01-02T03:04:05.067Z","metadata":{"app":"web"},"data":"hello"}\n');
      const pretty = chainOf([{ optionName: 'ADDMETADATA', metadata: { app: 'web' }, timestamp: true, jsonFormat: 'PRETTYPRINT' }]);
      expect(pretty.text('hello\n')).toBe('{\n  "ts" : "2025-01-02T03:04:05.067Z",\n  "metadata" : {\n    "app" : "web"\n  },\n  "data" : "hello"\n}\n');
    } finally {
      Date.now = realNow;
    }
  });
});
