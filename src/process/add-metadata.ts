import { layoutJson } from './json-writer.js';
import { JSON_FORMAT_KEY, readJsonFormat, type OptionDefinition } from './option-table.js';
import type { JsonFormat, ProcessingOption } from './options.js';
import { compileValue, hasTemplate, ORIGIN_TEMPLATES, stringsIn, unknownTemplates, type ValueWriter } from './origin-template.js';
import { lineText, type Processor, type RecordOrigin } from './processor.js';

export type AddMetadataOption = Extract<ProcessingOption, { optionName: 'ADDMETADATA' }>;

/**
 * ADDMETADATA, as the Kinesis Agent's AddMetadataConverter.java writes it:
 * `{"ts": "<now>", "metadata": <metadata>, "data": "<record>"}`, keys in that
 * order (a LinkedHashMap filled ts, metadata, data). `ts` is there only when
 * `timestamp` is on: the current UTC time formatted
 * "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'" (`2024-05-01T12:00:00.123Z`). `metadata` is
 * the configured value as given (null when the entry has none). `data` is
 * the record's text as a JSON string, even when the record is JSON itself,
 * without its one trailing newline.
 *
 * Not in the agent: a string value in `metadata` may hold `{{path}}`,
 * `{{hostname}}` and `{{offset}}` (origin-template.ts), filled per record
 * from where its bytes came from; without them the output is the agent's.
 */
export function createAddMetadata(opt: AddMetadataOption): Processor {
  const pretty = opt.jsonFormat === 'PRETTYPRINT';
  // Everything but ts, templates and data is the same for every record: lay it out once.
  const { text: metadata, writers } = compileMetadata(opt.metadata, opt.jsonFormat);
  const wrap = (m: string): string => (pretty ? `"metadata" : ${m.replaceAll('\n', '\n  ')},\n  "data" : ` : `"metadata":${m},"data":`);
  const metadataPart = wrap(metadata);
  // With templates: the laid-out text split around them, [lit, value, lit, ...].
  const pieces = writers.length === 0 ? [] : wrap(metadata).split(SLOT);
  const open = pretty ? '{\n  ' : '{';
  const tsKey = pretty ? '"ts" : "' : '"ts":"';
  const tsEnd = pretty ? '",\n  ' : '",';
  const tail = pretty ? '\n}\n' : '}\n';
  const withTs = opt.timestamp;
  let lastMs = -1;
  let lastIso = '';

  const metadataFor =
    writers.length === 0
      ? (): string => metadataPart
      : (origin: RecordOrigin): string => {
          let s = pieces[0]!;
          for (let i = 0; i < writers.length; i++) s += writers[i]!(origin) + pieces[i + 1]!;
          return s;
        };

  return {
    process(data: Buffer, origin: RecordOrigin): Buffer {
      let out = open;
      if (withTs) {
        const now = Date.now();
        if (now !== lastMs) {
          lastMs = now;
          lastIso = new Date(now).toISOString();
        }
        out += tsKey + lastIso + tsEnd;
      }
      out += metadataFor(origin) + JSON.stringify(lineText(data)) + tail;
      return Buffer.from(out, 'utf8');
    },
  };
}

/** Stands for a templated value in the laid-out text; JSON text never holds a raw NUL. */
const SLOT = '\u0000';

/**
 * The metadata's JSON text, laid out once, with each templated string value
 * replaced by SLOT, and the writers of those values in text order.
 */
function compileMetadata(metadata: unknown, format: JsonFormat): { text: string; writers: ValueWriter[] } {
  if (metadata === undefined || metadata === null) return { text: 'null', writers: [] };
  const writers: ValueWriter[] = [];
  const marks: string[] = [];
  const strings = stringsIn(metadata);
  // A string no key or value of the user's is, so its JSON token is ours alone.
  const raw = JSON.stringify(metadata) ?? '';
  let markText = '\u0000';
  while (raw.includes(JSON.stringify(markText))) markText += '\u0000';
  const mark = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (!hasTemplate(v)) return v;
      marks.push(v);
      return markText;
    }
    if (Array.isArray(v)) return v.map(mark);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mark(x)]));
    return v;
  };
  const marked = strings.some(hasTemplate) ? mark(metadata) : metadata;
  let text = layoutJson(JSON.stringify(marked) ?? 'null', format);
  if (marks.length > 0) {
    // Each whole token `"<markText>"` is a templated value, in text order; JSON
    // text never holds a raw NUL, so SLOT cannot occur otherwise.
    text = text.replaceAll(JSON.stringify(markText), SLOT);
    for (const m of marks) writers.push(compileValue(m));
  }
  return { text, writers };
}


export const ADDMETADATA: OptionDefinition<'ADDMETADATA'> = {
  optionName: 'ADDMETADATA',
  javaSource: 'AddMetadataConverter.java',
  summary: 'wraps each record as {"ts", "metadata", "data"}',
  keys: [
    {
      name: 'metadata',
      type: 'map',
      default: null,
      description:
        'any JSON value (usually a map) written as "metadata" in every record; null when absent. A string value may hold templates, filled per record: ' +
        Object.entries(ORIGIN_TEMPLATES)
          .map(([k, v]) => `{{${k}}} ${v}`)
          .join('; '),
    },
    {
      name: 'timestamp',
      type: 'bool',
      default: false,
      description: 'adds "ts", the UTC time with milliseconds, first; only the text "true" (any case) or the boolean true turns it on, as in the Kinesis Agent',
    },
    JSON_FORMAT_KEY,
  ],
  read(r) {
    const metadata = r.has('metadata') ? r.plain('metadata') : null;
    for (const name of stringsIn(metadata).flatMap(unknownTemplates)) {
      r.fail('metadata', `\`{{${name}}}\` is not a template`, `the templates are ${Object.keys(ORIGIN_TEMPLATES).map((k) => `{{${k}}}`).join(', ')}`);
    }
    return { optionName: 'ADDMETADATA', metadata, timestamp: readTimestamp(r), jsonFormat: readJsonFormat(r) };
  },
  create: (opt) => createAddMetadata(opt),
};

/**
 * The Kinesis Agent reads `timestamp` with Java's `new Boolean(String)`: the
 * text "true" in any case is true and every other text false (so "yes" is
 * false there, unlike its other booleans). Same here, with a warning when the
 * text looks like it meant true.
 */
function readTimestamp(r: Parameters<OptionDefinition<'ADDMETADATA'>['read']>[0]): boolean {
  if (!r.has('timestamp')) return false;
  const v = r.plain('timestamp');
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') {
    r.fail('timestamp', `expects "true" or "false", got \`${String(v)}\``);
    return false;
  }
  if (v.toLowerCase() === 'true') return true;
  if (v.toLowerCase() !== 'false') {
    r.warn('timestamp', `\`${v}\` is read as false, as the Kinesis Agent reads it`, 'write timestamp: "true" to add "ts"');
  }
  return false;
}
