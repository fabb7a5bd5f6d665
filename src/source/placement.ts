import type { CheckpointEntry } from '../checkpoint/entry.js';
import type { InitialPosition } from '../config/types.js';
import { hasWholeFirstLine, matchesStored } from './fingerprint.js';

/**
 * Where reading of a newly opened file starts: one decision, made once per
 * file, from the file's first bytes and size, the checkpoints and the flow's
 * history. `O` is a live file this one may be a copy of, `E` the remembered
 * content of a truncated one (both opaque here).
 */
export type Placement<O, E> =
  /** Not enough of the file yet to tell a new file from a copy being written: ask again when it grows. */
  | { kind: 'wait' }
  /** Its own checkpoint: go on from there. */
  | { kind: 'resume'; offset: number }
  /** From its first byte. */
  | { kind: 'start'; why: StartReason }
  /** `initialPosition: END_OF_FILE` for a flow that has never run: its end (as it was at start-up). */
  | { kind: 'end'; offset: number }
  /** Begins like a live file: maybe logrotate's copy of it; held until that is known (copytruncate.ts). */
  | { kind: 'hold'; original: O }
  /** Begins like a file truncated a moment ago: its copy; read from where the original stopped. */
  | { kind: 'after-truncated'; epoch: E }
  /** At start-up: begins like a checkpointed file of another inode, a copy made while the agent was away. */
  | { kind: 'copy-of-checkpoint'; offset: number; skippedBelow?: number };

export type StartReason =
  /** Appeared while the agent runs, or (invariant 6) while a flow that had run was away. */
  | 'new'
  /** Its inode has a checkpoint for other first bytes: truncated or reused while the agent was away. */
  | 'reused-inode'
  /** Its checkpoint is past its end: truncated while the agent was away. */
  | 'shrunk'
  /** Its checkpoint was taken while it was empty. */
  | 'was-empty'
  /** `initialPosition: START_OF_FILE`, or a file of a flow's first run found after start-up. */
  | 'initial-position';

export interface PlacementInput<O, E> {
  /** The file's first bytes (up to FINGERPRINT_MAX_BYTES) and its size in bytes. */
  prefix: Buffer;
  size: number;
  /** Found by the flow's first scan (start-up), rather than while running. */
  atStartup: boolean;
  /** No longer matched by the patterns: it will not grow into a whole first line, place it now. */
  gone: boolean;
  /** This file's (dev, ino) checkpoint, if any. */
  entry: CheckpointEntry | undefined;
  /**
   * At start-up: the flow's checkpoints as they were before anything was
   * placed, less those whose file is still there intact (same first bytes,
   * not shorter): a file that begins like one of those is a look-alike, not
   * a copy made while the agent was away.
   */
  checkpoints: readonly CheckpointEntry[];
  /** While running: a live file this one begins like. */
  liveOriginal: O | undefined;
  /** While running: a truncated file's content this one begins like. */
  truncatedOriginal: E | undefined;
  /**
   * The flow has run before (it has checkpoints of its own, written by this
   * agent or imported). Then `initialPosition` no longer applies: a file
   * without a checkpoint appeared while it was away (DESIGN invariant 6).
   */
  flowHasRun: boolean;
  initialPosition: InitialPosition;
  /** For a file found at start-up but opened later (the open-file cap): its size at start-up. */
  sizeAtStartup: number | undefined;
}

/**
 * The placement rules, in order (the first that applies decides):
 *
 * 1. its own checkpoint with matching first bytes: resume there (from 0 if
 *    the file is now shorter than the checkpoint);
 * 2. its own checkpoint taken while it was empty: from 0;
 * 3. found while running without a whole first line (nor 1 KiB): wait;
 * 4. while running, begins like a live file: hold as a possible copy;
 *    like a file just truncated: its copy, after what the original gave;
 * 5. at start-up, begins like another inode's checkpoint: that offset;
 * 6. its inode has a checkpoint for other content: from 0;
 * 7. `END_OF_FILE`, the flow has never run, found at start-up: its end;
 * 8. otherwise from 0.
 *
 * Pure: no I/O, no clock; tested as a table (test/source/placement.test.ts).
 */
export function decidePlacement<O, E>(input: PlacementInput<O, E>): Placement<O, E> {
  const { prefix, size, entry } = input;
  if (entry && matchesStored(prefix, entry.fingerprint, entry.fingerprintBytes)) {
    return entry.offset <= size ? { kind: 'resume', offset: entry.offset } : { kind: 'start', why: 'shrunk' };
  }
  if (entry && entry.fingerprintBytes === 0 && entry.offset === 0) return { kind: 'start', why: 'was-empty' };
  if (!input.atStartup && !input.gone && !hasWholeFirstLine(prefix, size)) return { kind: 'wait' };
  if (!input.atStartup) {
    if (input.liveOriginal !== undefined) return { kind: 'hold', original: input.liveOriginal };
    if (input.truncatedOriginal !== undefined) return { kind: 'after-truncated', epoch: input.truncatedOriginal };
  } else {
    for (const e of input.checkpoints) {
      if (entry && e.dev === entry.dev && e.ino === entry.ino) continue;
      if (matchesStored(prefix, e.fingerprint, e.fingerprintBytes)) {
        const offset = Math.min(e.offset, size);
        // What initialPosition skipped in the original is in the copy too, unsent.
        return { kind: 'copy-of-checkpoint', offset, ...(e.skippedBelow ? { skippedBelow: Math.min(e.skippedBelow, offset) } : {}) };
      }
    }
  }
  if (entry) return { kind: 'start', why: 'reused-inode' };
  if (input.flowHasRun) return { kind: 'start', why: 'new' };
  if (input.initialPosition === 'END_OF_FILE' && (input.atStartup || input.sizeAtStartup !== undefined)) {
    return { kind: 'end', offset: Math.min(input.sizeAtStartup ?? size, size) };
  }
  return { kind: 'start', why: input.atStartup || input.sizeAtStartup !== undefined ? 'initial-position' : 'new' };
}
