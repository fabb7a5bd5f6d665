import { layoutJson } from './json-writer.js';
import type { ProcessingOption } from './options.js';
import { lineText, type Processor } from './processor.js';

export type AddMetadataOption = Extract<ProcessingOption, { optionName: 'ADDMETADATA' }>;

/**
 * ADDMETADATA: the record wrapped as `{"metadata": <metadata>, "data": "<record>", "ts": "<now>"}`.
 * As in the Kinesis Agent, `data` is the record's text as a JSON string (even
 * when the record is itself JSON) without its trailing newline, and `ts`,
 * present when `timestamp` is true, is the UTC time in milliseconds,
 * ISO 8601 (`2024-05-01T12:00:00.123Z`).
 */
export function createAddMetadata(opt: AddMetadataOption): Processor {
  const pretty = opt.jsonFormat === 'PRETTYPRINT';
  // Everything but data and ts is the same for every record: lay it out once.
  const metadata = opt.metadata === undefined ? 'null' : layoutJson(JSON.stringify(opt.metadata) ?? 'null', opt.jsonFormat);
  const indentedMetadata = pretty ? metadata.replaceAll('\n', '\n  ') : metadata;
  const head = pretty ? `{\n  "metadata" : ${indentedMetadata},\n  "data" : ` : `{"metadata":${metadata},"data":`;
  const tsKey = pretty ? ',\n  "ts" : "' : ',"ts":"';
  const tail = pretty ? '\n}\n' : '}\n';
  const withTs = opt.timestamp;
  let lastMs = -1;
  let lastIso = '';

  return {
    process(data: Buffer): Buffer {
      let out = head + JSON.stringify(lineText(data));
      if (withTs) {
        const now = Date.now();
        if (now !== lastMs) {
          lastMs = now;
          lastIso = new Date(now).toISOString();
        }
        out += tsKey + lastIso + '"';
      }
      return Buffer.from(out + tail, 'utf8');
    },
  };
}
