/**
 * Acting on a finished file (`afterShipping: delete | rename`), once
 * decideFinish (after-shipping.ts) said so. Before touching it, checks what
 * the decision cannot see: the checkpoint file on disk names the file's end
 * (so no restart reads it again, and nothing is removed on the strength of
 * an ack held only in memory), and its name still leads to that very file,
 * not grown, not through a symlink.
 */
import { lstat, readFile, rename, unlink } from 'node:fs/promises';
import { decodeCheckpoints } from '../checkpoint/codec.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import type { AfterShippingConfig } from '../config/types.js';
import type { Conditions } from '../events/conditions.js';
import type { FlowEvents } from '../events/flow-events.js';
import type { Logger } from '../log.js';
import type { RotationReason } from './after-shipping.js';
import { matchesStored } from './fingerprint.js';
import { displayPath, identityKey, type FilePath } from './identity.js';
import type { PatternSet } from './patterns.js';

/** What was done with a finished file, as /status lists it. */
export interface FinishedFile {
  path: string;
  action: 'deleted' | 'renamed';
  /** With `renamed`: the new name. */
  to?: string;
  bytes: number;
  /** Why it counted as finished: how it was rotated, or `quiet`. */
  finishedAs: RotationReason | 'quiet';
  /** ms since epoch. */
  at: number;
}

/** A file about to be acted upon: who it is and where. */
export interface FinishTarget {
  key: string;
  dev: string;
  ino: string;
  path: string;
  fsPath: FilePath;
  size: number;
  /** Its first bytes, to know other flows' checkpoints of it (taken at any length). */
  prefix: Buffer;
}

export type ActResult =
  /** Deleted or renamed. */
  | { kind: 'done'; file: FinishedFile }
  /** Not now (the checkpoint on disk is behind, a failure): try again at `retryAt` (monotonic ms). */
  | { kind: 'retry'; why: string; retryAt: number }
  /** Its name no longer leads to it as it was: leave it to the rescan. */
  | { kind: 'changed'; why: string };

/** How many finished files /status remembers, newest first. */
const DONE_KEPT = 100;
/** First wait after a failure; doubled up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 5_000;
const RETRY_MAX_MS = 300_000;
/** Checkpoint not on disk yet: it is written within about a second. */
const DURABLE_RETRY_MS = 1_000;
/** Another flow reading the same file is behind: it may take a while (an outage of its destination). */
const OTHER_FLOW_RETRY_MS = 10_000;

/** Errors a person can fix, with what to do. */
const HINTS: Record<string, (dir: string) => string> = {
  EACCES: (dir) => `the agent's user needs write and search permission on ${dir} to remove or rename files there`,
  EPERM: (dir) => `${dir} or the file is protected (sticky bit owned by another user, immutable or append-only attribute)`,
  EBUSY: () => 'the file is in use by the system (a mount point, or locked on this file system); retried later',
  EROFS: (dir) => `${dir} is on a read-only file system: afterShipping cannot work there`,
  EEXIST: () => 'a file already has the new name: move it away, or choose another afterShippingSuffix',
};

/** Why `t`'s name no longer leads to it as it was read (not a symlink, the same file, the same size); undefined when it does. */
async function changed(t: FinishTarget): Promise<(ActResult & { kind: 'changed' }) | undefined> {
  const st = await lstat(t.fsPath, { bigint: true }).catch(() => undefined);
  if (!st) return { kind: 'changed', why: 'its name leads to no file now' };
  if (st.isSymbolicLink()) return { kind: 'changed', why: 'reached through a symlink: the link is not the file' };
  if (identityKey(st.dev.toString(), st.ino.toString()) !== t.key) return { kind: 'changed', why: 'its name leads to another file now' };
  if (Number(st.size) !== t.size) return { kind: 'changed', why: 'it changed size since it was read to its end' };
  return undefined;
}

export class FinishActions {
  private readonly cfg: AfterShippingConfig;
  private readonly flowId: string;
  private readonly store: CheckpointStore;
  private readonly patterns: PatternSet;
  private readonly log: Logger;
  private readonly conditions: Conditions;
  private readonly metrics: FlowEvents;
  private readonly attempts = new Map<string, number>();
  private readonly finished: FinishedFile[] = [];

  constructor(opts: { config: AfterShippingConfig; flowId: string; store: CheckpointStore; patterns: PatternSet; log: Logger; metrics: FlowEvents }) {
    this.cfg = opts.config;
    this.flowId = opts.flowId;
    this.store = opts.store;
    this.patterns = opts.patterns;
    this.log = opts.log;
    this.conditions = opts.metrics.conditions;
    this.metrics = opts.metrics;
  }

  /** Files acted upon by this process, newest first (at most DONE_KEPT). */
  get done(): readonly FinishedFile[] {
    return this.finished;
  }

  /**
   * Deletes or renames `t` (finished as `finishedAs`); `now` is monotonic
   * ms. Never throws: a failure is a condition (logged once per change,
   * listed on /status with a hint) and a retry later.
   */
  async act(t: FinishTarget, finishedAs: RotationReason | 'quiet', now: number): Promise<ActResult> {
    // Looked at before the checkpoint file is read back (a symlink asks again every turn), and again after.
    const before = await changed(t);
    if (before) return before;
    const durable = await this.durable(t);
    if (durable !== true) return { kind: 'retry', why: durable.why, retryAt: now + (durable.otherFlow ? OTHER_FLOW_RETRY_MS : DURABLE_RETRY_MS) };
    const after = await changed(t);
    if (after) return after;
    const dir = t.path.slice(0, t.path.lastIndexOf('/') + 1) || '/';
    const key = `finish:${t.key}`;
    let to: FilePath | undefined;
    try {
      if (this.cfg.action === 'delete') {
        await unlink(t.fsPath);
      } else {
        to = typeof t.fsPath === 'string' ? t.fsPath + this.cfg.suffix : Buffer.concat([t.fsPath, Buffer.from(this.cfg.suffix)]);
        // Config refuses suffixes the patterns match; a pattern that only
        // some names reach (`app.log.*[0-9]*`) is caught here.
        if (this.patterns.matches(displayPath(to))) {
          return this.failed(t, key, dir, now, 'MATCHES', `the new name ${displayPath(to)} matches the flow's patterns; not renamed (it would be read again)`);
        }
        if (await lstat(to).then(() => true, () => false)) {
          return this.failed(t, key, dir, now, 'EEXIST', `cannot rename finished file: ${displayPath(to)} exists; will retry`);
        }
        await rename(t.fsPath, to);
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'FAILING';
      if (code === 'ENOENT') return { kind: 'changed', why: 'removed by someone else meanwhile' };
      return this.failed(t, key, dir, now, code, `cannot ${this.cfg.action} finished file; will retry`, String(err));
    }
    this.attempts.delete(t.key);
    this.conditions.clear(key);
    const file: FinishedFile = {
      path: t.path,
      action: this.cfg.action === 'delete' ? 'deleted' : 'renamed',
      ...(to !== undefined ? { to: displayPath(to) } : {}),
      bytes: t.size,
      finishedAs,
      at: Date.now(),
    };
    this.metrics.filesFinished++;
    this.finished.unshift(file);
    if (this.finished.length > DONE_KEPT) this.finished.length = DONE_KEPT;
    this.log.info({ ...file, at: undefined }, file.action === 'deleted' ? 'finished file deleted: every line acknowledged' : 'finished file renamed: every line acknowledged');
    return { kind: 'done', file };
  }

  /** The file is no longer tailed: forget its failures. */
  forget(key: string): void {
    this.attempts.delete(key);
    this.conditions.forget(`finish:${key}`);
  }

  private failed(t: FinishTarget, key: string, dir: string, now: number, code: string, message: string, err?: string): ActResult {
    this.metrics.fileFinishErrors++;
    const n = (this.attempts.get(t.key) ?? 0) + 1;
    this.attempts.set(t.key, n);
    const hint = HINTS[code]?.(dir) ?? (code === 'MATCHES' ? 'choose an afterShippingSuffix the patterns do not match, or exclude it with excludePatterns' : undefined);
    this.conditions.raise(key, {
      state: code,
      message,
      fields: { path: t.path, ...(err ? { err } : {}), ...(hint ? { hint } : {}) },
      clearedMessage: `finished file: ${this.cfg.action} works now`,
    });
    const wait = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (n - 1));
    return { kind: 'retry', why: `${code}: ${hint ?? message}`, retryAt: now + wait };
  }

  /**
   * True when the checkpoint file on disk names `t`'s end, for this flow
   * and for every other flow that has read the file (two flows may ship one
   * file to two streams: the file goes only when both are done); else why
   * not. Read back rather than trusted: a write that failed (full disk)
   * leaves the store's memory ahead of the disk.
   */
  private async durable(t: FinishTarget): Promise<true | { why: string; otherFlow?: true }> {
    await this.store.flush();
    let text: string;
    try {
      text = await readFile(this.store.path, 'utf8');
    } catch (err) {
      return { why: `checkpoint file not readable (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
    }
    const decoded = decodeCheckpoints(text);
    if (decoded.kind !== 'ok') return { why: 'checkpoint file not readable' };
    // An entry taken while the file was empty is of this file too (its offset says how far that flow got: 0).
    const ofFile = decoded.contents.entries.filter(
      (x) => x.dev === t.dev && x.ino === t.ino && (x.fingerprintBytes === 0 || matchesStored(t.prefix, x.fingerprint, x.fingerprintBytes)),
    );
    const own = ofFile.find((x) => x.flowId === this.flowId);
    if (!own || own.offset < t.size) return { why: 'checkpoint of its end not on disk yet' };
    const behind = ofFile.find((x) => x.flowId !== this.flowId && x.offset < t.size);
    if (behind) return { why: `flow ${behind.flowId} reads it too and has ${t.size - behind.offset} bytes of it to ship`, otherFlow: true };
    return true;
  }
}
