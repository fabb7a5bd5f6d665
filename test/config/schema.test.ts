import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { TOP_ROWS } from '../../src/config/agent-keys.js';
import { FLOW_ROWS } from '../../src/config/flow-keys.js';
import { parseConfigText } from '../../src/config/index.js';
import { configSchema, type JsonSchema } from '../../src/config/schema.js';
import { PROCESSORS } from '../../src/process/registry.js';
import { DESTINATION_LIST } from '../../src/sink/destinations.js';
import { blankJsonComments } from '../../src/config/comments.js';
import { violations } from './json-schema-subset.js';

const root = new URL('../../', import.meta.url);
const schema = configSchema();
// A full draft-07 validator, already in node_modules (through eslint), beside the subset one.
const ajvValidate = new Ajv({ allErrors: true }).compile(schema);
const props = (s: JsonSchema): Record<string, JsonSchema> => (s.properties ?? {}) as Record<string, JsonSchema>;
const flowSchema = props(schema).flows!.items as JsonSchema;
const processorSchema = props(flowSchema).dataProcessingOptions!.items as JsonSchema;

/** The config texts the test suite loads: checked-in files, and the literal configs of the config tests. */
function corpus(): { name: string; text: string }[] {
  const files = ['agent.example.yaml', 'packaging/container/agent.yaml', 'packaging/common/agent.placeholder.yaml'];
  const out = files.map((f) => ({ name: f, text: readFileSync(new URL(f, root), 'utf8') }));
  for (const test of ['kinesis-agent-configs.test.ts', 'load.test.ts']) {
    const src = readFileSync(new URL(`test/config/${test}`, root), 'utf8');
    // `load(String.raw\`...\`)`, `load(\`...\`)`, `parseConfigText('...', ...)`, `const text = \`...\``, a temporary
    // directory's `'agent.json': '...'`: literals without interpolation.
    const literal = /(?:(?:load|parseConfigText)\(\s*|const [A-Za-z_]+ = |'agent\.(?:json|yaml)': )(String\.raw)?(?:`([^`$]*)`|'([^'\n]*)')/g;
    for (const m of src.matchAll(literal)) {
      const raw = m[2] ?? m[3]!.replaceAll('\\n', '\n');
      const text = m[1] || m[3] !== undefined ? raw : raw.replaceAll('\\\\', '\\');
      out.push({ name: `${test}@${m.index}`, text });
    }
  }
  return out;
}

describe('kinesis-agent schema', () => {
  it('prints a draft-07 JSON Schema naming every processor option and every destination\'s stream key', async () => {
    const written: string[] = [];
    const stdout = process.stdout.write;
    process.stdout.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stdout.write;
    let code: number;
    try {
      code = await main(['schema']);
    } finally {
      process.stdout.write = stdout;
    }
    expect(code).toBe(0);
    const printed = JSON.parse(written.join('')) as JsonSchema;
    expect(printed.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const text = JSON.stringify(printed);
    for (const def of Object.values(PROCESSORS)) {
      expect(text).toContain(JSON.stringify(def.optionName));
      for (const row of def.keys) expect(text).toContain(JSON.stringify(row.name));
    }
    for (const d of DESTINATION_LIST) expect(Object.keys(props(props(printed).flows!.items as JsonSchema))).toContain(d.streamKey);
  });

  it('has exactly the keys of the reader\'s tables: a row added to one shows in the schema', () => {
    const dotless = (keys: string[]) => keys.filter((k) => !k.includes('.'));
    const heads = (keys: string[]) => keys.filter((k) => k.includes('.')).map((k) => k.split('.')[0]!);
    const top = TOP_ROWS.map((row) => row.name);
    expect(new Set(Object.keys(props(schema)))).toEqual(new Set([...top, ...heads(top)]));
    const flow = FLOW_ROWS.map((row) => row.name);
    expect(new Set(Object.keys(props(flowSchema)))).toEqual(new Set([...flow, ...heads(flow)]));
    // Nested spelling: `cloudwatch: {emitMetrics: ...}` has the same keys as the dotted ones.
    expect(Object.keys(props(props(schema).cloudwatch!)).sort()).toEqual(top.filter((k) => k.startsWith('cloudwatch.')).map((k) => k.slice(11)).sort());
    expect(dotless(flow).length).toBeGreaterThan(0);
    expect(props(flowSchema).compression!.examples).toEqual(['gzip', 'zstd']);
    const branches = processorSchema.allOf as JsonSchema[];
    expect(branches).toHaveLength(Object.keys(PROCESSORS).length);
    for (const def of Object.values(PROCESSORS)) {
      const branch = branches.find((b) => JSON.stringify(b.if).includes(JSON.stringify(def.optionName)))!;
      expect(Object.keys(props(branch.then as JsonSchema))).toEqual(def.keys.map((row) => row.name));
    }
  });

  it('accepts every configuration the agent loads: the examples and the config tests\' files', () => {
    let loaded = 0;
    for (const { name, text } of corpus()) {
      try {
        parseConfigText(text, name.endsWith('.yaml') ? name : 'agent.yaml', { env: { KINESIS_AGENT_STREAM: 's', AWS_REGION: 'us-east-1' } });
      } catch {
        continue; // refused by the agent: the schema may flag it or not
      }
      loaded += 1;
      // As the reader parses it: JSON comments blanked, a key given twice taking its last value.
      const value: unknown = parse(blankJsonComments(text), { uniqueKeys: false });
      expect({ name, problems: violations(schema, value) }).toEqual({ name, problems: [] });
      expect({ name, ajv: ajvValidate(value) ? [] : ajvValidate.errors }).toEqual({ name, ajv: [] });
    }
    // The corpus is not empty by accident: the files and most test literals load.
    expect(loaded).toBeGreaterThan(25);
  });

  it('never flags what the agent loads with a warning or reads as absent: a scalar at a nested head, a map at a scalar key, any metadata, a null stream key', () => {
    const flow = (extra: Record<string, unknown>) => ({ flows: [{ filePattern: '/srv/shop/orders.log*', kinesisStream: 'orders', ...extra }] });
    const loaded = [
      // Unknown keys to the reader (warned about, ignored): `partitionKey` and `kinesis` are not keys, only heads of dotted ones.
      flow({ partitionKey: 'orderId' }),
      { kinesis: 'eu', log: 'debug', ...flow({}) },
      // A non-empty map at a scalar key is dotted keys below it (`proxy.host`): unknown, warned about.
      { proxy: { host: 'squid', port: 3128 }, ...flow({ maxBufferAgeMillis: { seconds: 5 } }) },
      // ADDMETADATA takes any JSON value as its metadata.
      flow({ dataProcessingOptions: [{ optionName: 'ADDMETADATA', metadata: 'shop' }, { optionName: 'ADDMETADATA', metadata: [1, 2] }] }),
      // A null deliveryStream is absent: the Kinesis limit (5 MiB a call), not Firehose's 4 MiB.
      flow({ deliveryStream: null, maxBufferSizeBytes: 5_000_000 }),
    ];
    for (const value of loaded) {
      const config = parseConfigText(JSON.stringify(value), 'agent.json', { env: { AWS_REGION: 'us-east-1' } });
      expect(config.flows).toHaveLength(1);
      expect({ value, problems: violations(schema, value) }).toEqual({ value, problems: [] });
      expect({ value, ajv: ajvValidate(value) ? [] : ajvValidate.errors }).toEqual({ value, ajv: [] });
    }
    // Refused by both: an empty map where a number goes, a whole number with a unit, Firehose's limit on a Firehose flow.
    const refused = [flow({ maxBufferAgeMillis: {} }), flow({ maxBufferAgeMillis: '60s' }), flow({ skipHeaderLines: '' }), { flows: [{ filePattern: '/srv/a', deliveryStream: 'd', kinesisStream: null, maxBufferSizeBytes: 5_000_000 }] }];
    for (const value of refused) {
      expect(() => parseConfigText(JSON.stringify(value), 'agent.json', { env: { AWS_REGION: 'us-east-1' } })).toThrow();
      expect(violations(schema, value)).not.toEqual([]);
      expect(ajvValidate(value)).toBe(false);
    }
  });

  it('never flags what the agent loads: every key of every table, given a value of every shape', () => {
    const shapes: unknown[] = [0, -1, 1, 1.5, true, false, 'x', '', '1', 'yes', [1], ['a'], [], {}, { a: 1 }, null, 99_999_999_999];
    const flow = (extra: Record<string, unknown>) => ({ flows: [{ filePattern: '/srv/shop/orders.log*', kinesisStream: 'orders', ...extra }] });
    // The keys a processor cannot run without, so that the key under test is what decides.
    const needs: Record<string, Record<string, unknown>> = { CSVTOJSON: { customFieldNames: ['a'] }, LOGTOJSON: { logFormat: 'SYSLOG' } };
    const configs: unknown[] = [];
    for (const v of shapes) {
      for (const row of TOP_ROWS) if (row.name !== 'flows') configs.push({ ...flow({}), [row.name]: v });
      for (const row of FLOW_ROWS) configs.push(flow({ [row.name]: v }));
      for (const def of Object.values(PROCESSORS)) {
        for (const row of def.keys) configs.push(flow({ dataProcessingOptions: [{ optionName: def.optionName, ...needs[def.optionName], [row.name]: v }] }));
      }
    }
    let loaded = 0;
    for (const value of configs) {
      try {
        parseConfigText(JSON.stringify(value), 'agent.json', { env: { AWS_REGION: 'us-east-1' } });
      } catch {
        continue;
      }
      loaded += 1;
      expect({ value, problems: violations(schema, value) }).toEqual({ value, problems: [] });
      expect({ value, ajv: ajvValidate(value) ? [] : ajvValidate.errors }).toEqual({ value, ajv: [] });
    }
    expect(loaded).toBeGreaterThan(configs.length / 3);
  });

  it('flags what the agent refuses by type: flows that are not a list, a flow that is not a map', () => {
    expect(violations(schema, { flows: 'x' })).not.toEqual([]);
    expect(violations(schema, { flows: ['x'] })).not.toEqual([]);
    expect(violations(schema, { flows: [{ dataProcessingOptions: [{}] }] })).toEqual(['$.flows[0].dataProcessingOptions[0]: has no optionName']);
    // A processor key's row types it: customFieldNames is a list, never a map.
    expect(violations(schema, { flows: [{ dataProcessingOptions: [{ optionName: 'CSVTOJSON', customFieldNames: { a: 1 } }] }] })).toEqual([
      '$.flows[0].dataProcessingOptions[0].customFieldNames: object is not array or string or number or boolean or null',
    ]);
  });
});
