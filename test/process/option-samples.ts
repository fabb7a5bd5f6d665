import { PROCESSORS, OPTION_NAMES } from '../../src/process/registry.js';
import type { KeyRow } from '../../src/process/option-table.js';
import type { OptionName } from '../../src/process/options.js';

/** A few values a user could write for a key, taken from its row in the option's key table. */
export function sampleValues(row: KeyRow): unknown[] {
  switch (row.type) {
    case 'enum':
      return [...(row.values ?? [])];
    case 'enum-list':
      return [[], ...(row.values ?? []).map((v) => [v]), [...(row.values ?? [])], ['UNKNOWN']];
    case 'bool':
      return [true, false, 'yes', 'n'];
    case 'int':
      return [row.default ?? 1, 1, '60'];
    case 'string-list':
      return [['a', 'b', 'c'], ['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7'], ['host', 'ident', 'authuser', 'datetime', 'request', 'response', 'bytes']];
    case 'regex':
      return [',', '\\t', '\\s+', '(?<word>\\w+).*', '^(\\S+) (\\S+)$', '\\Q::\\E'];
    case 'map':
      return [{ env: 'prod', n: 1 }, null];
    case 'string':
      return ['x'];
    case 'list':
      return [[]];
  }
}

/**
 * Raw `dataProcessingOptions` entries for every option in the registry: the
 * option with its defaults, then each value of each key in turn, with the
 * required keys given. Some are refused by the config reader (a field count
 * that does not fit), which is what a fuzz test wants to see too.
 */
export function sampleEntries(name: OptionName): Record<string, unknown>[] {
  const rows = PROCESSORS[name].keys;
  const base: Record<string, unknown> = { optionName: name };
  for (const row of rows) if (row.required) base[row.name] = sampleValues(row)[0];
  const out = [base];
  for (const row of rows) {
    for (const value of sampleValues(row)) out.push({ ...base, [row.name]: value });
  }
  return out;
}

export function allSampleEntries(): Record<string, unknown>[] {
  return OPTION_NAMES.flatMap(sampleEntries);
}
