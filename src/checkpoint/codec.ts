/**
 * The checkpoint file's format, in one place: the store writes through
 * `encodeCheckpoints`, and both the store and `kinesis-agent status` read
 * through `decodeCheckpoints`.
 *
 *   { "version": 2,
 *     "entries":  [CheckpointEntry, ...],
 *     "imported": { "<flow id>": { "from": "<database path>", "at": <ms> } } }
 *
 * Version 1 is the same without `imported` (a file without `version` is read
 * as 1). A version above CHECKPOINT_FORMAT_VERSION was written by a newer
 * agent: it is reported as such, never taken for corrupt, so a downgrade
 * does not throw away the newer agent's progress.
 */
import { parseEntry, type CheckpointEntry } from './entry.js';

export const CHECKPOINT_FORMAT_VERSION = 2;

/** A flow whose Kinesis Agent checkpoints were imported (once; see src/migrate/). */
export interface ImportMark {
  /** The Kinesis Agent's checkpoint database the rows came from. */
  from: string;
  /** ms since epoch. */
  at: number;
}

export interface CheckpointFileContents {
  entries: CheckpointEntry[];
  imported: Record<string, ImportMark>;
}

export type DecodedCheckpoints =
  | { kind: 'ok'; version: number; contents: CheckpointFileContents; malformedEntries: number }
  /** Not a checkpoint file at all (truncated, not JSON, no entries list). */
  | { kind: 'corrupt'; reason: string }
  /** Written by a newer agent: this one cannot know what its fields mean. */
  | { kind: 'newer'; version: number }
  /** The Kinesis Agent's SQLite database: import it, never overwrite it. */
  | { kind: 'sqlite' };

/** The first 16 bytes of every SQLite 3 database file. */
const SQLITE_HEADER = 'SQLite format 3\u0000';

/** The file's text for these contents, at the current version. */
export function encodeCheckpoints(contents: CheckpointFileContents): string {
  const body: Record<string, unknown> = { version: CHECKPOINT_FORMAT_VERSION, entries: contents.entries };
  if (Object.keys(contents.imported).length > 0) body.imported = contents.imported;
  return JSON.stringify(body);
}

/**
 * Reads a checkpoint file's text. Never throws: what is wrong with the text
 * is the result's kind. Entries that are not well formed are counted and
 * left out (`malformedEntries`); the rest of the file still counts.
 */
export function decodeCheckpoints(text: string): DecodedCheckpoints {
  if (text.startsWith(SQLITE_HEADER)) return { kind: 'sqlite' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'corrupt', reason: 'not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { kind: 'corrupt', reason: 'not a JSON object' };
  const body = parsed as Record<string, unknown>;
  const version = body.version === undefined ? 1 : body.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    return { kind: 'corrupt', reason: `version ${JSON.stringify(version)} is not a format version` };
  }
  if (version > CHECKPOINT_FORMAT_VERSION) return { kind: 'newer', version };
  if (!Array.isArray(body.entries)) return { kind: 'corrupt', reason: 'no entries list' };
  const entries: CheckpointEntry[] = [];
  let malformedEntries = 0;
  for (const raw of body.entries) {
    const e = parseEntry(raw);
    if (e) entries.push(e);
    else malformedEntries++;
  }
  return { kind: 'ok', version, contents: { entries, imported: version >= 2 ? parseImported(body.imported) : {} }, malformedEntries };
}

function parseImported(raw: unknown): Record<string, ImportMark> {
  const out: Record<string, ImportMark> = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return out;
  for (const [flowId, mark] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof mark !== 'object' || mark === null) continue;
    const m = mark as Record<string, unknown>;
    if (typeof m.from === 'string' && typeof m.at === 'number' && Number.isFinite(m.at)) out[flowId] = { from: m.from, at: m.at };
  }
  return out;
}
