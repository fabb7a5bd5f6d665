import { dedupeFieldNames, FieldRecordWriter } from './json-writer.js';
import type { ProcessingOption } from './options.js';
import { lineText, type Processor } from './processor.js';
import { javaSplitter, quotedSplitter, type ColumnSplitter } from './csv-split.js';

export type CsvToJsonOption = Extract<ProcessingOption, { optionName: 'CSVTOJSON' }>;

/**
 * CSVTOJSON: the columns of the record as a JSON object keyed by
 * customFieldNames. A missing column is null, extra columns are dropped.
 */
export function createCsvToJson(opt: CsvToJsonOption): Processor {
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
