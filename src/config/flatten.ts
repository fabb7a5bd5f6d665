/**
 * Dotted keys (`kinesis.endpoint: x`) and nested maps (`kinesis: {endpoint: x}`)
 * mean the same thing. Everything downstream reads the dotted form, which is
 * also the Kinesis Agent's own spelling.
 */
import { joinKey, type Pos, type ProblemList } from './problems.js';
import type { RawNode } from './tree.js';

export interface FlatEntry {
  /** Dotted key relative to the map that was flattened. */
  key: string;
  keyPos: Pos | undefined;
  value: RawNode;
  /** Whether the key was written nested (`kinesis:` then `endpoint:`). */
  nested: boolean;
}

export type FlatMap = Map<string, FlatEntry>;

/** Flattens nested maps to dotted keys; `prefix` is the key path of `node` for messages. */
export function flatten(
  node: RawNode & { kind: 'map' },
  prefix: string,
  problems: ProblemList,
  /** Keys whose value is read whole even when it is a map (so `flows: {...}` is reported as not a list). */
  opaque: readonly string[] = [],
): FlatMap {
  const out: FlatMap = new Map();
  const walk = (map: RawNode & { kind: 'map' }, base: string, nested: boolean): void => {
    for (const e of map.entries) {
      const key = base ? `${base}.${e.key}` : e.key;
      if (e.value.kind === 'map' && e.value.entries.length > 0 && !opaque.includes(key)) {
        walk(e.value, key, true);
        continue;
      }
      const seen = out.get(key);
      if (seen) {
        const how = (n: boolean) => (n ? 'nested' : 'dotted');
        problems.add(
          joinKey(prefix, key),
          e.keyPos,
          `is given twice (${how(seen.nested)} at line ${seen.keyPos?.line ?? '?'}, and ${how(nested)} here)`,
          'keep one: dotted (`kinesis.endpoint: ...`) and nested (`kinesis: {endpoint: ...}`) keys mean the same',
        );
        continue;
      }
      out.set(key, { key, keyPos: e.keyPos, value: e.value, nested });
    }
  };
  walk(node, '', false);
  return out;
}

/** The direct entries of a map, without flattening (for free-form option maps). */
export function shallow(node: RawNode & { kind: 'map' }): FlatMap {
  const out: FlatMap = new Map();
  for (const e of node.entries) out.set(e.key, { key: e.key, keyPos: e.keyPos, value: e.value, nested: false });
  return out;
}
