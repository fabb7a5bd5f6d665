import type { LogFormat } from './options.js';

/*
 * The log formats of the Kinesis Agent's LOGTOJSON, built from the same
 * grok-like pieces so that a line matches here exactly when it matches there,
 * plus RFC5424SYSLOG (ours). JavaScript and Java agree on every construct used.
 */
const INT = '(?:[+-]?(?:[0-9]+))';
const POSINT = '(?:[1-9][0-9]*)';
const NONNEGINT = '(?:[0-9]+)';
const ANYDATA = '.*';
const WORD = '\\w+';
const NOQUOTE = '[^"]+';
const IP = '(?:[\\d\\.]+)';
const HOSTNAME = '(?:[\\w\\-]+)(?:\\.(?:[\\w\\-]+))*(?:\\.?|\\b)';
const IPORHOST = `(?:${HOSTNAME}|${IP})`;
const URIHOST = `(?:${IPORHOST}(?::${POSINT})?)`;
const USER = '(?:[a-zA-Z0-9._-]+)';
const MONTHDAY = '(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])';
const DAY = '(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)';
const MONTH =
  '\\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?|Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\\b';
const YEAR = '(?:[1-9]\\d*)';
const HOUR = '(?:2[0123]|[01]?[0-9])';
const MINUTE = '(?:[0-5][0-9])';
const SECOND = '(?:(?:[0-5]?[0-9]|60)(?:[:\\.,][0-9]+)?)';
const TIME = `(?:${HOUR}:${MINUTE}:${SECOND})`;
const HTTPDATE = `(?:${MONTHDAY}/${MONTH}/${YEAR}:${TIME}\\s${INT})`;
const ERRORLOG_TIMESTAMP = `(?:${DAY}\\s+${MONTH}\\s+${MONTHDAY}\\s+${TIME}\\s+${YEAR})`;
const SYSLOG_TIMESTAMP = `(?:${MONTH}\\s+${MONTHDAY}\\s+${TIME})`;
const RFC3339 = '(?:\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?)(?:Z|(?:[-+]\\d{2}:\\d{2}))';
const SYSLOG_FACILITY = `<${NONNEGINT}.${NONNEGINT}>`;
const SYSLOG_PROG = `([\\w\\._/%-]+)(?:\\[(${POSINT})\\])?`;

const COMMON =
  `^(${IPORHOST}) (${USER}) (${USER}) \\[(${HTTPDATE})\\] "(${NOQUOTE})" (${INT}|\\-) (${INT}|\\-)`;
const COMBINED = `${COMMON} "(${NOQUOTE})" "(${NOQUOTE})"`;
const APACHE_ERROR =
  `^\\[(${ERRORLOG_TIMESTAMP})\\] \\[(?:(${WORD}):)?(${WORD})\\] \\[pid (${NONNEGINT})(?::tid (${NONNEGINT}))?\\] ` +
  `\\[client (${URIHOST})\\] (${ANYDATA})`;
const syslogWith = (timestamp: string): string =>
  `^(${timestamp}) (?:${SYSLOG_FACILITY} )?(${USER}) ${SYSLOG_PROG}: (${ANYDATA})`;

// RFC 5424: <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG], "-" for an absent value.
const SD_ELEMENT = '\\[(?:[^\\]\\\\"]|\\\\.|"(?:[^"\\\\]|\\\\.)*")*\\]';
const RFC5424 =
  `^<(\\d{1,3})>(\\d{1,2}) (\\S+) (\\S+) (\\S+) (\\S+) (\\S+) (-|(?:${SD_ELEMENT})+)(?: (?:\\uFEFF)?(${ANYDATA}))?`;

const COMMON_FIELDS = ['host', 'ident', 'authuser', 'datetime', 'request', 'response', 'bytes'];
const SYSLOG_FIELDS = ['timestamp', 'hostname', 'program', 'processid', 'message'];

export interface LogFormatSpec {
  /** Source of the pattern; it must match the whole line. */
  pattern: string;
  fields: readonly string[];
  /** Apache and RFC 5424 logs write `-` for "no value": it becomes null. */
  dashIsNull: boolean;
}

export const LOG_FORMATS: Record<LogFormat, LogFormatSpec> = {
  COMMONAPACHELOG: { pattern: `${COMMON}.*`, fields: COMMON_FIELDS, dashIsNull: true },
  COMBINEDAPACHELOG: { pattern: `${COMBINED}.*`, fields: [...COMMON_FIELDS, 'referer', 'agent'], dashIsNull: true },
  APACHEERRORLOG: {
    pattern: APACHE_ERROR,
    fields: ['timestamp', 'module', 'severity', 'processid', 'threadid', 'client', 'message'],
    dashIsNull: true,
  },
  SYSLOG: { pattern: syslogWith(SYSLOG_TIMESTAMP), fields: SYSLOG_FIELDS, dashIsNull: false },
  RFC3339SYSLOG: { pattern: syslogWith(RFC3339), fields: SYSLOG_FIELDS, dashIsNull: false },
  RFC5424SYSLOG: {
    pattern: RFC5424,
    fields: ['priority', 'version', 'timestamp', 'hostname', 'appname', 'procid', 'msgid', 'structureddata', 'message'],
    dashIsNull: true,
  },
};

/** The pattern compiled to match a whole line, as Java's Matcher.matches() does. */
export function wholeLine(source: string, flags = ''): RegExp {
  return new RegExp(`^(?:${source})$`, flags.replace(/[gy]/g, ''));
}

/** How many capturing groups a pattern has. */
export function groupCount(re: RegExp): number {
  return new RegExp(`(?:${re.source})|`, re.flags.replace(/[gy]/g, '')).exec('')!.length - 1;
}

/** Names of the named groups of a pattern, in the order they open. */
export function groupNames(re: RegExp): string[] {
  const names: string[] = [];
  for (const m of re.source.matchAll(/(?<!\\)\(\?<([A-Za-z_$][\w$]*)>/g)) {
    if (!names.includes(m[1]!)) names.push(m[1]!);
  }
  return names;
}
