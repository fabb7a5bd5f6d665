import { minifyJson, skipString, type JsonMember } from './json-writer.js';

/**
 * The top-level entries of a record that is one JSON object, each value kept
 * as its (minified) source text so that numbers, nesting and key order
 * survive exactly. A key given twice keeps its first place and its last
 * value, as Jackson's LinkedHashMap does. Null when the text is not a JSON
 * object.
 */
export function parseObjectEntries(text: string): JsonMember[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;

  const min = minifyJson(text.trim());
  const entries: JsonMember[] = [];
  const index = new Map<string, number>();
  let i = 1;
  while (i < min.length && min[i] !== '}') {
    const keyEnd = skipString(min, i);
    const key = JSON.parse(min.slice(i, keyEnd)) as string;
    const valueStart = keyEnd + 1;
    let depth = 0;
    let j = valueStart;
    for (; j < min.length; j++) {
      const c = min[j];
      if (c === '"') {
        j = skipString(min, j) - 1;
      } else if (c === '{' || c === '[') {
        depth++;
      } else if (c === '}' || c === ']') {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) {
        break;
      }
    }
    const raw = min.slice(valueStart, j);
    const seen = index.get(key);
    if (seen === undefined) {
      index.set(key, entries.length);
      entries.push({ key, raw });
    } else {
      entries[seen] = { key, raw };
    }
    i = min[j] === ',' ? j + 1 : j;
  }
  return entries;
}
