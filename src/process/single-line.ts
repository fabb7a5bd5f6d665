import type { ProcessingOption } from './options.js';
import type { OptionDefinition } from './option-table.js';
import type { Processor } from './processor.js';

export type SingleLineOption = Extract<ProcessingOption, { optionName: 'SINGLELINE' }>;

const PARSE_OPTIONS = ['NO_TRIM', 'ESCAPE_NEW_LINE'] as const;

/** The separator ESCAPE_NEW_LINE puts between lines: the Java literal "\\\\n", three characters. */
const ESCAPED_NEW_LINE = Buffer.from('\\\\n', 'latin1');

/**
 * SINGLELINE, as the Kinesis Agent's SingleLineDataConverter.java writes it:
 * the record split on `\n` the way Java's String.split does (trailing empty
 * lines dropped), each line trimmed as Java's String.trim does (every
 * character up to U+0020) unless NO_TRIM, the lines joined with nothing, or
 * with the three characters `\\n` under ESCAPE_NEW_LINE, then one `\n`.
 *
 * UTF-8 never uses bytes up to 0x20 inside a multi-byte character, so the
 * work is done on bytes, and invalid UTF-8 is kept as it is.
 */
export function createSingleLine(opt: SingleLineOption = { optionName: 'SINGLELINE' }): Processor {
  const trim = opt.noTrim !== true;
  const separator = opt.escapeNewLine === true ? ESCAPED_NEW_LINE : undefined;
  if (trim && separator === undefined) return { process: singleLine };
  return { process: (data) => joinLines(data, trim, separator) };
}

function isTrimmed(b: number): boolean {
  return b <= 0x20;
}

/** The default form (trimmed, joined with nothing), with a no-copy path for a record that is one line already. */
export function singleLine(data: Buffer): Buffer {
  const n = data.length;
  if (n > 1 && data[n - 1] === 0x0a && !isTrimmed(data[0]!) && !isTrimmed(data[n - 2]!)) {
    const nl = data.indexOf(0x0a);
    if (nl === n - 1) return data;
  }
  return joinLines(data, true, undefined);
}

/** Java's `StringUtils.join(split(text, "\n") [trimmed], separator) + "\n"`, on bytes. */
export function joinLines(data: Buffer, trim: boolean, separator: Buffer | undefined): Buffer {
  const n = data.length;
  // String.split drops trailing empty strings (before any trim): find where the last non-empty line ends.
  let end = n;
  while (end > 0 && data[end - 1] === 0x0a) end--;
  const lines = end === 0 ? 0 : countByte(data, 0x0a, end) + 1;
  const sep = separator?.length ?? 0;
  const out = Buffer.allocUnsafe(end + Math.max(0, lines - 1) * sep + 1);
  let w = 0;
  let start = 0;
  for (let i = 0; i < lines; i++) {
    let stop = data.indexOf(0x0a, start);
    if (stop === -1 || stop > end) stop = end;
    let a = start;
    let b = stop;
    if (trim) {
      while (a < b && isTrimmed(data[a]!)) a++;
      while (b > a && isTrimmed(data[b - 1]!)) b--;
    }
    if (i > 0 && separator) w += separator.copy(out, w);
    if (b > a) w += data.copy(out, w, a, b);
    start = stop + 1;
  }
  out[w++] = 0x0a;
  return out.subarray(0, w);
}

function countByte(data: Buffer, byte: number, end: number): number {
  let count = 0;
  let i = data.indexOf(byte);
  while (i !== -1 && i < end) {
    count++;
    i = data.indexOf(byte, i + 1);
  }
  return count;
}

export const SINGLELINE: OptionDefinition<'SINGLELINE'> = {
  optionName: 'SINGLELINE',
  javaSource: 'SingleLineDataConverter.java',
  summary: 'joins the lines of a multi-line record into one line',
  keys: [
    {
      name: 'parseOptions',
      type: 'enum-list',
      values: PARSE_OPTIONS,
      default: [],
      anyValue: true,
      description: 'NO_TRIM keeps each line\'s leading and trailing whitespace; ESCAPE_NEW_LINE joins the lines with the characters \\\\n instead of nothing',
    },
  ],
  read(r) {
    const opt: SingleLineOption = { optionName: 'SINGLELINE' };
    if (r.kind('parseOptions') === 'scalar' || r.kind('parseOptions') === 'map') {
      // The Kinesis Agent reads it with a fallback of no options when it is not a list.
      r.warn('parseOptions', 'is not a list and is ignored, as the Kinesis Agent ignores it', 'write parseOptions: [NO_TRIM, ESCAPE_NEW_LINE]');
      return opt;
    }
    const list = r.strList('parseOptions');
    // The Kinesis Agent looks for the two names and ignores any other entry.
    for (const item of list ?? []) {
      if (!(PARSE_OPTIONS as readonly string[]).includes(item)) {
        r.warn('parseOptions', `\`${item}\` is not a SINGLELINE parse option and is ignored`, `the options are ${PARSE_OPTIONS.join(' and ')} (upper case, as in the Kinesis Agent)`);
      }
    }
    if (list?.includes('NO_TRIM')) opt.noTrim = true;
    if (list?.includes('ESCAPE_NEW_LINE')) opt.escapeNewLine = true;
    return opt;
  },
  create: (opt) => createSingleLine(opt),
};
