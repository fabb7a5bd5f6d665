/**
 * One configuration key as a row of plain data, in the manner of Fluent
 * Bit's `config_map[]`: type, name, default, description, and what a user
 * needs besides (allowed values, range, unit, how it differs from the
 * Kinesis Agent). Every area keeps its keys as one table of rows: the top
 * level (agent-keys.ts), a flow (flow-keys.ts), each destination
 * (sink/<kind>/options.ts) and each processing option (process/*.ts). The
 * reader reads keys through their rows (Reader.read), and the JSON Schema
 * (schema.ts) and the key reference of docs/configuration.md
 * (key-reference.ts) are generated from the same rows, so none can drift.
 *
 * It lives in config, which every stage may import, so that the stages'
 * own tables (processors, destinations) can use it.
 */

export type KeyType =
  | 'string'
  | 'int'
  | 'bool'
  | 'enum'
  | 'regex'
  | 'string-list'
  | 'enum-list'
  /** Free-form map (ADDMETADATA's `metadata`). */
  | 'map'
  /** A list of maps read by their own reader (`flows`, `dataProcessingOptions`). */
  | 'list';

/** What a row's default can be. */
export type KeyValue = string | number | boolean | null | readonly string[];

/** Unit of an `int` key (or what a string names), shown in the docs and the schema. */
export type KeyUnit = 'ms' | 's' | 'days' | 'bytes' | 'KiB' | 'records' | 'lines' | 'calls' | 'connections' | 'batches' | 'path' | 'URL' | 'glob';

/** One configuration key. */
export interface KeyRow {
  readonly name: string;
  readonly type: KeyType;
  /** The value the reader uses when the key is absent; absent for a key without one. */
  readonly default?: KeyValue;
  /** The default in words, where it is not one value (computed, per destination, or "absent: off"). */
  readonly defaultText?: string;
  /** The accepted values of an `enum` or `enum-list` key. */
  readonly values?: readonly string[];
  /** `enum` values are matched in any case (otherwise as written, or upper case). */
  readonly anyCase?: boolean;
  /** Smallest accepted value of an `int` key. */
  readonly min?: number;
  /**
   * The Kinesis Agent takes a value under `min` (it checks no range): such a
   * value is read as `min`, with a warning, instead of refused. What the
   * Kinesis Agent does with it, and so why `min` keeps the meaning.
   */
  readonly belowMin?: string;
  /**
   * 0, under `min`, means something to the Kinesis Agent that this agent
   * does not do (an AWS SDK for Java timeout of 0 is no timeout): it is read
   * as the row's default, with a warning saying this, instead of refused.
   */
  readonly zeroIsDefault?: string;
  /** Largest accepted value of an `int` key. */
  readonly max?: number;
  readonly unit?: KeyUnit;
  /** A flow's batch key: its default and maximum are this API limit of the flow's destination (sink/<kind>/limits.ts). */
  readonly destinationLimit?: 'recordsPerCall' | 'bytesPerCall';
  /** `""` is accepted (and means "not given" unless the reader says otherwise). */
  readonly allowEmpty?: boolean;
  /** The Kinesis Agent refuses to start without it; here its absence is refused or warned about by the reader. */
  readonly required?: boolean;
  /**
   * The reader takes any value, ignoring one it cannot use with a warning,
   * as the Kinesis Agent ignores it: the schema does not type it.
   */
  readonly anyValue?: boolean;
  /** Accepted for compatibility and type-checked, but changes nothing here: why. */
  readonly noEffect?: string;
  /** Ours, not the Kinesis Agent's. */
  readonly ours?: boolean;
  /** A Kinesis Agent key whose default or meaning differs here: how, and why. */
  readonly differs?: string;
  readonly description: string;
}

/** A row as written in a table: its name is the table's key. */
export type KeySpec = Omit<KeyRow, 'name'>;

/**
 * A table of rows keyed by name, each row given its name. The literal types
 * are kept (`const`), so Reader.read knows that an `int` row with a default
 * reads a number and an `enum` row one of its values.
 */
export function keyTable<const T extends Record<string, KeySpec>>(spec: T): { readonly [K in keyof T & string]: T[K] & { readonly name: K } } {
  return Object.fromEntries(Object.entries(spec).map(([name, row]) => [name, { name, ...row }])) as {
    readonly [K in keyof T & string]: T[K] & { readonly name: K };
  };
}

/** The rows of a table, in the order written. */
export function rowsOf(table: Readonly<Record<string, KeyRow>>): KeyRow[] {
  return Object.values(table);
}

type BaseValue<R extends KeyRow> = R['type'] extends 'int'
  ? number
  : R['type'] extends 'bool'
    ? boolean
    : R['type'] extends 'enum'
      ? R['values'] extends readonly (infer V)[]
        ? V
        : string
      : R['type'] extends 'regex'
        ? RegExp
        : R['type'] extends 'string-list' | 'enum-list'
          ? string[]
          : R['type'] extends 'string'
            ? string
            : unknown;

/** What Reader.read gives for a row: its type's value, or undefined when the row has no default. */
export type RowValue<R extends KeyRow> = R extends { readonly default: KeyValue } ? BaseValue<R> : BaseValue<R> | undefined;

/**
 * Is the row's value read whole when it is a map or a list? A flow's
 * `filePattern`/`excludePatterns` and the lists (`flows`,
 * `dataProcessingOptions`) are; a non-empty map at any other key of a
 * flattened table (the top level, a flow) is read as dotted keys below it
 * (flatten.ts: `proxy: {host: h}` is `proxy.host`, an unknown key).
 */
export function readWhole(row: KeyRow): boolean {
  return row.type === 'string-list' || row.type === 'list';
}

/** An `int` row's range in words (`1..500`, `0 or more`); '' without one. */
export function rangeOf(row: KeyRow): string {
  if (row.min !== undefined && row.max !== undefined) return `${row.min}..${row.max}`;
  if (row.min !== undefined) return `${row.min} or more`;
  if (row.max !== undefined) return `at most ${row.max}`;
  return '';
}
