import { entriesToJson, layoutJson, minifyJson } from './json-writer.js';
import { parseObjectEntries } from './json-object.js';
import { JSON_FORMAT_KEY, type OptionDefinition } from './option-table.js';
import type { ProcessingOption } from './options.js';
import { lineText, RecordConversionError, type Processor } from './processor.js';

export type JsonOption = Extract<ProcessingOption, { optionName: 'JSON' }>;

/**
 * JSON (ours): the record must be one JSON object; it leaves as one line
 * (or pretty printed), optionally cut down to the top-level `fields` listed,
 * in that order, those the record has. Anything else is a conversion error,
 * so the record goes out as it came and processingErrors counts it.
 */
export function createJson(opt: JsonOption): Processor {
  const fields = opt.fields;
  const format = opt.jsonFormat;
  return {
    process(data: Buffer): Buffer {
      const text = lineText(data);
      if (fields === undefined) {
        const trimmed = text.trim();
        let parsed: unknown;
        try {
          parsed = JSON.parse(trimmed);
        } catch (err) {
          throw new RecordConversionError('record is not valid JSON', { cause: err });
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
          throw new RecordConversionError('record is JSON but not an object');
        }
        const min = minifyJson(trimmed);
        // Already a compact line: send the very bytes that came in.
        if (format === 'COMPACT' && min.length === text.length && data[data.length - 1] === 0x0a) return data;
        return Buffer.from(layoutJson(min, format) + '\n', 'utf8');
      }
      const entries = parseObjectEntries(text);
      if (entries === null) throw new RecordConversionError('record is not a JSON object');
      const picked = [];
      for (const name of fields) {
        const e = entries.find((x) => x.key === name);
        if (e) picked.push(e);
      }
      return Buffer.from(layoutJson(entriesToJson(picked), format) + '\n', 'utf8');
    },
  };
}

export const JSON_OPTION: OptionDefinition<'JSON'> = {
  optionName: 'JSON',
  summary: 're-lays out a JSON object record, optionally keeping only some top-level fields (ours)',
  keys: [
    { name: 'fields', type: 'string-list', ours: true, description: 'the top-level fields to keep, in this order; all when absent' },
    JSON_FORMAT_KEY,
  ],
  read(r) {
    const opt: JsonOption = { optionName: 'JSON', jsonFormat: r.enumOf('jsonFormat', ['COMPACT', 'PRETTYPRINT'] as const, 'COMPACT') };
    const fields = r.strList('fields');
    if (fields) opt.fields = fields;
    return opt;
  },
  create: (opt) => createJson(opt),
};
