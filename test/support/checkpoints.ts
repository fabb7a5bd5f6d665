/**
 * What an agent's checkpoint file on disk says about the lines of its files,
 * for tests that stop or kill the agent: which lines a restart may send
 * again.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { decodeCheckpoints } from '../../src/checkpoint/codec.ts';
import type { CheckpointEntry } from '../../src/checkpoint/entry.ts';

/** The entries of the checkpoint file on disk now; none before its first write. */
export function checkpointEntries(path: string): CheckpointEntry[] {
  if (!existsSync(path)) return [];
  const decoded = decodeCheckpoints(readFileSync(path, 'utf8'));
  if (decoded.kind !== 'ok') throw new Error(`checkpoint file ${path}: ${decoded.kind}`);
  return decoded.contents.entries;
}

/**
 * The lines of `files` that the checkpoint on disk covers (below its offset
 * for the file's device and inode), and those it does not. Read while the
 * agent is dead, the uncovered lines are what a restart may send again
 * (docs/guarantees.md: after a kill, the calls in flight and what was
 * acknowledged since the last checkpoint write, all beyond the offsets).
 */
export function linesByCheckpoint(files: string[], checkpointPath: string): { covered: Set<string>; uncovered: Set<string> } {
  const offsets = new Map(checkpointEntries(checkpointPath).map((e) => [`${e.dev}:${e.ino}`, e.offset]));
  const covered = new Set<string>();
  const uncovered = new Set<string>();
  for (const path of files) {
    const st = statSync(path, { bigint: true });
    const offset = offsets.get(`${st.dev}:${st.ino}`) ?? 0;
    let at = 0;
    for (const line of readFileSync(path).toString('latin1').split(/(?<=\n)/)) {
      if (!line) continue;
      at += line.length;
      (at <= offset ? covered : uncovered).add(line);
    }
  }
  for (const line of covered) uncovered.delete(line);
  return { covered, uncovered };
}
