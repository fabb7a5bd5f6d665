import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessingOption } from '../../src/process/options.js';
import { ConfigError, parseConfigText } from '../../src/config/index.js';
import { OPTION_NAMES } from '../../src/process/registry.js';
import { chainOf, type Run } from './helpers.js';
import { allSampleEntries } from './option-samples.js';
import { FakeImds } from './fake-imds.js';

/** Every option of the registry, with each value of each key its key table lists, as the config reader reads them. */
function registryOptions(): ProcessingOption[] {
  const out: ProcessingOption[] = [];
  for (const entry of allSampleEntries()) {
    const text = JSON.stringify({ flows: [{ filePattern: '/a', kinesisStream: 's', dataProcessingOptions: [entry] }] });
    try {
      out.push(...parseConfigText(text, 'agent.json', { env: {} }).flows[0]!.dataProcessingOptions);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
    }
  }
  return out;
}

const OPTIONS = registryOptions();

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
  it('fuzzes every option of the registry', () => {
    expect(new Set(OPTIONS.map((o) => o.optionName))).toEqual(new Set(OPTION_NAMES));
    expect(OPTIONS.length).toBeGreaterThan(40);
  });

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
    // One option at a time: the two long chains repeat the same work.
    for (const run of runs.slice(0, OPTIONS.length)) {
      const out = run.chain.process(huge);
      expect(out === null || Buffer.isBuffer(out)).toBe(true);
    }
  });

  it('copes with a near-miss Apache line of 200k characters without runaway backtracking', () => {
    const line = Buffer.from('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "' + 'GET /'.repeat(40_000) + ' 200 1 "-" "x\n');
    for (const run of runs) run.chain.process(line);
  });
});
