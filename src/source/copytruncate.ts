import type { Logger } from '../log.js';
import { prefixKey, readPrefix, samePrefix } from './fingerprint.js';
import { pollHandle, statHandle, statPath } from './identity.js';
import type { Epoch, Tailer } from './tailer.js';

/** How long a truncated file's old content is remembered, for its copy to be found. */
const EPOCH_MEMORY_MS = 120_000;

/**
 * How long a copy candidate is held, in monotonic ms. logrotate truncates
 * right after copying, so a real copy is settled within moments of being
 * written: a candidate that has not grown for COPY_QUIET_MS while its
 * "original" was not truncated is a file of its own (two logs rotated
 * together, a shared CSV header or banner, rsyslog writing one line to two
 * files). One that keeps growing like its original is let go after
 * COPY_HOLD_MAX_MS in all: at worst a copy written slower than that (a file
 * of gigabytes) is read again from its start (duplicates, never a loss).
 */
export const COPY_QUIET_MS = 1_000;
export const COPY_HOLD_MAX_MS = 10_000;

/**
 * logrotate's copytruncate: a new file with the first bytes of one we read
 * may be its copy. It is held (nothing read, no checkpoint) until the
 * original's truncation is seen, then read from where reading of the
 * original stopped: lines not read from the original come from the copy,
 * none twice. A candidate that grows apart from its original, or is not
 * followed by a truncation soon (COPY_QUIET_MS, COPY_HOLD_MAX_MS), is read
 * from its start as the new file it is.
 */
export class CopyTruncate {
  private readonly tailers: Map<string, Tailer>;
  private readonly log: Logger;
  /** Contents gone by truncation, kept a while for a copy found late. */
  private epochs: { at: number; epoch: Epoch }[] = [];
  /**
   * Files being read, by their first line (or whole fingerprint, prefixKey): a copy shares at least that, so
   * the original is found without comparing with every file. Built when
   * needed, dropped whenever first bytes may have changed.
   */
  private lineIndex: Map<string, Tailer[]> | undefined;

  constructor(tailers: Map<string, Tailer>, log: Logger) {
    this.tailers = tailers;
    this.log = log;
  }

  /** First bytes may have changed (a scan, a truncation, a file placed late). */
  invalidate(now: number): void {
    this.lineIndex = undefined;
    this.epochs = this.epochs.filter((e) => now - e.at < EPOCH_MEMORY_MS);
  }

  /** A live file being read that `t` begins like, if any. */
  liveOriginalOf(t: Tailer): Tailer | undefined {
    const line = prefixKey(t.prefix);
    if (line === undefined) return undefined;
    for (const other of this.index().get(line) ?? []) {
      if (!isPlaced(other) || other.key === t.key || this.tailers.get(other.key) !== other) continue;
      if (samePrefix(other.prefix, t.prefix)) return other;
    }
    return undefined;
  }

  /** The content of a file truncated a moment ago that `t` begins like, if any. */
  truncatedOriginalOf(t: Tailer): Epoch | undefined {
    for (let i = this.epochs.length - 1; i >= 0; i--) {
      const e = this.epochs[i]!.epoch;
      if (samePrefix(e.prefix, t.prefix)) return e;
    }
    return undefined;
  }

  /** `t` was placed to be read: later files may be copies of it. */
  reading(t: Tailer): void {
    const line = prefixKey(t.prefix);
    if (line === undefined || !this.lineIndex) return;
    const list = this.lineIndex.get(line);
    if (list) list.push(t);
    else this.lineIndex.set(line, [t]);
  }

  /** Holds `t` as a possible copy of `original`. */
  hold(t: Tailer, original: Tailer, now: number): void {
    t.holdFor(original, now);
    this.log.debug({ path: t.path, original: original.path }, 'begins like a file being read: held as a possible copy');
  }

  /** `t` is the copy of a file truncated a moment ago: read what the original had not given. */
  continueFrom(t: Tailer, epoch: Epoch, size: number): void {
    const i = this.epochs.findIndex((e) => e.epoch === epoch);
    if (i >= 0) this.epochs.splice(i, 1);
    this.begin(t, epoch, size);
  }

  /** `original` was truncated: remember what it was, and let its copies go on. */
  async truncated(original: Tailer, epoch: Epoch, now: number): Promise<void> {
    this.lineIndex = undefined;
    this.epochs.push({ at: now, epoch });
    await this.release(original, epoch);
  }

  /** `original` is let go (read to its end): its copies hold nothing it did not give. */
  async originalGone(original: Tailer): Promise<void> {
    if (original.copies.length === 0) return;
    await this.release(original, { prefix: original.prefix, frontier: original.framer.frontier, tracker: original.tracker, skippedBelow: original.skippedBelow });
  }

  /**
   * One turn of a held candidate (`now` monotonic ms): 'own' once it is
   * known to be a file of its own (it grew apart from its original, or no
   * truncation followed in time) and is placed at 0; 'gone' when it left
   * the patterns while held (its bytes are the original's); else 'held'.
   */
  async recheck(t: Tailer, now: number): Promise<'held' | 'own' | 'gone'> {
    const hold = t.hold;
    if (!hold || !t.fh) return 'held';
    if (t.gone) {
      t.unhold();
      return 'gone';
    }
    const st = await statHandle(t.fh).catch(() => undefined);
    if (!st) return 'held';
    if (st.size !== hold.size) {
      t.size = st.size;
      t.mtimeMs = st.mtimeMs;
      t.grew(st.size, now);
      const prefix = await readPrefix(t.fh, st.size).catch(() => undefined);
      if (!prefix) return 'held';
      t.prefix = prefix;
      if (!samePrefix(hold.original.prefix, prefix)) return this.own(t, now, 'it grew apart from it');
    }
    const quiet = now - hold.grewAt >= COPY_QUIET_MS;
    const tooLong = now - hold.since >= COPY_HOLD_MAX_MS;
    if (!quiet && !tooLong) return 'held';
    // The original may have been truncated without our having looked yet
    // (reading paused behind a full queue): its own turn will release this
    // copy from where it stopped, so wait for that.
    if (await wasTruncated(hold.original)) {
      hold.original.nudge();
      return 'held';
    }
    // Deleted or renamed while held, and no rescan has said which yet (this
    // turn came late, on a loaded machine): read from its start, a deleted
    // copy would send its original's lines again. Wait for the rescan: it
    // marks the candidate gone (dropped above) or moved.
    const at = await statPath(t.fsPath);
    if (at?.key !== t.key) {
      t.nudge();
      return 'held';
    }
    return this.own(t, now, quiet ? `no truncation followed within ${COPY_QUIET_MS} ms` : `held ${COPY_HOLD_MAX_MS} ms`);
  }

  private own(t: Tailer, now: number, why: string): 'own' {
    const hold = t.hold!;
    t.unhold();
    t.place(0);
    this.reading(t);
    this.log.info({ path: t.path, like: hold.original.path, heldMs: Math.round(now - hold.since), why }, 'not a copy: reading it from its start');
    return 'own';
  }

  private async release(original: Tailer, epoch: Epoch): Promise<void> {
    for (const copy of [...original.copies]) {
      if (!copy.fh) {
        copy.unhold();
        continue;
      }
      let size = copy.size;
      try {
        size = (await statHandle(copy.fh)).size;
      } catch {
        /* keep the last known size */
      }
      // A candidate that grew apart since its last look (a look-alike
      // written to while the other file was rewritten) is no copy: reading
      // it from the original's frontier would skip its own lines.
      const prefix = size > copy.prefix.length ? await readPrefix(copy.fh, size).catch(() => undefined) : copy.prefix;
      if (prefix && !samePrefix(epoch.prefix, prefix)) {
        copy.prefix = prefix;
        copy.size = size;
        this.own(copy, performance.now(), 'it grew apart from it');
        continue;
      }
      copy.unhold();
      this.begin(copy, epoch, size);
    }
  }

  private begin(copy: Tailer, epoch: Epoch, size: number): void {
    const start = Math.min(epoch.frontier, size);
    // Bytes below `start` were read from the original; they are done for the
    // copy only once the original's tracker has them acked.
    const committed = Math.min(epoch.tracker.committed, start);
    copy.size = size;
    copy.rotatedAs = 'copy';
    copy.skippedBelow = Math.min(epoch.skippedBelow, start);
    copy.place(start, committed);
    if (committed < start) {
      const tracker = copy.tracker;
      epoch.tracker.whenCommitted(start, () => tracker.ack(committed, start));
    }
    this.log.info({ path: copy.path, from: start }, 'copy of a truncated file: reading what the original had not');
  }

  private index(): Map<string, Tailer[]> {
    if (this.lineIndex) return this.lineIndex;
    const index = new Map<string, Tailer[]>();
    for (const t of this.tailers.values()) {
      if (!isPlaced(t)) continue;
      const line = prefixKey(t.prefix);
      if (line === undefined) continue;
      const list = index.get(line);
      if (list) list.push(t);
      else index.set(line, [t]);
    }
    this.lineIndex = index;
    return index;
  }
}

/** Read from a decided place (reading, parked or finished): a file others may be copies of. */
function isPlaced(t: Tailer): boolean {
  return t.kind !== 'placing' && t.kind !== 'held';
}

/** Is `t` shorter than what was read of it, or do its first bytes differ from those it was known by? */
async function wasTruncated(t: Tailer): Promise<boolean> {
  if (!t.fh) {
    // Parked: its path leads to it (or it would not be parked).
    const st = await statPath(t.fsPath);
    return st !== undefined && st.key === t.key && st.size < t.readOffset;
  }
  try {
    const { size } = pollHandle(t.fh);
    if (size < t.readOffset || size < t.prefix.length) return true;
    if (t.prefix.length === 0) return false;
    return !(await readPrefix(t.fh, t.prefix.length)).equals(t.prefix);
  } catch {
    return false;
  }
}
