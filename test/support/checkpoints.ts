/**
 * What an agent's checkpoint file on disk says about the lines of its files,
 * for tests that stop or kill the agent: which lines a restart may send
 * again.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { decodeCheckpoints } from '../../src/checkpoint/codec.ts';
import type { CheckpointEntry } from '../../src/checkpoint/entry.ts';
import { matchesStored } from '../../src/source/fingerprint.ts';

/** The entries of the checkpoint file on disk now; none before its first write. */
export function checkpointEntries(path: string): CheckpointEntry[] {
  if (!existsSync(path)) return [];
  const decoded = decodeCheckpoints(readFileSync(path, 'utf8'));
  if (decoded.kind !== 'ok') throw new Error(`checkpoint file ${path}: ${decoded.kind}`);
  return decoded.contents.entries;
}

/** Whether the checkpoint on disk records `file` read to its end (every line of it acknowledged). */
export function checkpointAtEndOf(checkpointPath: string, file: string): boolean {
  const size = statSync(file).size;
  return checkpointEntries(checkpointPath).some((e) => e.offset === size);
}

/**
 * The lines of `files` that the checkpoint on disk covers, and those it does
 * not. An entry covers the bytes below its offset of the file with its
 * device and inode only while that file still begins with the entry's
 * fingerprint: a file truncated and written again since the entry was
 * written is read from its start at a restart (placement rule 1,
 * src/source/placement.ts), whatever its inode. Read while the agent is
 * dead, the uncovered lines are what a restart may send again
 * (docs/guarantees.md: after a kill, the calls in flight and what was
 * acknowledged since the last checkpoint write, all beyond the offsets).
 */
export function linesByCheckpoint(files: string[], checkpointPath: string): { covered: Set<string>; uncovered: Set<string> } {
  const entries = new Map(checkpointEntries(checkpointPath).map((e) => [`${e.dev}:${e.ino}`, e]));
  const covered = new Set<string>();
  const uncovered = new Set<string>();
  for (const path of files) {
    const st = statSync(path, { bigint: true });
    const content = readFileSync(path);
    const entry = entries.get(`${st.dev}:${st.ino}`);
    const offset = entry && matchesStored(content, entry.fingerprint, entry.fingerprintBytes) ? entry.offset : 0;
    let at = 0;
    for (const line of content.toString('latin1').split(/(?<=\n)/)) {
      if (!line) continue;
      at += line.length;
      (at <= offset ? covered : uncovered).add(line);
    }
  }
  for (const line of covered) uncovered.delete(line);
  return { covered, uncovered };
}
