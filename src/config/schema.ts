/**
 * The JSON Schema (draft-07, which yaml-language-server and VS Code read) of
 * the configuration file, generated from the key rows the reader reads
 * through (key-row.ts): the top level (agent-keys.ts), a flow
 * (flow-keys.ts), each destination's (sink/destinations.ts) and each
 * processor's (process/registry.ts). Every key gets its row's type,
 * description, default and range; a row added to a table shows here
 * without another edit.
 *
 * The schema is as lenient as the reader, so that it never flags a file the
 * agent loads: unknown keys are allowed (the agent only warns), scalars may
 * be written as strings (`"true"`, `"5000"`), enum values are `examples`
 * (offered as completions; the reader takes other spellings, such as any
 * case), and a dotted key may be written nested (`cloudwatch: {emitMetrics: false}`),
 * so a non-empty map at a scalar key of the top level or a flow is dotted
 * keys below it (unknown, warned about) and a nested head (`kinesis`) may
 * hold anything the reader takes as an unknown key.
 * What it does flag the reader refuses too: a value of the wrong shape, a
 * number out of range (a batch key's range by the flow's destination).
 */
import { PROCESSORS } from '../process/registry.js';
import { DESTINATION_LIST } from '../sink/destinations.js';
import { TOP_ROWS } from './agent-keys.js';
import { FLOW_ROWS } from './flow-keys.js';
import { rangeOf, readWhole, type KeyRow } from './key-row.js';
import { INTEGER_TEXT } from './reader.js';

export type JsonSchema = { [key: string]: unknown };

/**
 * The JSON types a row's value may have, as the reader coerces them: a
 * string reads numbers and booleans as their text, an integer may be text
 * (`"0x1F4"`), a boolean may be text or 1/0; null is an absent key; a
 * `map` row (ADDMETADATA's `metadata`) takes any JSON value as it is.
 */
const TYPES: Record<KeyRow['type'], readonly string[]> = {
  string: ['string', 'number', 'boolean', 'null'],
  enum: ['string', 'number', 'boolean', 'null'],
  regex: ['string', 'number', 'boolean', 'null'],
  int: ['integer', 'string', 'null'],
  bool: ['boolean', 'string', 'integer', 'null'],
  'string-list': ['array', 'string', 'number', 'boolean', 'null'],
  'enum-list': ['array', 'string', 'number', 'boolean', 'null'],
  map: ['object', 'array', 'string', 'number', 'boolean', 'null'],
  list: ['array', 'null'],
};

/** The row in words, for an editor's hover: description, values, range, unit, default in words, how it differs. */
export function describeRow(row: KeyRow): string {
  const parts = [row.description];
  if (row.values) parts.push(`One of ${row.values.join(', ')}.`);
  const range = rangeOf(row);
  const unit = row.unit && !['path', 'URL', 'glob'].includes(row.unit) ? row.unit : '';
  if (range || unit) parts.push(`${range ? `Range ${range}` : 'In'}${unit ? ` ${unit}` : ''}.`);
  if (row.defaultText) parts.push(`Default: ${row.defaultText}.`);
  if (row.ours) parts.push('A key of kinesis-agent, not of the Kinesis Agent.');
  if (row.differs) parts.push(`Differs from the Kinesis Agent: ${row.differs}.`);
  if (row.anyValue) parts.push('A value it cannot use is ignored with a warning, as the Kinesis Agent ignores it.');
  if (row.noEffect) parts.push(`Accepted for the Kinesis Agent's agent.json; without effect here: ${row.noEffect}.`);
  return parts.join(' ');
}

/**
 * Schema of one key from its row; `items` for a `list` row's entries.
 * `flattened`: the row is in a table whose maps the reader flattens (the
 * top level, a flow), where a non-empty map at a scalar key is dotted keys
 * below it (an unknown key, warned about) and an empty one is refused.
 */
function rowSchema(row: KeyRow, opts: { items?: JsonSchema; flattened?: boolean } = {}): JsonSchema {
  const { items, flattened = false } = opts;
  const mapIsDotted = flattened && !readWhole(row) && row.type !== 'map';
  const out: JsonSchema = { description: describeRow(row) };
  if (!row.anyValue) out.type = [...TYPES[row.type], ...(mapIsDotted ? ['object'] : [])];
  if (mapIsDotted && !row.anyValue) out.minProperties = 1;
  if (row.default !== undefined && row.default !== null) out.default = row.default;
  // Offered as completions without refusing other spellings the reader takes.
  if (row.values) out.examples = row.values;
  if (row.type === 'int' && !row.anyValue) {
    // Text must be a whole number too (`"60s"` is refused); a range applies to numbers only.
    out.pattern = INTEGER_TEXT.source;
    // A value under a belowMin row's minimum loads (with a warning): the editor should not mark it an error.
    if (row.min !== undefined && row.belowMin === undefined) out.minimum = row.zeroIsDefault === undefined ? row.min : 0;
    if (row.max !== undefined) out.maximum = row.max;
  }
  if ((row.type === 'string-list' || row.type === 'enum-list') && !row.anyValue) out.items = { type: [...TYPES.string] };
  if (items) out.items = items;
  return out;
}

/**
 * Properties for a table of rows, dotted keys both as written (`a.b`) and
 * nested (`a: {b: ...}`), as the reader flattens maps into dotted keys.
 */
function propertiesOf(rows: readonly KeyRow[], schemaOf: (row: KeyRow) => JsonSchema): Record<string, JsonSchema> {
  const props: Record<string, JsonSchema> = {};
  const nested = new Map<string, KeyRow[]>();
  for (const row of rows) {
    props[row.name] = schemaOf(row);
    const dot = row.name.indexOf('.');
    if (dot > 0) {
      const head = row.name.slice(0, dot);
      nested.set(head, [...(nested.get(head) ?? []), { ...row, name: row.name.slice(dot + 1) }]);
    }
  }
  for (const [head, rests] of nested) {
    if (props[head]) continue;
    // No type: `kinesis: x` is an unknown key to the reader (warned about), not a wrong value.
    props[head] = { properties: propertiesOf(rests, schemaOf) };
  }
  return props;
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
        properties: Object.fromEntries(def.keys.map((row) => [row.name, rowSchema(row)])),
      },
    })),
  };
}

/**
 * The maximum of each batch key in a flow that names this destination: its
 * API limit. A stream key given as null is absent to the reader, so it
 * names no destination here either.
 */
function destinationLimits(): JsonSchema[] {
  const limited = FLOW_ROWS.filter((row) => row.destinationLimit !== undefined);
  const given = TYPES.string.filter((t) => t !== 'null');
  return DESTINATION_LIST.map((d) => ({
    if: { required: [d.streamKey], properties: { [d.streamKey]: { type: given } } },
    then: { properties: Object.fromEntries(limited.map((row) => [row.name, { maximum: d.limits[row.destinationLimit!] }])) },
  }));
}

function flowSchema(): JsonSchema {
  return {
    type: 'object',
    description: 'One set of files and the stream it ships to: filePattern and one destination.',
    properties: propertiesOf(FLOW_ROWS, (row) => rowSchema(row, { flattened: true, ...(row.name === 'dataProcessingOptions' ? { items: processorSchema() } : {}) })),
    allOf: destinationLimits(),
  };
}

/** The configuration file's JSON Schema (draft-07). */
export function configSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'kinesis-agent configuration',
    description: 'agent.yaml or agent.json; generated by `kinesis-agent schema`. Unknown keys are allowed: the agent warns about them.',
    type: 'object',
    properties: propertiesOf(TOP_ROWS, (row) => rowSchema(row, { flattened: true, ...(row.name === 'flows' ? { items: flowSchema() } : {}) })),
  };
}
