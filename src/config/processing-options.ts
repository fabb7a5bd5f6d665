/**
 * `dataProcessingOptions` entries validated into the process stage's
 * ProcessingOption type. The processors trust what comes out of here.
 */
import type { JsonFormat, LogFormat, OptionName, ProcessingOption } from '../process/options.js';
import { shallow } from './flatten.js';
import { joinIndex, type ProblemList } from './problems.js';
import { Reader, describe } from './reader.js';
import { closest } from './suggest.js';
import { toPlain, type RawNode } from './tree.js';

export const OPTION_NAMES: readonly OptionName[] = [
  'SINGLELINE',
  'CSVTOJSON',
  'LOGTOJSON',
  'JSON',
  'ADDMETADATA',
  'ADDEC2METADATA',
  'ADDBRACKETS',
];

export const LOG_FORMATS: readonly LogFormat[] = [
  'COMMONAPACHELOG',
  'COMBINEDAPACHELOG',
  'APACHEERRORLOG',
  'SYSLOG',
  'RFC3339SYSLOG',
  'RFC5424SYSLOG',
];

export const JSON_FORMATS: readonly JsonFormat[] = ['COMPACT', 'PRETTYPRINT'];

/** The Kinesis Agent refreshes EC2 metadata hourly unless told otherwise. */
export const DEFAULT_METADATA_TTL_SECONDS = 3600;

const KEYS: Record<OptionName, readonly string[]> = {
  SINGLELINE: ['optionName'],
  CSVTOJSON: ['optionName', 'customFieldNames', 'delimiter', 'quoted', 'jsonFormat'],
  LOGTOJSON: ['optionName', 'logFormat', 'matchPattern', 'customFieldNames', 'jsonFormat'],
  JSON: ['optionName', 'fields', 'jsonFormat'],
  ADDMETADATA: ['optionName', 'metadata', 'timestamp', 'jsonFormat'],
  ADDEC2METADATA: ['optionName', 'metadataTTL', 'tags', 'jsonFormat'],
  ADDBRACKETS: ['optionName'],
};

export function readProcessingOptions(node: RawNode, path: string, problems: ProblemList): ProcessingOption[] {
  if (node.kind === 'scalar' && node.value === null) return [];
  if (node.kind !== 'seq') {
    problems.add(path, node.pos, `expects a list of processing options, got ${describe(node)}`, 'write dataProcessingOptions: [{optionName: SINGLELINE}, ...]');
    return [];
  }
  const out: ProcessingOption[] = [];
  node.items.forEach((item, i) => {
    const opt = readOne(item, joinIndex(path, i), problems);
    if (opt) out.push(opt);
  });
  return out;
}

function readOne(node: RawNode, path: string, problems: ProblemList): ProcessingOption | undefined {
  if (node.kind !== 'map') {
    problems.add(path, node.pos, `expects a map with optionName, got ${describe(node)}`, `optionName is one of ${OPTION_NAMES.join(', ')}`);
    return undefined;
  }
  const r = new Reader(shallow(node), problems, path, node.pos);
  const before = problems.problems.length;
  if (!r.has('optionName')) {
    r.failHere('has no `optionName`', `add optionName: one of ${OPTION_NAMES.join(', ')}`);
    return undefined;
  }
  const raw = r.str('optionName');
  if (raw === undefined) return undefined;
  const name = OPTION_NAMES.find((n) => n === raw.trim().toUpperCase());
  if (!name) {
    const near = closest(raw, OPTION_NAMES);
    r.fail(
      'optionName',
      `\`${raw}\` is not a known processing option; valid: ${OPTION_NAMES.join(', ')}`,
      near ? `did you mean \`${near}\`?` : `use one of ${OPTION_NAMES.join(', ')}`,
    );
    return undefined;
  }
  r.rejectUnknown(KEYS[name], (key) => `${name} takes ${KEYS[name].filter((k) => k !== 'optionName').join(', ') || 'no other keys'}; \`${key}\` is not one of them`);
  const jsonFormat = (): JsonFormat => r.enumOf('jsonFormat', JSON_FORMATS, 'COMPACT');
  let opt: ProcessingOption | undefined;
  switch (name) {
    case 'SINGLELINE':
    case 'ADDBRACKETS':
      opt = { optionName: name };
      break;
    case 'CSVTOJSON': {
      const fields = r.strList('customFieldNames', { single: false });
      if (!r.has('customFieldNames')) r.failHere('CSVTOJSON needs `customFieldNames`', 'list the field names, in column order: customFieldNames: [time, level, message]');
      else if (fields && fields.length === 0) r.fail('customFieldNames', 'is empty', 'list at least one field name');
      const delimiter = unescapeDelimiter(r.str('delimiter', { allowEmpty: true }) ?? ',');
      if (delimiter === '') r.fail('delimiter', 'is empty', 'leave delimiter out for a comma, or write "\\t" for a tab');
      opt = { optionName: name, customFieldNames: fields ?? [], delimiter, quoted: r.bool('quoted', false), jsonFormat: jsonFormat() };
      break;
    }
    case 'LOGTOJSON': {
      if (!r.has('logFormat')) r.failHere('LOGTOJSON needs `logFormat`', `logFormat is one of ${LOG_FORMATS.join(', ')}`);
      const logFormat = r.enumOf('logFormat', LOG_FORMATS);
      const matchPattern = r.regex('matchPattern');
      const customFieldNames = r.strList('customFieldNames', { single: false });
      if (matchPattern && !customFieldNames && !/\(\?<[A-Za-z_]/.test(matchPattern.source)) {
        r.fail('matchPattern', 'has no named groups and no `customFieldNames` to name its groups', 'add customFieldNames: [...] in group order, or name the groups: (?<host>\\S+)');
      }
      opt = { optionName: name, logFormat: logFormat ?? 'COMMONAPACHELOG', jsonFormat: jsonFormat() };
      if (matchPattern) opt.matchPattern = matchPattern;
      if (customFieldNames) opt.customFieldNames = customFieldNames;
      break;
    }
    case 'JSON': {
      const fields = r.strList('fields', { single: false });
      opt = { optionName: name, jsonFormat: jsonFormat() };
      if (fields) opt.fields = fields;
      break;
    }
    case 'ADDMETADATA': {
      const e = r.entry('metadata');
      let metadata: unknown = {};
      if (!e || (e.value.kind === 'scalar' && e.value.value === null)) {
        r.failHere('ADDMETADATA needs `metadata`', 'metadata: {env: prod, app: web} is added to every JSON record');
      } else if (e.value.kind !== 'map') {
        r.fail('metadata', `expects a map of fields to add, got ${describe(e.value)}`);
      } else {
        metadata = toPlain(e.value);
      }
      opt = { optionName: name, metadata, timestamp: r.bool('timestamp', false), jsonFormat: jsonFormat() };
      break;
    }
    case 'ADDEC2METADATA':
      opt = {
        optionName: name,
        metadataTTL: r.int('metadataTTL', DEFAULT_METADATA_TTL_SECONDS, { min: 1 }),
        tags: r.bool('tags', true),
        jsonFormat: jsonFormat(),
      };
      break;
  }
  return problems.problems.length === before ? opt : undefined;
}

/**
 * The agent's docs write a tab delimiter as "\\t" in JSON, which arrives here
 * as backslash-t; a backslash before punctuation (a regex-style escape such as
 * `\|`) means the character itself.
 */
export function unescapeDelimiter(d: string): string {
  return d.replace(/\\(t|n|r|\\|[^A-Za-z0-9])/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}
