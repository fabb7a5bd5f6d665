/**
 * The key reference of docs/configuration.md, as Markdown, generated from
 * the same rows the reader reads through (key-row.ts) and the JSON Schema
 * is made of (schema.ts): one table per area, each key with its type,
 * default, range or values, meaning and how it differs from the Kinesis
 * Agent. test/config/key-reference.test.ts checks that the docs hold exactly
 * this text (and rewrites it with UPDATE_DOCS=1), so they cannot drift.
 */
import { PROCESSORS } from '../process/registry.js';
import { TOP, TOP_NO_EFFECT, TOP_ROWS } from './agent-keys.js';
import { FLOW, FLOW_NO_EFFECT, FLOW_ROWS } from './flow-keys.js';
import { rangeOf, rowsOf, type KeyRow } from './key-row.js';
import { DESTINATION_LIST } from '../sink/destinations.js';

const TYPE_WORDS: Record<KeyRow['type'], string> = {
  string: 'string',
  int: 'integer',
  bool: 'boolean',
  enum: 'one of the values',
  regex: 'Java regular expression',
  'string-list': 'string or list of strings',
  'enum-list': 'list of the values',
  map: 'any value',
  list: 'list',
};

/** Text for a table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** A value as code; a string in JSON quotes only where it has spaces or escapes (`"\\n"`). */
function code(value: unknown): string {
  const text = typeof value === 'string' && !/^[\x21-\x7e]+$/.test(value) ? JSON.stringify(value) : String(value);
  return `\`${text}\``;
}

function typeOf(row: KeyRow): string {
  return `${TYPE_WORDS[row.type]}${row.unit ? ` (${row.unit})` : ''}`;
}

/** The default as the reference writes it: the row's value, else its words, else whether it is required. */
export function defaultCell(row: KeyRow): string {
  if (row.defaultText !== undefined) return row.defaultText;
  if (Array.isArray(row.default)) return row.default.length === 0 ? 'none' : row.default.map(code).join(', ');
  if (row.default !== undefined && row.default !== null) return code(row.default);
  return row.required ? 'required' : 'none';
}

function rangeCell(row: KeyRow): string {
  if (row.values) return row.values.map((v) => `\`${v}\``).join(', ');
  return rangeOf(row);
}

function keyCell(row: KeyRow): string {
  return `\`${row.name}\`${row.ours ? ' (**ours**)' : ''}`;
}

function meaningCell(row: KeyRow): string {
  let text = row.description;
  if (row.differs) text += ` **Differs**: ${row.differs}.`;
  if (row.belowMin) text += ` **Under ${row.min}**: read as ${row.min}, with a warning: ${row.belowMin}.`;
  if (row.zeroIsDefault) text += ` **0**: read as the default, with a warning: ${row.zeroIsDefault}.`;
  if (row.noEffect) text += ` **No effect here**: ${row.noEffect}.`;
  return cell(text);
}

function keyTable(rows: readonly KeyRow[]): string[] {
  return [
    '| Key | Type | Default | Range / values | Meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${keyCell(row)} | ${typeOf(row)} | ${cell(defaultCell(row))} | ${cell(rangeCell(row))} | ${meaningCell(row)} |`),
  ];
}

function noEffectTable(rows: readonly KeyRow[]): string[] {
  return ['| Key | Type | Why it has no effect here |', '| --- | --- | --- |', ...rows.map((row) => `| ${keyCell(row)} | ${typeOf(row)} | ${cell(row.noEffect ?? '')} |`)];
}

/** The reference section's Markdown (without its heading). */
export function keyReference(): string {
  const inEffect = (rows: readonly KeyRow[]) => rows.filter((row) => row.noEffect === undefined);
  const lines = [
    '### Top-level keys',
    '',
    ...keyTable(inEffect(TOP_ROWS)),
    '',
    'Kinesis Agent keys accepted so that its `agent.json` loads unchanged, which change nothing here (their values are still type-checked, and each adds a warning):',
    '',
    ...noEffectTable(rowsOf(TOP_NO_EFFECT)),
    '',
    '### Flow keys',
    '',
    `Each entry of \`${TOP.flows.name}\` tails a set of files (\`${FLOW.filePattern.name}\`) into one destination: exactly one of ${DESTINATION_LIST.map((d) => `\`${d.streamKey}\``).join(', ')}.`,
    '',
    ...keyTable(inEffect(FLOW_ROWS)),
    '',
    'Kinesis Agent flow keys accepted with no effect here (type-checked, with a warning):',
    '',
    ...noEffectTable(rowsOf(FLOW_NO_EFFECT)),
    '',
    '### dataProcessingOptions keys',
    '',
    'Each entry is a map with `optionName` and that option\'s own keys; option names and enum values are read in any case. What each option does to a record is in [processors.md](processors.md).',
    '',
  ];
  for (const def of Object.values(PROCESSORS)) {
    lines.push(`#### ${def.optionName}`, '', `${def.summary[0]!.toUpperCase()}${def.summary.slice(1)}.`, '');
    if (def.keys.length === 0) lines.push('No keys besides `optionName`.', '');
    else lines.push(...keyTable(def.keys), '');
  }
  return lines.join('\n');
}
