import { dedupeFieldNames, FieldRecordWriter } from './json-writer.js';
import { literalOf, translateJavaRegex } from './java-regex.js';
import { JSON_FORMAT_KEY, type OptionDefinition, type OptionReader } from './option-table.js';
import type { ProcessingOption } from './options.js';
import { lineText, type Processor } from './processor.js';
import { javaSplitter, quotedSplitter, type ColumnSplitter } from './csv-split.js';

export type CsvToJsonOption = Extract<ProcessingOption, { optionName: 'CSVTOJSON' }>;

/**
 * CSVTOJSON, as CSVToJSONDataConverter.java: the record (without its
 * newline) split with Java's String.split(delimiter), the delimiter being a
 * Java regular expression; the columns as a JSON object keyed by
 * customFieldNames in order. A missing column is null, extra columns are
 * dropped. With `quoted: true` (ours) columns follow RFC 4180 instead, and
 * the delimiter must be one fixed text.
 */
export function createCsvToJson(opt: CsvToJsonOption): Processor {
  const split: ColumnSplitter = opt.quoted ? quotedSplitter(literalOf(opt.delimiter) ?? opt.delimiter) : javaSplitter(delimiterPattern(opt.delimiter));
  const { names, source } = dedupeFieldNames(opt.customFieldNames);
  const writer = new FieldRecordWriter(names, opt.jsonFormat);
  const values: (string | undefined)[] = new Array<string | undefined>(names.length);

  return {
    process(data: Buffer): Buffer {
      const cols = split(lineText(data));
      for (let i = 0; i < source.length; i++) values[i] = cols[source[i]!];
      return Buffer.from(writer.write(values), 'utf8');
    },
  };
}

/** The delimiter as a fixed text when it is one (the fast path), else as a compiled regular expression. */
export function delimiterPattern(javaRegex: string): string | RegExp {
  const literal = literalOf(javaRegex);
  if (literal !== undefined && literal !== '') return literal;
  const t = translateJavaRegex(javaRegex);
  // read() refused every delimiter that does not translate and compile.
  if (!t.ok) return javaRegex;
  return new RegExp(t.source, t.flags + 'g');
}

export const CSVTOJSON: OptionDefinition<'CSVTOJSON'> = {
  optionName: 'CSVTOJSON',
  javaSource: 'CSVToJSONDataConverter.java',
  summary: 'turns delimited columns into a JSON object',
  keys: [
    { name: 'customFieldNames', type: 'string-list', required: true, description: 'the JSON key of each column, in column order' },
    {
      name: 'delimiter',
      type: 'regex',
      default: ',',
      description: 'a Java regular expression, as in the Kinesis Agent: "\\\\t" for a tab, "\\\\|" for a pipe, "\\\\s+" for any run of whitespace',
    },
    { name: 'quoted', type: 'bool', default: false, ours: true, description: 'RFC 4180 columns: a column in double quotes may hold the delimiter, newlines and "" for a quote' },
    JSON_FORMAT_KEY,
  ],
  read(r) {
    const fields = r.strList('customFieldNames');
    if (!r.has('customFieldNames')) r.failHere('CSVTOJSON needs `customFieldNames`', 'list the field names, in column order: customFieldNames: [time, level, message]');
    else if (fields && fields.length === 0) r.fail('customFieldNames', 'is empty', 'list at least one field name');
    const delimiter = r.str('delimiter', { allowEmpty: true }) ?? ',';
    const quoted = r.bool('quoted', false);
    checkDelimiter(r, delimiter, quoted);
    return { optionName: 'CSVTOJSON', customFieldNames: fields ?? [], delimiter, quoted, jsonFormat: r.enumOf('jsonFormat', ['COMPACT', 'PRETTYPRINT'] as const, 'COMPACT') };
  },
  create: (opt) => createCsvToJson(opt),
};

/**
 * Refuses a delimiter that cannot be compiled (the Kinesis Agent fails on
 * the first record then); warns where Java's reading is probably not what
 * was meant: a lone special character such as `|` or `.` is a regular
 * expression there too, and splits between every character or everywhere.
 */
function checkDelimiter(r: OptionReader, delimiter: string, quoted: boolean): void {
  if (quoted) {
    if (literalOf(delimiter) === undefined || literalOf(delimiter) === '') {
      r.fail('delimiter', `\`${delimiter}\` is a pattern, but quoted: true splits on one fixed text`, 'use a fixed delimiter such as "," or "\\\\t" with quoted: true');
    }
    return;
  }
  const t = translateJavaRegex(delimiter);
  if (!t.ok) {
    r.fail('delimiter', `is not a usable regular expression: ${t.message}`, t.hint);
    return;
  }
  try {
    new RegExp(t.source, t.flags);
  } catch (err) {
    r.fail('delimiter', `is not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`, 'the delimiter is a Java regular expression, as in the Kinesis Agent; write "\\\\|" for a literal |');
    return;
  }
  if (delimiter === '') {
    r.warn('delimiter', 'is empty: every character becomes a column, as in the Kinesis Agent', 'leave delimiter out for a comma');
  } else if (literalOf(delimiter) === undefined && delimiter.length <= 3 && !delimiter.includes('\\') && /[.|^$*+?]/.test(delimiter)) {
    const ch = /[.|^$*+?]/.exec(delimiter)![0];
    r.warn(
      'delimiter',
      `\`${delimiter}\` is a regular expression, as in the Kinesis Agent, and \`${ch}\` is special in it: columns will not be split at a literal ${ch}`,
      `write "\\\\${ch}" (JSON) or '\\${ch}' (YAML) to split at the character itself`,
    );
  }
}
