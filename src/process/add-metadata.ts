import { layoutJson } from './json-writer.js';
import { JSON_FORMAT_KEY, type OptionDefinition } from './option-table.js';
import type { JsonFormat, ProcessingOption } from './options.js';
import { lineText, type Processor } from './processor.js';

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
 */
export function createAddMetadata(opt: AddMetadataOption): Processor {
  const pretty = opt.jsonFormat === 'PRETTYPRINT';
  // Everything but ts and data is the same for every record: lay it out once.
  const metadata = metadataText(opt.metadata, opt.jsonFormat);
  const metadataPart = pretty ? `"metadata" : ${metadata.replaceAll('\n', '\n  ')},\n  "data" : ` : `"metadata":${metadata},"data":`;
  const open = pretty ? '{\n  ' : '{';
  const tsKey = pretty ? '"ts" : "' : '"ts":"';
  const tsEnd = pretty ? '",\n  ' : '",';
  const tail = pretty ? '\n}\n' : '}\n';
  const withTs = opt.timestamp;
  let lastMs = -1;
  let lastIso = '';

  return {
    process(data: Buffer): Buffer {
      let out = open;
      if (withTs) {
        const now = Date.now();
        if (now !== lastMs) {
          lastMs = now;
          lastIso = new Date(now).toISOString();
        }
        out += tsKey + lastIso + tsEnd;
      }
      out += metadataPart + JSON.stringify(lineText(data)) + tail;
      return Buffer.from(out, 'utf8');
    },
  };
}

function metadataText(metadata: unknown, format: JsonFormat): string {
  if (metadata === undefined || metadata === null) return 'null';
  return layoutJson(JSON.stringify(metadata) ?? 'null', format);
}

export const ADDMETADATA: OptionDefinition<'ADDMETADATA'> = {
  optionName: 'ADDMETADATA',
  javaSource: 'AddMetadataConverter.java',
  summary: 'wraps each record as {"ts", "metadata", "data"}',
  keys: [
    { name: 'metadata', type: 'map', default: null, description: 'any JSON value (usually a map) written as "metadata" in every record; null when absent' },
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
    return { optionName: 'ADDMETADATA', metadata, timestamp: readTimestamp(r), jsonFormat: r.enumOf('jsonFormat', ['COMPACT', 'PRETTYPRINT'] as const, 'COMPACT') };
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
