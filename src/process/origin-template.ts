import { hostname } from 'node:os';
import type { RecordOrigin } from './processor.js';

/**
 * `{{name}}` templates in ADDMETADATA's metadata string values: where a
 * record came from (issue #20, item 2; the Kinesis Agent has no such thing,
 * Vector's file_key/host_key/offset_key and Fluent Bit's Path_Key do).
 */
export const ORIGIN_TEMPLATES = {
  path: 'the path of the file the record was read from, as the agent names it when the line is read (after a rename, the new name)',
  hostname: 'the host name (os.hostname()), read once at start',
  offset: 'the byte offset in the file of the record’s first line; a JSON number when it is the whole value',
} as const;

export type OriginTemplateName = keyof typeof ORIGIN_TEMPLATES;

const TEMPLATE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The `{{...}}` names in a string that are not known templates, in order. */
export function unknownTemplates(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(TEMPLATE)) if (!(m[1]! in ORIGIN_TEMPLATES)) out.push(m[1]!);
  return out;
}

/** Every string inside a JSON value (map values and array items; not map keys). */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

export function hasTemplate(text: string): boolean {
  return /\{\{\s*[^{}]*?\s*\}\}/.test(text);
}

/** Writes one templated string value as JSON text for a record. */
export type ValueWriter = (origin: RecordOrigin) => string;

/**
 * Compiles one string value holding templates (checked known at load) into a
 * writer of its JSON text: `"{{offset}}"` alone writes a number (`1234`),
 * anything else a JSON string with the values put in (`"/var/log/a.log"`).
 * The host name is read once here; the last path's escaped text is kept, so
 * a record costs one string build and no escaping of an unchanged path.
 */
export function compileValue(text: string): ValueWriter {
  const whole = /^\{\{\s*([^{}]*?)\s*\}\}$/.exec(text)?.[1];
  if (whole === 'offset') return (o) => String(o.start);
  const host = hostname();
  if (whole === 'hostname') {
    const json = JSON.stringify(host);
    return () => json;
  }
  if (whole === 'path') {
    let lastPath = '';
    let lastJson = '""';
    return (o) => {
      const p = o.file.path;
      if (p !== lastPath) {
        lastPath = p;
        lastJson = JSON.stringify(p);
      }
      return lastJson;
    };
  }
  // Literal text and names alternate: [lit, name, lit, name, ..., lit].
  const parts = text.split(TEMPLATE);
  return (o) => {
    let s = parts[0]!;
    for (let i = 1; i < parts.length; i += 2) {
      const name = parts[i] as OriginTemplateName;
      s += (name === 'path' ? o.file.path : name === 'hostname' ? host : String(o.start)) + parts[i + 1]!;
    }
    return JSON.stringify(s);
  };
}
