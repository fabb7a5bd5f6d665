import { InvalidProcessingOptionError } from './errors.js';
import { dedupeFieldNames, FieldRecordWriter } from './json-writer.js';
import { groupCount, groupNames, LOG_FORMATS, wholeLine } from './log-formats.js';
import type { ProcessingOption } from './options.js';
import { lineText, type Processor, type ProcessorContext } from './processor.js';
import { LogSampler } from './sampler.js';

export type LogToJsonOption = Extract<ProcessingOption, { optionName: 'LOGTOJSON' }>;

/** How a line's match becomes field values: by group number, or by group name. */
type Extract_ = (m: RegExpExecArray, out: (string | null)[]) => void;

/**
 * LOGTOJSON: a log line parsed by its format's pattern (or matchPattern)
 * into a JSON object of string fields. A line that does not match is skipped,
 * as the agent does: process() returns null.
 */
export function createLogToJson(opt: LogToJsonOption, ctx: ProcessorContext): Processor {
  const spec = LOG_FORMATS[opt.logFormat];
  let re: RegExp;
  let fields: readonly string[];
  let extract: Extract_;
  const dash = spec.dashIsNull;

  if (opt.matchPattern) {
    re = wholeLine(opt.matchPattern.source, opt.matchPattern.flags);
    const groups = groupCount(opt.matchPattern);
    if (opt.customFieldNames) {
      if (opt.customFieldNames.length !== groups) {
        throw new InvalidProcessingOptionError(
          'LOGTOJSON',
          `matchPattern has ${groups} capturing group(s) but customFieldNames names ${opt.customFieldNames.length}`,
          'give one name in customFieldNames per capturing group; make other groups non-capturing with (?:...)',
        );
      }
      fields = opt.customFieldNames;
      extract = byNumber(dedupeFieldNames(fields).source, dash);
    } else {
      const names = groupNames(opt.matchPattern);
      if (names.length === 0) {
        throw new InvalidProcessingOptionError(
          'LOGTOJSON',
          'matchPattern is given without customFieldNames and has no named groups',
          'add customFieldNames, one per capturing group, or name the groups: (?<host>\\S+)',
        );
      }
      fields = names;
      extract = byName(names, dash);
    }
  } else {
    re = wholeLine(spec.pattern);
    fields = spec.fields;
    if (opt.customFieldNames) {
      if (opt.customFieldNames.length !== spec.fields.length) {
        throw new InvalidProcessingOptionError(
          'LOGTOJSON',
          `customFieldNames names ${opt.customFieldNames.length} field(s) but ${opt.logFormat} has ${spec.fields.length} (${spec.fields.join(', ')})`,
          `give exactly ${spec.fields.length} names, or add a matchPattern of your own`,
        );
      }
      fields = opt.customFieldNames;
    }
    extract = byNumber(dedupeFieldNames(fields).source, dash);
  }

  const names = dedupeFieldNames(fields).names;
  const writer = new FieldRecordWriter(names, opt.jsonFormat);
  const values: (string | null)[] = new Array<string | null>(names.length).fill(null);
  const sampler = new LogSampler();
  const { log } = ctx;

  return {
    process(data: Buffer): Buffer | null {
      const line = lineText(data);
      const m = re.exec(line);
      if (m === null) {
        if (log.isLevelEnabled('debug')) {
          const held = sampler.take();
          if (held >= 0) {
            log.debug(
              { logFormat: opt.logFormat, line: line.length > 512 ? line.slice(0, 512) + '…' : line, alsoSkipped: held },
              'LOGTOJSON: line does not match the log format; skipped',
            );
          }
        }
        return null;
      }
      extract(m, values);
      return Buffer.from(writer.write(values), 'utf8');
    },
  };
}

function byNumber(source: readonly number[], dashIsNull: boolean): Extract_ {
  return (m, out) => {
    for (let i = 0; i < source.length; i++) {
      const v = m[source[i]! + 1];
      out[i] = v === undefined || (dashIsNull && v === '-') ? null : v;
    }
  };
}

function byName(names: readonly string[], dashIsNull: boolean): Extract_ {
  return (m, out) => {
    const groups = m.groups ?? {};
    for (let i = 0; i < names.length; i++) {
      const v = groups[names[i]!];
      out[i] = v === undefined || (dashIsNull && v === '-') ? null : v;
    }
  };
}
