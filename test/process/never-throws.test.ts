import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessingOption } from '../../src/process/options.js';
import { chainOf, type Run } from './helpers.js';
import { FakeImds } from './fake-imds.js';

const OPTIONS: ProcessingOption[] = [
  { optionName: 'SINGLELINE' },
  { optionName: 'ADDBRACKETS' },
  { optionName: 'CSVTOJSON', customFieldNames: ['a', 'b', 'c'], delimiter: ',', quoted: false, jsonFormat: 'COMPACT' },
  { optionName: 'CSVTOJSON', customFieldNames: ['a', 'b', 'c'], delimiter: ',', quoted: true, jsonFormat: 'PRETTYPRINT' },
  { optionName: 'CSVTOJSON', customFieldNames: ['a', 'b'], delimiter: '\\s+', quoted: false, jsonFormat: 'COMPACT' },
  { optionName: 'LOGTOJSON', logFormat: 'COMMONAPACHELOG', jsonFormat: 'COMPACT' },
  { optionName: 'LOGTOJSON', logFormat: 'COMBINEDAPACHELOG', jsonFormat: 'PRETTYPRINT' },
  { optionName: 'LOGTOJSON', logFormat: 'APACHEERRORLOG', jsonFormat: 'COMPACT' },
  { optionName: 'LOGTOJSON', logFormat: 'SYSLOG', jsonFormat: 'COMPACT' },
  { optionName: 'LOGTOJSON', logFormat: 'RFC3339SYSLOG', jsonFormat: 'COMPACT' },
  { optionName: 'LOGTOJSON', logFormat: 'RFC5424SYSLOG', jsonFormat: 'COMPACT' },
  { optionName: 'LOGTOJSON', logFormat: 'SYSLOG', matchPattern: /(?<word>\w+).*/, jsonFormat: 'COMPACT' },
  { optionName: 'JSON', jsonFormat: 'COMPACT' },
  { optionName: 'JSON', fields: ['a', 'b'], jsonFormat: 'PRETTYPRINT' },
  { optionName: 'ADDMETADATA', metadata: { k: 'v' }, timestamp: true, jsonFormat: 'COMPACT' },
  { optionName: 'ADDEC2METADATA', metadataTTL: 3600, tags: true, jsonFormat: 'COMPACT' },
];

/** Bytes a tailer could hand over: anything, including NUL, invalid UTF-8 and near-misses of real formats. */
const record = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'binary', maxLength: 300 }).map((s) => Buffer.from(s + '\n')),
  fc.json().map((s) => Buffer.from(s + '\n')),
  fc
    .array(fc.constantFrom('127.0.0.1', ' ', '-', '[', ']', '"', '10/Oct/2000:13:55:36 -0700', 'GET / HTTP/1.1', '200', '<34>1', 'Nov 25 17:40:38', ':', '{', '}', ',', '\n', '\r', '\u0000', '\\'), { maxLength: 40 })
    .map((parts) => Buffer.from(parts.join(''))),
);

describe('no input throws out of a processor or a chain', () => {
  const imds = new FakeImds({ tags: { Name: 'x' } });
  const runs: Run[] = [];

  beforeAll(async () => {
    await imds.start();
    for (const opt of OPTIONS) runs.push(chainOf([opt], undefined, imds.endpoint));
    runs.push(chainOf(OPTIONS, undefined, imds.endpoint));
    runs.push(chainOf([...OPTIONS].reverse(), undefined, imds.endpoint));
    await Promise.all(runs.map((r) => r.chain.ready()));
  });
  afterAll(async () => {
    for (const r of runs) r.chain.close();
    await imds.stop();
  });

  it('returns a Buffer or null for random bytes', () => {
    fc.assert(
      fc.property(record, (data) => {
        for (const run of runs) {
          const out = run.chain.process(data);
          expect(out === null || Buffer.isBuffer(out)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('copes with a 4 MiB line', () => {
    const huge = Buffer.alloc(4 * 1024 * 1024, 0x61);
    huge[huge.length - 1] = 0x0a;
    for (const run of runs) {
      const out = run.chain.process(huge);
      expect(out === null || Buffer.isBuffer(out)).toBe(true);
    }
  });

  it('copes with a near-miss Apache line of 200k characters without runaway backtracking', () => {
    const line = Buffer.from('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "' + 'GET /'.repeat(40_000) + ' 200 1 "-" "x\n');
    for (const run of runs) run.chain.process(line);
  });
});
