/**
 * `dataProcessingOptions` entries read into the process stage's
 * ProcessingOption type. Which keys an option takes, and how they are read,
 * belongs to the option (its OptionDefinition in src/process/); this file
 * only finds the definition by optionName and gives it a reader.
 */
import { OPTION_NAMES, PROCESSORS } from '../process/registry.js';
import type { OptionReader } from '../process/option-table.js';
import type { KeyRow } from './key-row.js';
import type { OptionName, ProcessingOption } from '../process/options.js';
import { shallow } from './flatten.js';
import { joinIndex, type ProblemList } from './problems.js';
import { Reader, describe } from './reader.js';
import { closest } from './suggest.js';
import type { RawNode } from './tree.js';

export { OPTION_NAMES };

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
  const opt = readWith(name, r);
  return problems.problems.length === before ? opt : undefined;
}

function readWith<K extends OptionName>(name: K, r: Reader): ProcessingOption {
  const def = PROCESSORS[name];
  const keys: readonly KeyRow[] = def.keys;
  const names = keys.map((k) => k.name);
  r.warnUnknown(['optionName', ...names], (key) => `${name} takes ${names.join(', ') || 'no other keys'}; \`${key}\` is not one of them`);
  for (const k of keys) {
    if (k.noEffect && r.has(k.name)) r.warn(k.name, `has no effect here: ${k.noEffect}`);
  }
  return def.read(optionReader(r));
}

/** The process stage's view of a Reader: typed reads only. */
function optionReader(r: Reader): OptionReader {
  return {
    has: (key) => r.has(key),
    str: (key, opts) => r.str(key, opts),
    int: (key, def, range) => r.int(key, def, range),
    bool: (key, def) => r.bool(key, def),
    enumOf: ((key: string, values: readonly string[], def?: string) => (def === undefined ? r.enumOf(key, values) : r.enumOf(key, values, def))) as OptionReader['enumOf'],
    strList: (key) => r.strList(key, { single: false }),
    regex: (key) => r.regex(key),
    plain: (key) => r.plain(key),
    kind: (key) => r.kind(key),
    fail: (key, message, hint) => r.fail(key, message, hint),
    failHere: (message, hint) => r.failHere(message, hint),
    warn: (key, message, hint) => r.warn(key, message, hint),
  };
}
