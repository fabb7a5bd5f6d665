import type { Logger } from '../log.js';
import { readPrefix, samePrefix } from './fingerprint.js';
import { statHandle } from './identity.js';
import type { Epoch, Tailer } from './tailer.js';

/** How long a truncated file's old content is remembered, for its copy to be found. */
const EPOCH_MEMORY_MS = 120_000;

/**
 * logrotate's copytruncate: a new file with the first bytes of one we read is
 * its copy. It waits until the original's truncation is seen, then reads
 * from where reading of the original stopped: lines not read from the
 * original come from the copy, none twice.
 */
export class CopyTruncate {
  private readonly tailers: Map<string, Tailer>;
  private readonly log: Logger;
  /** Contents gone by truncation, kept a while for a copy found late. */
  private epochs: { at: number; epoch: Epoch }[] = [];
  /**
   * Placed files by their first line: a copy shares at least that, so the
   * original is found without comparing with every file. Built when needed,
   * dropped whenever first bytes may have changed.
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

  /**
   * Places `t` if it is a copy: waiting on a live original, or begun after a
   * truncated one. False when it is a file of its own.
   */
  placeIfCopy(t: Tailer, size: number): boolean {
    const line = firstLine(t.prefix);
    if (line === undefined) return false;
    const index = this.index();
    for (const other of index.get(line) ?? []) {
      if (other.waitingFor || !other.placed || other.key === t.key || this.tailers.get(other.key) !== other) continue;
      if (samePrefix(other.prefix, t.prefix)) {
        t.waitingFor = other;
        other.copies.push(t);
        t.begin(0, 0, false);
        return true;
      }
    }
    for (let i = this.epochs.length - 1; i >= 0; i--) {
      const e = this.epochs[i]!;
      if (samePrefix(e.epoch.prefix, t.prefix)) {
        this.epochs.splice(i, 1);
        this.begin(t, e.epoch, size);
        return true;
      }
    }
    index.set(line, [...(index.get(line) ?? []), t]);
    return false;
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
    await this.release(original, { prefix: original.prefix, frontier: original.framer.frontier, tracker: original.tracker });
  }

  /**
   * A waiting copy is watched: one that grows apart from its "original" (a
   * new log that merely starts with the same line) is a file of its own,
   * read from its start. 'gone' when it was deleted while waiting.
   */
  async recheck(t: Tailer): Promise<'waiting' | 'own' | 'gone'> {
    const original = t.waitingFor;
    if (!original || !t.fh) return 'waiting';
    if (t.gone) {
      unlink(original, t);
      return 'gone';
    }
    const st = await statHandle(t.fh).catch(() => undefined);
    if (!st || st.size === t.size) return 'waiting';
    t.size = st.size;
    t.mtimeMs = st.mtimeMs;
    const prefix = await readPrefix(t.fh, st.size).catch(() => undefined);
    if (!prefix) return 'waiting';
    t.prefix = prefix;
    if (samePrefix(original.prefix, prefix)) return 'waiting';
    unlink(original, t);
    t.begin(0);
    this.lineIndex = undefined;
    this.log.debug({ path: t.path }, 'not a copy after all: reading it from its start');
    return 'own';
  }

  private async release(original: Tailer, epoch: Epoch): Promise<void> {
    for (const copy of original.copies.splice(0)) {
      copy.waitingFor = undefined;
      if (!copy.fh) continue;
      let size = copy.size;
      try {
        size = (await statHandle(copy.fh)).size;
      } catch {
        /* keep the last known size */
      }
      this.begin(copy, epoch, size);
    }
  }

  private begin(copy: Tailer, epoch: Epoch, size: number): void {
    const start = Math.min(epoch.frontier, size);
    // Bytes below `start` were read from the original; they are done for the
    // copy only once the original's tracker has them acked.
    const committed = Math.min(epoch.tracker.committed, start);
    copy.size = size;
    copy.begin(start, committed);
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
      if (!t.placed || t.waitingFor) continue;
      const line = firstLine(t.prefix);
      if (line === undefined) continue;
      const list = index.get(line);
      if (list) list.push(t);
      else index.set(line, [t]);
    }
    this.lineIndex = index;
    return index;
  }
}

function unlink(original: Tailer, copy: Tailer): void {
  const i = original.copies.indexOf(copy);
  if (i >= 0) original.copies.splice(i, 1);
  copy.waitingFor = undefined;
}

/** The first line of a prefix, `\n` included, as a map key; undefined without one. */
function firstLine(prefix: Buffer): string | undefined {
  const nl = prefix.indexOf(0x0a);
  return nl === -1 ? undefined : prefix.toString('latin1', 0, nl + 1);
}
