import { InvalidProcessingOptionError } from './errors.js';
import { dedupeFieldNames, FieldRecordWriter } from './json-writer.js';
import type { ProcessingOption } from './options.js';
import { lineText, type Processor, type ProcessorContext } from './processor.js';
import { javaSplitter, matchesEmpty, quotedSplitter, type ColumnSplitter } from './csv-split.js';

export type CsvToJsonOption = Extract<ProcessingOption, { optionName: 'CSVTOJSON' }>;

/**
 * CSVTOJSON: the columns of the record as a JSON object keyed by
 * customFieldNames. A missing column is null, extra columns are dropped.
 */
export function createCsvToJson(opt: CsvToJsonOption, ctx: ProcessorContext): Processor {
  if (!opt.quoted) checkDelimiter(opt.delimiter, ctx);
  const split: ColumnSplitter = opt.quoted ? quotedSplitter(opt.delimiter) : javaSplitter(opt.delimiter);
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

function checkDelimiter(delimiter: string, ctx: ProcessorContext): void {
  try {
    new RegExp(delimiter);
  } catch (err) {
    throw new InvalidProcessingOptionError(
      'CSVTOJSON',
      `delimiter ${JSON.stringify(delimiter)} is not a valid regular expression (${(err as Error).message})`,
      'as in the Kinesis Agent the delimiter is a regular expression; escape special characters, e.g. "\\\\|" for a pipe',
    );
  }
  if (matchesEmpty(delimiter)) {
    ctx.log.warn(
      { delimiter },
      'CSVTOJSON delimiter can match an empty string, so records split between every character, as in the Kinesis Agent; escape it (e.g. "\\\\|" for a pipe) or set quoted: true to split on the literal text',
    );
  }
}
