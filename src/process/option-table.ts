/**
 * What a processing option declares about its configuration: a key table
 * (one row per key, as Fluent Bit's `config_map[]`: type, name, default,
 * description) kept as plain data so documentation and a schema can be
 * generated from it, and a reader that turns the keys into the typed option.
 *
 * The process stage never sees YAML or JSON: a reader works through
 * OptionReader, which src/config/ implements over the parsed file.
 */
import type { JsonFormat, OptionName, ProcessingOption } from './options.js';
import type { Processor, ProcessorContext } from './processor.js';
import type { KeyRow } from '../config/key-row.js';

// The row type is config's (src/config/key-row.ts), shared with the top-level, flow and destination tables.
export type { KeyRow, KeyType } from '../config/key-row.js';

/** Typed reads over one `dataProcessingOptions` entry; every read reports its own problem and returns the default. */
export interface OptionReader {
  has(key: string): boolean;
  str(key: string, opts?: { allowEmpty?: boolean }): string | undefined;
  int(key: string, def: number, range?: { min?: number; max?: number }): number;
  bool(key: string, def: boolean): boolean;
  enumOf<T extends string>(key: string, values: readonly T[], def: T): T;
  enumOf<T extends string>(key: string, values: readonly T[]): T | undefined;
  /** A list of strings; a single string is not a list here. */
  strList(key: string): string[] | undefined;
  /** A Java regular expression, translated and compiled; undefined (with a problem) when it cannot be. */
  regex(key: string): RegExp | undefined;
  /** The value as plain data (maps, lists, scalars), for free-form keys. */
  plain(key: string): unknown;
  /** Whether the value is a map, a list or a scalar; undefined when absent or null. */
  kind(key: string): 'map' | 'seq' | 'scalar' | undefined;
  /** A problem with a key's value: the option (and the config) is refused. */
  fail(key: string, message: string, hint?: string): void;
  /** A problem with the entry as a whole. */
  failHere(message: string, hint?: string): void;
  /** Something the agent accepts but the user should know; loading goes on. */
  warn(key: string, message: string, hint?: string): void;
}

/** Everything the agent knows about one optionName. */
export interface OptionDefinition<K extends OptionName> {
  readonly optionName: K;
  /** The Kinesis Agent class whose output this one matches (processing/processors/...). */
  readonly javaSource?: string;
  readonly summary: string;
  readonly keys: readonly KeyRow[];
  /**
   * Reads the entry's keys into the typed option. Problems go to the reader;
   * the result is then discarded, so it may hold defaults. Everything the
   * factory would refuse is refused here, so `validate` finds it.
   */
  read(r: OptionReader): Extract<ProcessingOption, { optionName: K }>;
  /** Builds the processor. Never throws for an option `read` accepted. */
  create(opt: Extract<ProcessingOption, { optionName: K }>, ctx: ProcessorContext): Processor;
}

/** `jsonFormat`, shared by every option that writes JSON. */
export const JSON_FORMAT_KEY: KeyRow = {
  name: 'jsonFormat',
  type: 'enum',
  values: ['COMPACT', 'PRETTYPRINT'],
  default: 'COMPACT',
  description: 'COMPACT writes one line; PRETTYPRINT writes Jackson\'s default pretty layout',
};

export const OPTION_NAME_KEY: KeyRow = {
  name: 'optionName',
  type: 'string',
  required: true,
  description: 'which processor this entry configures',
};

/** The `jsonFormat` key as every JSON-writing option reads it. */
export function readJsonFormat(r: OptionReader): JsonFormat {
  return r.enumOf('jsonFormat', ['COMPACT', 'PRETTYPRINT'] as const, 'COMPACT');
}
