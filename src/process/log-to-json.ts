import { InvalidProcessingOptionError } from './errors.js';
import { dedupeFieldNames, FieldRecordWriter } from './json-writer.js';
import { groupCount, groupNames, LOG_FORMATS, wholeLine } from './log-formats.js';
import type { LogFormat, ProcessingOption } from './options.js';
import { JSON_FORMAT_KEY, readJsonFormat, type OptionDefinition } from './option-table.js';
import { lineText, type Processor, type ProcessorContext } from './processor.js';
import { LogSampler } from './sampler.js';

export type LogToJsonOption = Extract<ProcessingOption, { optionName: 'LOGTOJSON' }>;

/** How a line's match becomes field values: by group number, or by group name. */
type Extract_ = (m: RegExpExecArray, out: (string | null)[]) => void;

/** How LOGTOJSON reads a line, decided once from its option. */
interface Plan {
  re: RegExp;
  fields: readonly string[];
  extract: Extract_;
}

type Planned = { ok: true; plan: Plan } | { ok: false; message: string; hint: string };

/**
 * The pattern, field names and extraction for an option, or why they do not
 * fit together (a field count that differs from the groups or the format).
 * read() refuses what this refuses, so `validate` finds it.
 */
export function planLogToJson(opt: LogToJsonOption): Planned {
  const spec = LOG_FORMATS[opt.logFormat];
  const dash = spec.dashIsNull;
  if (opt.matchPattern) {
    const re = wholeLine(opt.matchPattern.source, opt.matchPattern.flags);
    const groups = groupCount(opt.matchPattern);
    if (opt.customFieldNames) {
      if (opt.customFieldNames.length !== groups) {
        return {
          ok: false,
          message: `matchPattern has ${groups} capturing group(s) but customFieldNames names ${opt.customFieldNames.length}`,
          hint: 'give one name in customFieldNames per capturing group; make other groups non-capturing with (?:...)',
        };
      }
      const fields = opt.customFieldNames;
      return { ok: true, plan: { re, fields, extract: byNumber(dedupeFieldNames(fields).source, dash) } };
    }
    const names = groupNames(opt.matchPattern);
    if (names.length === 0) {
      return {
        ok: false,
        message: 'matchPattern is given without customFieldNames and has no named groups',
        hint: 'add customFieldNames, one per capturing group, or name the groups: (?<host>\\S+)',
      };
    }
    return { ok: true, plan: { re, fields: names, extract: byName(names, dash) } };
  }
  let fields = spec.fields;
  if (opt.customFieldNames) {
    if (opt.customFieldNames.length !== spec.fields.length) {
      return {
        ok: false,
        message: `customFieldNames names ${opt.customFieldNames.length} field(s) but ${opt.logFormat} has ${spec.fields.length} (${spec.fields.join(', ')})`,
        hint: `give exactly ${spec.fields.length} names, or add a matchPattern of your own`,
      };
    }
    fields = opt.customFieldNames;
  }
  return { ok: true, plan: { re: wholeLine(spec.pattern), fields, extract: byNumber(dedupeFieldNames(fields).source, dash) } };
}

/**
 * LOGTOJSON (LogToJSONDataConverter.java): a log line parsed by its format's
 * pattern (or matchPattern) into a JSON object of string fields. A line that
 * does not match is skipped, as the agent does: process() returns null.
 * Throws InvalidProcessingOptionError for an option planLogToJson refuses
 * (read() has refused it before).
 */
export function createLogToJson(opt: LogToJsonOption, ctx: ProcessorContext): Processor {
  const planned = planLogToJson(opt);
  if (!planned.ok) throw new InvalidProcessingOptionError('LOGTOJSON', planned.message, planned.hint);
  const { re, fields, extract } = planned.plan;

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

const LOG_FORMAT_NAMES = Object.keys(LOG_FORMATS) as LogFormat[];

export const LOGTOJSON: OptionDefinition<'LOGTOJSON'> = {
  optionName: 'LOGTOJSON',
  javaSource: 'LogToJSONDataConverter.java',
  summary: 'parses a log line by its format into a JSON object; lines that do not match are skipped',
  keys: [
    { name: 'logFormat', type: 'enum', values: LOG_FORMAT_NAMES, required: true, description: 'the format of the lines (RFC5424SYSLOG is ours)' },
    { name: 'matchPattern', type: 'regex', description: 'a Java regular expression to use instead of the format\'s; it must match the whole line' },
    { name: 'customFieldNames', type: 'string-list', description: 'the JSON keys, one per field of the format or capturing group of matchPattern' },
    JSON_FORMAT_KEY,
  ],
  read(r) {
    if (!r.has('logFormat')) r.failHere('LOGTOJSON needs `logFormat`', `logFormat is one of ${LOG_FORMAT_NAMES.join(', ')}`);
    const logFormat = r.enumOf('logFormat', LOG_FORMAT_NAMES);
    const matchPattern = r.regex('matchPattern');
    const customFieldNames = r.strList('customFieldNames');
    const opt: LogToJsonOption = { optionName: 'LOGTOJSON', logFormat: logFormat ?? 'COMMONAPACHELOG', jsonFormat: readJsonFormat(r) };
    if (matchPattern) opt.matchPattern = matchPattern;
    if (customFieldNames) opt.customFieldNames = customFieldNames;
    if (logFormat !== undefined && (!r.has('matchPattern') || matchPattern)) {
      const planned = planLogToJson(opt);
      if (!planned.ok) r.fail(opt.matchPattern ? 'matchPattern' : 'customFieldNames', planned.message, planned.hint);
    }
    return opt;
  },
  create: createLogToJson,
};
