import type { JsonFormat } from './options.js';

/**
 * JSON output shaped like the Kinesis Agent's (Jackson): COMPACT has no
 * whitespace; PRETTYPRINT is Jackson's default pretty printer: two-space
 * indented objects with `" : "` between key and value, arrays kept inline as
 * `[ 1, 2 ]`, empty containers as `{ }` and `[ ]`. Every record ends in `\n`.
 */

/**
 * Writes records whose fields are a fixed list of names with string-or-null
 * values. The keys are escaped once, here, so a record costs one string
 * concatenation per field.
 */
export class FieldRecordWriter {
  private readonly prefixes: string[];
  private readonly suffix: string;
  private readonly empty: string | undefined;

  constructor(names: readonly string[], format: JsonFormat) {
    const pretty = format === 'PRETTYPRINT';
    this.prefixes = names.map((name, i) => {
      const key = JSON.stringify(name);
      if (pretty) return `${i === 0 ? '{' : ','}\n  ${key} : `;
      return `${i === 0 ? '{' : ','}${key}:`;
    });
    this.suffix = pretty ? '\n}\n' : '}\n';
    this.empty = names.length === 0 ? (pretty ? '{ }\n' : '{}\n') : undefined;
  }

  /** The record text, `\n` included. `values[i]` belongs to `names[i]`. */
  write(values: readonly (string | null | undefined)[]): string {
    if (this.empty !== undefined) return this.empty;
    const prefixes = this.prefixes;
    let out = '';
    for (let i = 0; i < prefixes.length; i++) {
      const v = values[i];
      out += prefixes[i] + (v === null || v === undefined ? 'null' : jsonString(v));
    }
    return out + this.suffix;
  }
}

// Characters JSON.stringify would escape (quote, backslash, controls, and
// surrogates, which it checks for pairing).
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal; most log values need no escaping, and testing for that is cheaper. */
export function jsonString(v: string): string {
  return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : '"' + v + '"';
}

/**
 * Field names as the agent's LinkedHashMap keeps them: a name given twice
 * stays at its first place and takes the last value. `source[i]` is the
 * index, among the original names, whose value `names[i]` takes.
 */
export function dedupeFieldNames(names: readonly string[]): { names: string[]; source: number[] } {
  const at = new Map<string, number>();
  const out: string[] = [];
  const source: number[] = [];
  names.forEach((name, i) => {
    const seen = at.get(name);
    if (seen === undefined) {
      at.set(name, out.length);
      out.push(name);
      source.push(i);
    } else {
      source[seen] = i;
    }
  });
  return { names: out, source };
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Index just past the string literal that opens at `start` (a `"`). */
export function skipString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i += 2;
    else if (c === 0x22) return i + 1;
    else i++;
  }
  return text.length;
}

/**
 * Valid JSON text with the whitespace between tokens removed. Literals are
 * copied as written, so a number keeps every digit (JSON.parse would round
 * 12345678901234567890).
 */
export function minifyJson(text: string): string {
  let out = '';
  let from = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = skipString(text, i);
    } else if (isJsonSpace(c)) {
      out += text.slice(from, i);
      while (i < text.length && isJsonSpace(text.charCodeAt(i))) i++;
      from = i;
    } else {
      i++;
    }
  }
  return from === 0 ? text : out + text.slice(from);
}

function indent(level: number): string {
  return '\n' + '  '.repeat(level);
}

/** Minified JSON text re-laid out the way Jackson's default pretty printer writes it. */
export function prettyJson(min: string): string {
  let out = '';
  let level = 0;
  // true for an object, false for an array
  const stack: boolean[] = [];
  let i = 0;
  while (i < min.length) {
    const ch = min[i]!;
    switch (ch) {
      case '"': {
        const end = skipString(min, i);
        out += min.slice(i, end);
        i = end;
        continue;
      }
      case '{':
        if (min[i + 1] === '}') {
          out += '{ }';
          i += 2;
          continue;
        }
        stack.push(true);
        level++;
        out += '{' + indent(level);
        break;
      case '}':
        stack.pop();
        level--;
        out += indent(level) + '}';
        break;
      case '[':
        if (min[i + 1] === ']') {
          out += '[ ]';
          i += 2;
          continue;
        }
        stack.push(false);
        out += '[ ';
        break;
      case ']':
        stack.pop();
        out += ' ]';
        break;
      case ',':
        out += stack[stack.length - 1] ? ',' + indent(level) : ', ';
        break;
      case ':':
        out += ' : ';
        break;
      default: {
        let end = i + 1;
        while (end < min.length && !',:]}'.includes(min[end]!)) end++;
        out += min.slice(i, end);
        i = end;
        continue;
      }
    }
    i++;
  }
  return out;
}

/** Minified JSON in the requested layout. */
export function layoutJson(min: string, format: JsonFormat): string {
  return format === 'PRETTYPRINT' ? prettyJson(min) : min;
}

/** One member of a JSON object: its key and the minified JSON text of its value (config/tree.ts has the YAML map entries). */
export interface JsonMember {
  key: string;
  raw: string;
}

/** The minified text of an object made of these entries, in order. */
export function entriesToJson(entries: readonly JsonMember[]): string {
  let out = '{';
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    out += (i === 0 ? '' : ',') + JSON.stringify(e.key) + ':' + e.raw;
  }
  return out + '}';
}
