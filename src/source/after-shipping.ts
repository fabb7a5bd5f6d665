/**
 * When a file is finished: the decision behind `afterShipping` (delete or
 * rename a file once everything in it is delivered). One pure function,
 * tested as a table (test/source/after-shipping.test.ts); the acting is in
 * finish-action.ts.
 *
 * The rule that matters most: never the file a writer is still writing
 * (the Kinesis Agent kept out of this for that reason, awslabs/amazon-kinesis-agent#3,
 * kinesis-agent-windows#17: "the agent has no way to know whether a log
 * file will or will not have more data"). So a file at the name it is
 * written under is never finished unless `afterShippingFiles: quiet` says
 * files are written once, and even then not the newest of its directory.
 */
import type { AfterShippingFiles } from '../config/flow-options.js';

/**
 * Why a file counts as rotated away from the name it was written under:
 * - `renamed`: seen renamed away (renamedAway) to another matching path while tailed;
 * - `renamed-since-checkpoint`: found at start renamed away from its
 *   checkpoint's name, which no longer leads to it (renamed while the agent
 *   was stopped, or before a commit recorded the new name);
 * - `copy`: a copytruncate copy (its original is the live file);
 * - `older-name`: its name extends another matching file's name in the same
 *   directory (`app.log.1`, `app.log-20261130` beside `app.log`), as
 *   logrotate and most loggers name rotated files.
 */
export type RotationReason = 'renamed' | 'renamed-since-checkpoint' | 'copy' | 'older-name';

export interface FinishFacts {
  files: AfterShippingFiles;
  /** Where the patterns see it: a gone file (deleted, or moved out of the patterns) has no known name to act on. */
  where: 'path' | 'renamed' | 'gone';
  /** Its reading is decided (false while placing or held as a possible copy). */
  placed: boolean;
  /** Bytes below this were skipped by `initialPosition: END_OF_FILE`, never sent; 0 when none. */
  skippedBelow: number;
  rotated: RotationReason | undefined;
  /** The most recently modified tailed file of its directory (only read with `files: quiet`). */
  newestInDirectory: boolean;
  /** Bytes: its size when last polled, what was read, handed out by the framer (as records or skipped) and acknowledged. */
  size: number;
  readOffset: number;
  framed: number;
  committed: number;
  /** Monotonic ms it has been read to its end without growing; -1 while bytes are unread. */
  quietMillis: number;
  /** Wall-clock ms since its last modification (mtime), which a restart does not reset. */
  sinceModifiedMillis: number;
  /** `afterShippingQuietMillis`. */
  periodMillis: number;
}

export type FinishDecision =
  /** Never acted upon as it is now (still written to, or no name left to act on). */
  | { kind: 'live'; why: string }
  /** A candidate, waiting for what `why` says. */
  | { kind: 'not-yet'; why: string }
  /** Quiet long enough, yet bytes wait in the framer (an unterminated last line): hand them out; acks follow. */
  | { kind: 'end-line' }
  /** Finished: act, once the checkpoint on disk says so too. */
  | { kind: 'finished'; rotated: RotationReason | 'quiet' };

/** Seconds, for people. */
const s = (ms: number) => `${Math.floor(ms / 1000)} s`;

/** Decides whether a tailed file is finished (see FinishFacts); the first rule that applies wins. */
export function decideFinish(f: FinishFacts): FinishDecision {
  if (f.where === 'gone') return { kind: 'live', why: 'gone from the patterns (deleted or moved away): no name to act on' };
  if (!f.placed) return { kind: 'not-yet', why: 'where reading starts is not decided yet' };
  // Not shipped is not finished: what initialPosition skipped was never acknowledged.
  if (f.skippedBelow > 0) return { kind: 'live', why: `its first ${f.skippedBelow} bytes were skipped (initialPosition: END_OF_FILE), never shipped` };
  let reason: RotationReason | 'quiet';
  if (f.rotated) reason = f.rotated;
  else if (f.files === 'rotated') return { kind: 'live', why: 'at the name it is written under (not rotated)' };
  else if (f.newestInDirectory) return { kind: 'live', why: 'the newest file of its directory: may still be written' };
  else reason = 'quiet';
  if (f.readOffset < f.size || f.quietMillis < 0) return { kind: 'not-yet', why: `being read (${Math.max(0, f.size - f.readOffset)} bytes unread)` };
  const quiet = Math.min(f.quietMillis, f.sinceModifiedMillis);
  if (quiet < f.periodMillis) return { kind: 'not-yet', why: `quiet for ${s(quiet)} of ${s(f.periodMillis)}` };
  if (f.framed < f.readOffset) return { kind: 'end-line' };
  if (f.committed < f.size) return { kind: 'not-yet', why: `${f.size - f.committed} bytes not acknowledged yet` };
  return { kind: 'finished', rotated: reason };
}

/**
 * Does a move from path `from` to path `to` take a file away from the name
 * it is written under? Not when its file name stays (its directory was
 * renamed: `v1/app.log` -> `current/app.log`), nor when its new name is the
 * start of its old one (a file moved into place: `app.log.next` ->
 * `app.log`): the writer may well write there. Every rotation gives the
 * file a name of its own (`app.log` -> `app.log.1`, `app.log.1` ->
 * `app.log.2`, `app.log` -> `old/app.log-20261130`, `current` -> `@4000...s`).
 */
export function renamedAway(from: string, to: string): boolean {
  return !split(from)[1].startsWith(split(to)[1]);
}

/**
 * Per directory, which tailed files have a name extending another's
 * (`app.log.1` beside `app.log`: the longer name, then a number or a date), and which is the most recently modified. Built from the files the
 * source tails that are not gone (all of them match the patterns).
 */
export class Siblings {
  private readonly names = new Map<string, Set<string>>();
  private readonly newest = new Map<string, { path: string; mtimeMs: number }>();

  constructor(files: Iterable<{ path: string; mtimeMs: number }>) {
    for (const f of files) {
      const [dir, name] = split(f.path);
      let set = this.names.get(dir);
      if (!set) this.names.set(dir, (set = new Set()));
      set.add(name);
      const n = this.newest.get(dir);
      if (!n || f.mtimeMs > n.mtimeMs) this.newest.set(dir, { path: f.path, mtimeMs: f.mtimeMs });
    }
  }

  /** Does another tailed file of the directory have a name this one's extends? */
  extendsAnother(path: string): boolean {
    const [dir, name] = split(path);
    const set = this.names.get(dir);
    if (!set) return false;
    for (let i = 1; i < name.length; i++) if (ROTATED_SUFFIX.test(name.slice(i)) && set.has(name.slice(0, i))) return true;
    return false;
  }

  isNewest(path: string): boolean {
    return this.newest.get(split(path)[0])?.path === path;
  }
}

/** What follows the live name in a rotated one: `app.log.1`, `app.log-20261130`, `app.log_old`, `app.log1`. */
/**
 * What rotation appends to a live name: a number or a date, maybe after a
 * separator (logrotate's `.1`, `-20261130`, `-2026-11-30-1764510000`,
 * `.20261130.1`; an application's `app.log.2026-11-30T14`). A name that
 * extends a live one with words (`app.log.err`, `app.log.old`) may be a live
 * file of its own: never taken for a rotated one.
 */
const ROTATED_SUFFIX = /^[.\-_]?\d[\d.\-_T:]*$/;

function split(path: string): [string, string] {
  const i = path.lastIndexOf('/');
  return [path.slice(0, i + 1), path.slice(i + 1)];
}
