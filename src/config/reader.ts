/**
 * Typed reads of one (flattened) map, each reporting its own problem with the
 * key path and position and then carrying on with the default.
 */
import { translateJavaRegex } from '../process/java-regex.js';
import { closest } from './suggest.js';
import { joinKey, type Pos, type ProblemList } from './problems.js';
import type { FlatEntry, FlatMap } from './flatten.js';
import type { KeyRow, RowValue } from './key-row.js';
import { toPlain, type RawNode } from './tree.js';

export interface IntRange {
  min?: number;
  max?: number;
  /** A value under `min` is read as `min` with a warning saying this (KeyRow.belowMin), not refused. */
  belowMin?: string | undefined;
  /** 0 is read as the default with a warning saying this (KeyRow.zeroIsDefault), not refused. */
  zeroIsDefault?: string | undefined;
}

export class Reader {
  constructor(
    readonly map: FlatMap,
    readonly problems: ProblemList,
    /** Key path of the map itself, e.g. `flows[1]`; '' at top level. */
    readonly prefix: string,
    /** Where to point problems about the map as a whole. */
    readonly pos: Pos | undefined,
  ) {}

  has(key: string): boolean {
    const e = this.map.get(key);
    return e !== undefined && !(e.value.kind === 'scalar' && e.value.value === null);
  }

  entry(key: string): FlatEntry | undefined {
    return this.map.get(key);
  }

  path(key: string): string {
    return joinKey(this.prefix, key);
  }

  /** Problem about a key's value. */
  fail(key: string, message: string, hint?: string): void {
    const e = this.map.get(key);
    this.problems.add(this.path(key), e?.value.pos ?? e?.keyPos ?? this.pos, message, hint);
  }

  /** Problem about a key's presence (points at the key, not the value). */
  failKey(key: string, message: string, hint?: string): void {
    const e = this.map.get(key);
    this.problems.add(this.path(key), e?.keyPos ?? this.pos, message, hint);
  }

  /** Problem about the map as a whole. */
  failHere(message: string, hint?: string): void {
    this.problems.add(this.prefix, this.pos, message, hint);
  }

  /** A warning about a key: accepted, but the user should know. */
  warn(key: string, message: string, hint?: string): void {
    const e = this.map.get(key);
    this.problems.warn(this.path(key), e?.keyPos ?? this.pos, message, hint);
  }

  /** The value as plain data; undefined when absent or null. */
  plain(key: string): unknown {
    const e = this.map.get(key);
    if (!e || (e.value.kind === 'scalar' && e.value.value === null)) return undefined;
    return toPlain(e.value);
  }

  kind(key: string): 'map' | 'seq' | 'scalar' | undefined {
    const e = this.map.get(key);
    if (!e || (e.value.kind === 'scalar' && e.value.value === null)) return undefined;
    return e.value.kind;
  }

  private scalar(key: string): { value: unknown; node: RawNode } | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.value.kind === 'scalar') {
      if (e.value.value === null) return undefined;
      return { value: e.value.value, node: e.value };
    }
    return { value: undefined, node: e.value };
  }

  str(key: string, opts: { allowEmpty?: boolean } = {}): string | undefined {
    const s = this.scalar(key);
    if (!s) return undefined;
    const v = s.value;
    if (typeof v === 'string') {
      if (v === '' && !opts.allowEmpty) {
        this.fail(key, 'is empty', `give \`${key}\` a value or remove it`);
        return undefined;
      }
      return v;
    }
    if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
    this.fail(key, `expects a string, got ${describe(s.node)}`);
    return undefined;
  }

  int(key: string, def: number, range: IntRange = {}): number {
    const v = this.optInt(key, range, def);
    return v ?? def;
  }

  optInt(key: string, range: IntRange = {}, def?: number): number | undefined {
    const s = this.scalar(key);
    if (!s) return undefined;
    let n: number | undefined;
    if (typeof s.value === 'number' && Number.isSafeInteger(s.value)) n = s.value;
    else if (typeof s.value === 'string') n = decodeInteger(s.value);
    if (n === undefined || !Number.isSafeInteger(n)) {
      this.fail(key, `expects a whole number, got ${describe(s.node)}`, rangeHint(key, range, def));
      return undefined;
    }
    if (n === 0 && range.min !== undefined && range.min > 0 && range.zeroIsDefault !== undefined && def !== undefined) {
      this.warn(key, `0 is read as the default ${fmt(def)}: ${range.zeroIsDefault}`, rangeHint(key, range, def));
      return def;
    }
    if (range.min !== undefined && n < range.min && range.belowMin !== undefined) {
      this.warn(key, `${n} is under the minimum ${fmt(range.min)} and is read as ${fmt(range.min)}: ${range.belowMin}`, rangeHint(key, range, def));
      return range.min;
    }
    if (range.min !== undefined && n < range.min) {
      this.fail(key, `${n} is under the minimum ${fmt(range.min)}`, rangeHint(key, range, def));
      return undefined;
    }
    if (range.max !== undefined && n > range.max) {
      this.fail(key, `${n} is over the maximum ${fmt(range.max)}`, rangeHint(key, range, def));
      return undefined;
    }
    return n;
  }

  /** A boolean as the Kinesis Agent's BooleanConverter.java reads one: true/false, yes/no, t/f, y/n, 1/0, any case. */
  bool(key: string, def: boolean): boolean {
    const s = this.scalar(key);
    if (!s) return def;
    if (typeof s.value === 'boolean') return s.value;
    if (typeof s.value === 'string' || typeof s.value === 'number') {
      const t = String(s.value).trim().toLowerCase();
      if (TRUE_WORDS.has(t)) return true;
      if (FALSE_WORDS.has(t)) return false;
    }
    this.fail(key, `expects true or false, got ${describe(s.node)}`, 'write true or false (the Kinesis Agent\'s yes/no, y/n, t/f and 1/0 work too)');
    return def;
  }

  /**
   * A key read through its row (key-row.ts): the row's type decides the
   * check and coercion, its default is the value when the key is absent (or
   * refused, the problem reported), its range and values bound it. `list`
   * rows have readers of their own and give their plain value here.
   */
  read<R extends KeyRow>(row: R): RowValue<R> {
    return this.readRow(row) as RowValue<R>;
  }

  private readRow(row: KeyRow): unknown {
    const { name } = row;
    const def = row.default ?? undefined;
    switch (row.type) {
      case 'int':
        return typeof def === 'number' ? this.int(name, def, row) : this.optInt(name, row);
      case 'bool':
        if (!this.has(name)) return def;
        return this.bool(name, typeof def === 'boolean' ? def : false);
      case 'enum': {
        const values = row.values ?? [];
        const v = this.enumOf(name, values, { anyCase: row.anyCase });
        return v ?? def;
      }
      case 'regex':
        return this.regex(name);
      case 'string-list':
      case 'enum-list':
        return this.strList(name) ?? def;
      case 'string':
        return this.str(name, { allowEmpty: row.allowEmpty }) ?? def;
      case 'map':
      case 'list':
        return this.plain(name) ?? def;
    }
  }

  enumOf<T extends string>(key: string, values: readonly T[], def: T): T;
  enumOf<T extends string>(key: string, values: readonly T[], opts?: { anyCase?: boolean | undefined }): T | undefined;
  enumOf<T extends string>(key: string, values: readonly T[], defOrOpts?: T | { anyCase?: boolean | undefined }): T | undefined {
    const def = typeof defOrOpts === 'string' ? defOrOpts : undefined;
    const anyCase = typeof defOrOpts === 'object' && defOrOpts.anyCase === true;
    const v = this.str(key);
    if (v === undefined) return def;
    const t = v.trim();
    const found = values.find((x) => x === t.toUpperCase() || x === t || (anyCase && x.toLowerCase() === t.toLowerCase()));
    if (found) return found;
    const near = closest(v, values);
    this.fail(
      key,
      `\`${v}\` is not one of ${values.join(', ')}`,
      near ? `did you mean \`${near}\`?` : `use one of ${values.join(', ')}`,
    );
    return def;
  }

  /** Compiles a regular expression now, so a bad one stops the load rather than a flow. */
  regex(key: string): RegExp | undefined {
    const v = this.str(key, { allowEmpty: true });
    if (v === undefined || v === '') return undefined;
    const compiled = compileRegex(v);
    if (compiled.ok) return compiled.regex;
    this.fail(key, `is not a valid regular expression: ${compiled.message}`, compiled.hint);
    return undefined;
  }

  /** A string or a list of strings (`filePattern: a` or `filePattern: [a, b]`). */
  strList(key: string, opts: { single?: boolean } = { single: true }): string[] | undefined {
    const e = this.map.get(key);
    if (!e || (e.value.kind === 'scalar' && e.value.value === null)) return undefined;
    if (e.value.kind === 'scalar' && opts.single) {
      const s = this.str(key);
      return s === undefined ? undefined : [s];
    }
    if (e.value.kind !== 'seq') {
      this.fail(key, `expects a list of strings, got ${describe(e.value)}`);
      return undefined;
    }
    const out: string[] = [];
    e.value.items.forEach((item, i) => {
      if (item.kind === 'scalar' && (typeof item.value === 'string' || typeof item.value === 'number') && item.value !== '') {
        out.push(String(item.value));
      } else {
        this.problems.add(`${this.path(key)}[${i}]`, item.pos ?? e.keyPos, `expects a non-empty string, got ${describe(item)}`);
      }
    });
    return out;
  }

  /**
   * Warns about every key not in `known`, suggesting the nearest known one.
   * The Kinesis Agent ignores keys it does not read, so they are not refused.
   */
  warnUnknown(known: readonly string[], extraHint?: (key: string) => string | undefined): void {
    const set = new Set(known);
    for (const [key, e] of this.map) {
      if (set.has(key)) continue;
      const near = closest(key, known);
      const hint = near ? `did you mean \`${near}\`?` : (extraHint?.(key) ?? undefined);
      this.problems.warn(this.path(key), e.keyPos, 'is not a known key and is ignored', hint);
    }
  }
}

export type Compiled = { ok: true; regex: RegExp } | { ok: false; message: string; hint: string };

/** A Kinesis Agent (Java) pattern, translated (see translateJavaRegex) and compiled. */
export function compileRegex(source: string): Compiled {
  const t = translateJavaRegex(source);
  if (!t.ok) return t;
  try {
    return { ok: true, regex: new RegExp(t.source, t.flags) };
  } catch (err) {
    return {
      ok: false,
      message: (err as Error).message.replace(/^Invalid regular expression: /, ''),
      hint: 'patterns are Java regular expressions, as in the Kinesis Agent; in JSON and double-quoted YAML a backslash is written \\\\',
    };
  }
}

export function describe(node: RawNode): string {
  if (node.kind === 'map') return 'a map';
  if (node.kind === 'seq') return 'a list';
  const v = node.value;
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'string') return `\`${v.length > 60 ? v.slice(0, 57) + '...' : v}\``;
  return `\`${String(v)}\``;
}

function fmt(n: number): string {
  return String(n);
}

function rangeHint(key: string, range: IntRange, def: number | undefined): string {
  const lo = range.min ?? '';
  const hi = range.max ?? '';
  const r = range.max === undefined ? `${lo} or more` : `${lo}..${hi}`;
  return `\`${key}\` takes ${r}${def !== undefined ? ` (default ${def})` : ''}`;
}

const TRUE_WORDS = new Set(['true', 'yes', 't', 'y', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'f', 'n', '0']);

/**
 * The texts decodeInteger may read as a whole number (it also refuses `08`
 * and `09`, not octal): the schema's `pattern` for a whole number written
 * as text.
 */
export const INTEGER_TEXT = /^\s*[-+]?(?:0[xX][0-9A-Fa-f]+|#[0-9A-Fa-f]+|[0-9]+)\s*$/;

/**
 * A whole number written as text, read as Java's Integer.decode / Long.decode
 * read it (Guava's Ints/Longs.stringConverter, the Kinesis Agent's number
 * converters): an optional sign, then `0x`, `0X` or `#` for hexadecimal, a
 * leading `0` for octal, else decimal. Surrounding spaces are allowed here.
 */
export function decodeInteger(text: string): number | undefined {
  if (!INTEGER_TEXT.test(text)) return undefined;
  const m = /^([-+]?)(0[xX]|#|0(?=[0-7]))?([0-9A-Fa-f]+)$/.exec(text.trim());
  if (!m) return undefined;
  const radix = m[2] === undefined ? 10 : m[2] === '0' ? 8 : 16;
  const digits = m[3]!;
  const valid = radix === 16 ? /^[0-9A-Fa-f]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return undefined;
  const n = parseInt(digits, radix);
  return m[1] === '-' ? -n : n;
}
