import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConfigText, ConfigError } from '../../src/config/index.js';

/** Returns normally or throws ConfigError; anything else is a loader bug. */
function loadsOrConfigError(text: string, env: NodeJS.ProcessEnv = {}): void {
  try {
    parseConfigText(text, 'agent.yaml', { env, dropIns: [{ file: 'agent.d/x.yaml', text }] });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.problems.length).toBeGreaterThan(0);
  }
}

const KEYS = [
  'flows', 'filePattern', 'kinesisStream', 'deliveryStream', 'initialPosition', 'maxBufferSizeRecords',
  'kinesis.endpoint', 'kinesis', 'endpoint', 'cloudwatch', 'emitMetrics', 'dataProcessingOptions', 'optionName',
  'customFieldNames', 'delimiter', 'matchPattern', 'logFormat', 'metadata', 'partitionKey', 'constant', 'field',
  'http.listen', 'proxy', 'name', 'multiLineStartPattern', '${X}', 'x',
];
const SCALARS = ['CSVTOJSON', 'LOGTOJSON', 'START_OF_FILE', '/a/*.log', 's', '500', '900', 'true', '${X:-1}', '${Y}', '[a-', '(?i)a', ':9090', 'http://x', 'null', '~', '-1', '1.5', '"\\t"', '*a', '&a b', '{', '[', ']', '}', ':', '- ', '#'];

/** YAML-ish text built from the config's own vocabulary, so the walk gets past the parser often. */
const yamlish = fc
  .array(
    fc.record({
      indent: fc.integer({ min: 0, max: 8 }),
      dash: fc.boolean(),
      key: fc.constantFrom(...KEYS),
      value: fc.oneof(fc.constantFrom(...SCALARS), fc.string({ maxLength: 12 }), fc.constant('')),
    }),
    { maxLength: 25 },
  )
  .map((lines) => lines.map((l) => `${' '.repeat(l.indent)}${l.dash ? '- ' : ''}${l.key}: ${l.value}`).join('\n'));

/** JSON values in the shape of a config, nested arbitrarily. */
const jsonish = fc
  .letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom(...SCALARS),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 5 }),
    ),
  }))
  .value.map((v) => JSON.stringify({ flows: [v], x: v }));

describe('the loader on any input', () => {
  it('throws nothing but ConfigError for arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => loadsOrConfigError(text)), { numRuns: 400 });
  });

  it('throws nothing but ConfigError for YAML-shaped text', () => {
    fc.assert(fc.property(yamlish, fc.option(fc.string({ maxLength: 8 })), (text, x) => loadsOrConfigError(text, x === null ? {} : { X: x })), { numRuns: 600 });
  });

  it('throws nothing but ConfigError for JSON-shaped configs', () => {
    fc.assert(fc.property(jsonish, (text) => loadsOrConfigError(text)), { numRuns: 600 });
  });

  it('survives alias bombs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 9; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`);
    expect(() => parseConfigText(bomb.join('\n'), 'agent.yaml', { env: {} })).toThrow(ConfigError);
  });
});
