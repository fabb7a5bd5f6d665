/**
 * The key tables cannot drift from the reader, the schema or the docs: each
 * row is checked against what the real reader (checkSources) does with its
 * key, and the schema generated from the rows against the reader's verdict
 * on the same values, with the subset validator and with a full draft-07
 * validator (ajv, already in node_modules through eslint).
 */
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { TOP_ROWS } from '../../src/config/agent-keys.js';
import { FLOW, FLOW_NO_EFFECT } from '../../src/config/flow-keys.js';
import { rowsOf, type KeyRow } from '../../src/config/key-row.js';
import { checkSources } from '../../src/config/load.js';
import type { AgentConfig } from '../../src/config/types.js';
import { configSchema } from '../../src/config/schema.js';
import { PROCESSORS } from '../../src/process/registry.js';
import { DESTINATION_LIST } from '../../src/sink/destinations.js';
import { violations } from './json-schema-subset.js';
import { sampleValues } from '../process/option-samples.js';

const ENV = { AWS_REGION: 'us-east-1' };
const schema = configSchema();
const ajv = new Ajv({ allErrors: true });
const ajvValidate = ajv.compile(schema);

/** One flow per destination, with nothing but its file pattern and stream. */
const baseFlows = (): Record<string, unknown>[] => DESTINATION_LIST.map((d, i) => ({ filePattern: `/srv/logs/${i}/*.log`, [d.streamKey]: `stream-${i}` }));

type Placed = { row: KeyRow; flows: number[] } | { row: KeyRow; top: true };

/** Every row of every table, with where its key goes: the top level, or the flows of the destinations it applies to. */
function placedRows(): Placed[] {
  const all = DESTINATION_LIST.map((_, i) => i);
  return [
    ...TOP_ROWS.map((row) => ({ row, top: true as const })),
    ...[...rowsOf(FLOW), ...rowsOf(FLOW_NO_EFFECT)].map((row) => ({ row, flows: all })),
    ...DESTINATION_LIST.flatMap((d, i) => [d.keys.stream, ...d.keys.flow, ...d.keys.service].map((row) => ({ row, flows: [i] }))),
  ];
}

/** The config with `value` at the row's key (dotted, as the Kinesis Agent writes it). */
function configWith(p: Placed, value: unknown): Record<string, unknown> {
  const flows = baseFlows();
  if ('top' in p) return p.row.name === 'flows' ? { flows: value } : { [p.row.name]: value, flows };
  for (const i of p.flows) flows[i] = { ...flows[i], [p.row.name]: value };
  return { flows };
}

function read(config: Record<string, unknown>) {
  return checkSources({ file: 'agent.json', text: JSON.stringify(config) }, [], { env: ENV });
}

/** The typed configuration, without its warnings (which name what was written, not what it means). */
function meaning(config: Record<string, unknown>): Omit<AgentConfig, 'warnings'> {
  const result = read(config);
  expect(result.problems).toEqual([]);
  const { warnings: _w, ...rest } = result.config!;
  return rest;
}

/** A value of the row's type other than its default, that the reader accepts. */
function otherThanDefault(row: KeyRow): unknown {
  const d = row.default;
  switch (row.type) {
    case 'int':
      return row.max !== undefined && (d as number) >= row.max ? (d as number) - 1 : (d as number) + 1;
    case 'bool':
      return !d;
    case 'enum':
      return row.values!.find((v) => v !== d);
    case 'string':
      return `${String(d)}x`;
    case 'string-list':
      return ['/srv/other/*.log'];
    case 'list':
      return [{ optionName: 'SINGLELINE' }];
    default:
      return undefined;
  }
}

/** A value the reader takes for a row without a default. */
function sample(row: KeyRow): unknown {
  if (row.default !== undefined) return row.default;
  switch (row.type) {
    case 'int':
      return row.min ?? 1;
    case 'bool':
      return true;
    case 'enum':
      return row.values![0];
    case 'regex':
      return '^x';
    case 'string-list':
      return ['/x'];
    case 'list':
      return [];
    default:
      return 'x';
  }
}

const rowsWithDefault = placedRows().filter((p) => p.row.default !== undefined);
const label = (p: Placed) => ('top' in p ? p.row.name : `flows[${p.flows.join(',')}].${p.row.name}`);
const base = () => meaning({ flows: baseFlows() });

describe('the key tables and the reader', () => {
  it('every key of every table has a row with a description', () => {
    const rows = [...placedRows().map((p) => p.row), ...Object.values(PROCESSORS).flatMap((def) => def.keys)];
    const thin = rows.filter((row) => row.description.trim().length < 10 || (row.noEffect !== undefined && row.noEffect.trim() === ''));
    expect(thin.map((row) => row.name)).toEqual([]);
    expect(rows.length).toBeGreaterThan(80);
  });

  it('the reader knows every row\'s key, and only those: a key without a row is warned about as unknown', () => {
    const unknown = (config: Record<string, unknown>) => read(config).warnings.filter((w) => w.includes('is not a known key'));
    for (const p of placedRows()) expect({ key: label(p), warnings: unknown(configWith(p, sample(p.row))) }).toEqual({ key: label(p), warnings: [] });
    expect(unknown({ checkpointFiles: '/x', flows: baseFlows() })).toHaveLength(1);
    expect(unknown(configWith({ row: { ...FLOW.maxBufferAgeMillis, name: 'maxBufferAgeMilis' }, flows: [0] }, 5000))).toHaveLength(1);
  });

  it.each(rowsWithDefault.map((p) => [label(p), p] as const))('%s: its row\'s default is what the reader uses when it is absent', (_, p) => {
    expect(meaning(configWith(p, p.row.default))).toEqual(base());
  });

  /** Keys that act only beside another: that one, at a value where they do. */
  const BESIDE: Record<string, Record<string, unknown>> = { 'http.unhealthyAfterMillis': { 'http.listen': '127.0.0.1:0' } };
  /** Flow keys that act only beside another flow key. */
  const FLOW_BESIDE: Record<string, Record<string, unknown>> = {
    afterShippingFiles: { afterShipping: 'delete' },
    afterShippingQuietMillis: { afterShipping: 'delete' },
    afterShippingSuffix: { afterShipping: 'rename' },
  };

  it.each(rowsWithDefault.filter((p) => !p.row.noEffect).map((p) => [label(p), p] as const))('%s: is read (another value changes the configuration)', (_, p) => {
    const beside = BESIDE[p.row.name] ?? {};
    const inFlow = (config: Record<string, unknown>) => {
      const flowBeside = FLOW_BESIDE[p.row.name];
      if (!flowBeside || 'top' in p) return config;
      return { ...config, flows: (config.flows as Record<string, unknown>[]).map((f) => ({ ...f, ...flowBeside })) };
    };
    expect(meaning(inFlow({ ...configWith(p, otherThanDefault(p.row)), ...beside }))).not.toEqual(meaning(inFlow({ ...configWith(p, p.row.default), ...beside })));
  });

  it('a batch key without a row default takes its destination\'s API limit', () => {
    const limited = rowsOf(FLOW).filter((row) => row.destinationLimit !== undefined);
    expect(limited.map((row) => row.name)).toEqual(['maxBufferSizeRecords', 'maxBufferSizeBytes']);
    for (const row of limited) {
      const flows = DESTINATION_LIST.map((d, i) => ({ ...baseFlows()[i], [row.name]: d.limits[row.destinationLimit!] }));
      expect(meaning({ flows })).toEqual(base());
      for (const d of DESTINATION_LIST) expect(row.defaultText).toContain(`${d.title} ${d.limits[row.destinationLimit!]}`);
    }
  });

  /** Every processing option's row that has a default, with the option's required keys. */
  const processorRows = Object.values(PROCESSORS).flatMap((def) => {
    const required = Object.fromEntries(def.keys.filter((row) => row.required).map((row) => [row.name, sampleValues(row)[0]]));
    return def.keys.filter((row) => row.default !== undefined).map((row) => [`${def.optionName}.${row.name}`, { optionName: def.optionName, ...required }, row] as const);
  });

  it.each(processorRows)('%s: its row\'s default is what the processor\'s reader uses when it is absent', (_, entry, row) => {
    const flowWith = (e: Record<string, unknown>) => ({ flows: [{ ...baseFlows()[0], dataProcessingOptions: [e] }] });
    expect(meaning(flowWith({ ...entry, [row.name]: row.default }))).toEqual(meaning(flowWith(entry)));
  });

  it('rows without a default say what absence means: in words, as required, or as without effect', () => {
    const silent = placedRows().filter(({ row }) => row.default === undefined && !row.defaultText && !row.required && !row.noEffect);
    // Absent means "not used": a stream key, an option turned on by giving it, a credential.
    for (const { row } of silent) expect(['string', 'regex', 'enum']).toContain(row.type);
  });
});

describe('the schema and the reader agree', () => {
  /** A value of a shape the reader refuses for the row: a list for a scalar, a fraction or an out-of-range number for an integer. */
  function refused(row: KeyRow): unknown[] {
    if (!['int', 'bool', 'string', 'enum', 'regex'].includes(row.type)) return [];
    const out: unknown[] = [[1]];
    if (row.type === 'int') {
      out.push(1.5);
      // A belowMin row reads a value under its minimum as the minimum, with a warning (and the schema does not flag it).
      if (row.min !== undefined && row.belowMin === undefined) out.push(row.zeroIsDefault === undefined ? row.min - 1 : -1);
      if (row.max !== undefined) out.push(row.max + 1);
    }
    return out;
  }

  it('a batch key over its destination\'s API limit is flagged by the schema and refused by the reader', () => {
    for (const row of rowsOf(FLOW).filter((r) => r.destinationLimit !== undefined)) {
      DESTINATION_LIST.forEach((d, i) => {
        const p = { row, flows: [i] };
        const config = configWith(p, d.limits[row.destinationLimit!] + 1);
        const key = { key: label(p) };
        expect({ ...key, reader: read(config).problems.map((problem) => problem.path) }).toEqual({ ...key, reader: [`flows[${i}].${row.name}`] });
        expect({ ...key, subset: violations(schema, config) }).toEqual({ ...key, subset: [`$.flows[${i}].${row.name}: ${d.limits[row.destinationLimit!] + 1} is over the maximum ${d.limits[row.destinationLimit!]}`] });
        expect({ ...key, ajv: ajvValidate(config) }).toEqual({ ...key, ajv: false });
        expect(ajvValidate(configWith(p, d.limits[row.destinationLimit!]))).toBe(true);
      });
    }
  });

  it('every value the schema flags for a key, the reader refuses too, at the same key', () => {
    let checked = 0;
    for (const p of placedRows()) {
      for (const value of refused(p.row)) {
        const config = configWith(p, value);
        const paths = read(config).problems.map((problem) => problem.path);
        const flagged = violations(schema, config);
        const key = { key: label(p), value };
        expect({ ...key, reader: paths.some((path) => path.endsWith(p.row.name)) }).toEqual({ ...key, reader: true });
        expect({ ...key, subset: flagged.some((v) => v.includes(`.${p.row.name}:`)) }).toEqual({ ...key, subset: true });
        expect({ ...key, ajv: ajvValidate(config) }).toEqual({ ...key, ajv: false });
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('ajv reads it as a valid draft-07 schema, and finds nothing in a config of every key at its default', () => {
    expect(ajv.validateSchema(schema)).toBe(true);
    const flows = baseFlows();
    const config: Record<string, unknown> = { flows };
    for (const p of placedRows()) {
      if (p.row.default === undefined || p.row.name === 'flows') continue;
      if ('top' in p) config[p.row.name] = p.row.default;
      else for (const i of p.flows) flows[i]![p.row.name] = p.row.default;
    }
    expect(read(config).problems).toEqual([]);
    expect(ajvValidate(config) ? [] : ajvValidate.errors).toEqual([]);
    expect(violations(schema, config)).toEqual([]);
  });
});
