/**
 * YAML/JSON text to a small tree that remembers where each key and value
 * came from. Environment references are expanded here, once, with the key
 * path at hand for messages. As the Kinesis Agent's parser (Jackson, with
 * comments allowed) reads JSON: `//` and `/* *\/` comments are allowed in a
 * JSON-style document, and a key given twice in one map takes its last
 * value, with a warning.
 */
import {
  LineCounter,
  parseDocument,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { blankJsonComments } from './comments.js';
import { normalizeLoneCarriageReturns } from './line-breaks.js';
import { NO_ENV_KEYS, substituteEnv } from './env.js';
import { joinIndex, joinKey, type Pos, type ProblemList } from './problems.js';

export type RawNode =
  | { kind: 'map'; pos: Pos | undefined; entries: RawEntry[] }
  | { kind: 'seq'; pos: Pos | undefined; items: RawNode[] }
  | { kind: 'scalar'; pos: Pos | undefined; value: unknown };

export interface RawEntry {
  key: string;
  keyPos: Pos | undefined;
  value: RawNode;
}

/** Aliases can multiply a small text into a huge tree; past this many nodes we stop. */
const MAX_NODES = 200_000;
const MAX_DEPTH = 64;

export function parseTree(text: string, env: NodeJS.ProcessEnv, problems: ProblemList): RawNode | undefined {
  const lines = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(blankJsonComments(normalizeLoneCarriageReturns(text)), { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  } catch (err) {
    problems.add('', undefined, `cannot be parsed: ${(err as Error).message}`);
    return undefined;
  }
  const posAt = (offset: number | undefined): Pos | undefined => {
    if (offset === undefined) return undefined;
    const lp = lines.linePos(offset);
    return { line: lp.line, column: lp.col };
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      problems.add('', posAt(e.pos[0]), `YAML/JSON syntax error: ${message}`, syntaxHint(e.code));
    }
    return undefined;
  }
  let count = 0;
  /** `key` is the map key the node is the value of (or, for list items, the list's key). */
  const convert = (node: unknown, path: string, depth: number, key: string): RawNode => {
    if (++count > MAX_NODES || depth > MAX_DEPTH) {
      throw new TreeTooLarge();
    }
    if (isAlias(node)) {
      const target = node.resolve(doc);
      return target ? convert(target, path, depth + 1, key) : { kind: 'scalar', pos: posAt(node.range?.[0]), value: null };
    }
    const pos = posAt((node as YamlNode | null)?.range?.[0]);
    if (isMap(node)) {
      const entries: RawEntry[] = [];
      const at = new Map<string, number>();
      for (const pair of node.items) {
        const keyNode = pair.key as YamlNode | null;
        const keyValue = isScalar(keyNode) ? keyNode.value : keyNode;
        const key = keyValue === null || keyValue === undefined ? '' : typeof keyValue === 'object' ? '[complex key]' : String(keyValue);
        const keyPos = posAt(keyNode?.range?.[0]) ?? pos;
        const valuePath = joinKey(path, key);
        const value = pair.value === null || pair.value === undefined
          ? { kind: 'scalar' as const, pos: keyPos, value: null }
          : convert(pair.value, valuePath, depth + 1, key);
        const seen = at.get(key);
        if (seen === undefined) {
          at.set(key, entries.length);
          entries.push({ key, keyPos, value });
        } else {
          // Jackson's map keeps the first place and the last value.
          problems.warn(valuePath, keyPos, `is given twice (also at line ${entries[seen]!.keyPos?.line ?? '?'}); the last value is used, as the Kinesis Agent uses it`, 'remove one of them');
          entries[seen] = { key, keyPos, value };
        }
      }
      return { kind: 'map', pos, entries };
    }
    if (isSeq(node)) {
      return { kind: 'seq', pos, items: node.items.map((item, i) => convert(item, joinIndex(path, i), depth + 1, key)) };
    }
    if (isScalar(node)) {
      let value = node.value;
      if (typeof value === 'string' && !NO_ENV_KEYS.has(key)) {
        const s = substituteEnv(value, env);
        value = s.value;
        if (s.kept) problems.warn(path, pos, s.kept.message, s.kept.hint);
      }
      return { kind: 'scalar', pos, value };
    }
    return { kind: 'scalar', pos, value: null };
  };
  try {
    return doc.contents === null ? { kind: 'scalar', pos: undefined, value: null } : convert(doc.contents, '', 0, '');
  } catch (err) {
    if (err instanceof TreeTooLarge) {
      problems.add('', undefined, `is too large or too deeply nested (over ${MAX_NODES} values or ${MAX_DEPTH} levels, aliases expanded)`);
      return undefined;
    }
    throw err;
  }
}

class TreeTooLarge extends Error {}

function syntaxHint(code: string): string | undefined {
  switch (code) {
    case 'MULTIPLE_DOCS':
      return 'a config file holds one document; put further flows in agent.d/';
    case 'TAB_AS_INDENT':
      return 'indent YAML with spaces, not tabs';
    default:
      return 'check quoting, brackets and indentation around this position';
  }
}

/** Plain JS value of a subtree (for free-form values such as ADDMETADATA's `metadata`). */
export function toPlain(node: RawNode): unknown {
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(toPlain);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const e of node.entries) {
        Object.defineProperty(out, e.key, { value: toPlain(e.value), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
  }
}
