/**
 * The JSON Schema (draft-07, which yaml-language-server and VS Code read) of
 * the configuration file, generated from the tables the reader checks keys
 * against: TOP_KEYS and TOP_NO_EFFECT (agent.ts), FLOW_KEYS and
 * FLOW_NO_EFFECT (flow.ts), each destination's keys (sink/destinations.ts)
 * and each processor's key table (process/registry.ts). A key added to one of
 * them shows here without another edit.
 *
 * The schema is as lenient as the reader, so that it never flags a file the
 * agent loads: unknown keys are allowed (the agent only warns), scalars may
 * be written as strings (`"true"`, `"5000"`), and a dotted key may be
 * written nested (`cloudwatch: {emitMetrics: false}`).
 */
import { PROCESSORS } from '../process/registry.js';
import type { KeyRow } from '../process/option-table.js';
import { DESTINATION_LIST } from '../sink/destinations.js';
import { TOP_KEYS, TOP_NO_EFFECT } from './agent.js';
import { FLOW_DEFAULTS, FLOW_KEYS, FLOW_NO_EFFECT } from './flow.js';
import { AFTER_SHIPPING_ACTIONS, AFTER_SHIPPING_FILES, COMPRESSION_KINDS, CONTAINER_FORMATS, MULTILINE_PRESETS } from './flow-options.js';

/** The values of flow keys whose value lists the reader takes from flow-options.ts. */
const FLOW_VALUES: Record<string, readonly string[]> = {
  multiLine: MULTILINE_PRESETS,
  containerFormat: CONTAINER_FORMATS,
  compression: COMPRESSION_KINDS,
  afterShipping: AFTER_SHIPPING_ACTIONS,
  afterShippingFiles: AFTER_SHIPPING_FILES,
};

export type JsonSchema = { [key: string]: unknown };

/** Any scalar: the reader turns numbers and booleans into strings and strings into numbers and booleans. */
const SCALAR = ['string', 'number', 'integer', 'boolean', 'null'];

/** Schema of one processor key: its type, leniently, with the row's description and default. */
function keyRowSchema(row: KeyRow): JsonSchema {
  const type =
    row.type === 'map' ? ['object', 'null'] : row.type === 'string-list' || row.type === 'enum-list' ? ['array', ...SCALAR] : SCALAR;
  const out: JsonSchema = { type };
  let description = row.description;
  if (row.values) description += ` (one of ${row.values.join(', ')})`;
  if (row.noEffect) description += `; accepted, without effect here: ${row.noEffect}`;
  out.description = description;
  if (row.default !== undefined && row.default !== null) out.default = row.default;
  // Offered as completions without refusing other spellings the reader may take.
  if (row.values) out.examples = row.values;
  return out;
}

/**
 * Properties for a list of keys, dotted ones both as written (`a.b`) and
 * nested (`a: {b: ...}`), as the reader flattens maps into dotted keys.
 */
function propertiesOf(keys: readonly string[], schemaOf: (key: string) => JsonSchema): Record<string, JsonSchema> {
  const props: Record<string, JsonSchema> = {};
  const nested = new Map<string, string[]>();
  for (const key of keys) {
    props[key] = schemaOf(key);
    const dot = key.indexOf('.');
    if (dot > 0) {
      const head = key.slice(0, dot);
      nested.set(head, [...(nested.get(head) ?? []), key.slice(dot + 1)]);
    }
  }
  for (const [head, rests] of nested) {
    if (props[head]) continue;
    props[head] = {
      type: 'object',
      properties: propertiesOf(rests, (rest) => schemaOf(`${head}.${rest}`)),
    };
  }
  return props;
}

function noEffectSchema(why: string): JsonSchema {
  return { description: `Accepted for the Kinesis Agent's agent.json; without effect here: ${why}` };
}

function processorSchema(): JsonSchema {
  const names = Object.keys(PROCESSORS);
  return {
    type: 'object',
    properties: {
      optionName: { type: 'string', description: `which processor this entry configures: ${names.join(', ')}`, examples: names },
    },
    required: ['optionName'],
    allOf: Object.values(PROCESSORS).map((def) => ({
      if: { properties: { optionName: { const: def.optionName } }, required: ['optionName'] },
      then: {
        description: def.summary,
        properties: Object.fromEntries(def.keys.map((row) => [row.name, keyRowSchema(row)])),
      },
    })),
  };
}

function flowSchema(): JsonSchema {
  const streamKeys = new Set(DESTINATION_LIST.map((d) => d.streamKey));
  const describe = (key: string): JsonSchema => {
    const d = DESTINATION_LIST.find((x) => x.streamKey === key);
    if (d) return { type: SCALAR, description: `the ${d.streamNoun} this flow sends to (${d.title})` };
    if (key in FLOW_NO_EFFECT) return noEffectSchema(FLOW_NO_EFFECT[key]!);
    if (key === 'filePattern' || key === 'excludePatterns') return { type: ['array', ...SCALAR], items: { type: SCALAR }, description: 'a glob, or a list of globs' };
    if (key === 'dataProcessingOptions') return { type: ['array', 'null'], items: processorSchema(), description: 'processors applied to each record, in order' };
    const out: JsonSchema = {};
    const def = (FLOW_DEFAULTS as Record<string, unknown>)[key];
    if (def !== undefined) out.default = def;
    if (FLOW_VALUES[key]) out.examples = FLOW_VALUES[key];
    return out;
  };
  return {
    type: 'object',
    description: `one file pattern and the stream it ships to: needs filePattern and one of ${[...streamKeys].join(', ')}`,
    properties: propertiesOf([...FLOW_KEYS, ...Object.keys(FLOW_NO_EFFECT)], describe),
  };
}

/** The configuration file's JSON Schema (draft-07). */
export function configSchema(): JsonSchema {
  const describe = (key: string): JsonSchema => {
    if (key === 'flows') return { type: ['array', 'null'], items: flowSchema(), description: 'what to tail and where to send it' };
    if (key in TOP_NO_EFFECT) return noEffectSchema(TOP_NO_EFFECT[key]!);
    return {};
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'kinesis-agent configuration',
    description: 'agent.yaml or agent.json; generated by `kinesis-agent schema`. Unknown keys are allowed: the agent warns about them.',
    type: 'object',
    properties: propertiesOf([...TOP_KEYS, ...Object.keys(TOP_NO_EFFECT)], describe),
  };
}
