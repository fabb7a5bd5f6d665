import type { FileHandle } from 'node:fs/promises';
import { CheckpointTracker } from '../checkpoint/tracker.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import type { FlowEvents } from '../events/flow-events.js';
import type { RecordSink } from '../pipeline/types.js';
import { Line } from '../pipeline/line.js';
import { FINGERPRINT_MAX_BYTES, hashPrefix, readPrefix } from './fingerprint.js';
import { renamedAway, type RotationReason } from './after-shipping.js';
import { Framer, type FramerOptions, type FramerOutput } from './framer.js';
import { displayPath, pollHandle, statPathSync, type FilePath, type FileStat } from './identity.js';
import { ReadChunks } from './read-chunks.js';

export interface TailerDeps {
  flowId: string;
  store: CheckpointStore;
  sink: RecordSink;
  metrics: FlowEvents;
  /** Framing options; `skipHeaderLines` applies whenever a file is read from offset 0. */
  framing: FramerOptions;
  /** A push was answered "slow down". */
  onBackpressure: () => void;
}

/** What is left of a file's content after it was truncated: for a copy to pick up. */
export interface Epoch {
  prefix: Buffer;
  /** Every byte below this was framed (sent or skipped) from the original. */
  frontier: number;
  tracker: CheckpointTracker;
  /** Bytes below this were skipped by initialPosition, never sent (Tailer.skippedBelow). */
  skippedBelow: number;
}

export type ReadResult = 'read' | 'idle' | 'truncated';

/** Where the file is as the patterns see it. */
export type Whereabouts =
  /** At the path it was found at. */
  | { at: 'path' }
  /** Renamed to another matching path (`app.log` -> `app.log.1`): it will not be written much longer. */
  | { at: 'renamed' }
  /** No longer matched (deleted, moved out of the patterns): read to its end through the descriptor. */
  | { at: 'gone'; was: 'path' | 'renamed' };

/** A held copytruncate candidate: what it waits for, since when (monotonic ms), and its growth. */
export interface Hold {
  original: Tailer;
  since: number;
  grewAt: number;
  size: number;
}

/**
 * A tailed file's life, one state at a time. Named transitions below move
 * it; nothing else writes it.
 *
 *   placing --place--> reading --park--> parked --reopened--> reading
 *      |                  ^   \--finish--> finished (footer: descriptor closed)
 *      +--hold--> held --place (as a copy, or as a file of its own)
 */
type TailState =
  /** Open; where reading starts is not decided yet (FileSource, placement.ts). */
  | { kind: 'placing'; where: Whereabouts }
  /** Begins like another live file: maybe its copy (copytruncate.ts); nothing read. */
  | { kind: 'held'; where: Whereabouts; hold: Hold }
  | { kind: 'reading'; where: Whereabouts }
  /** Descriptor given back over the open-file cap; reopened by path when it changes. Only files at their path park. */
  | { kind: 'parked'; wantsOpen: boolean }
  /** Its footer line was read: nothing after it is, and its descriptor is closed. */
  | { kind: 'finished'; where: Whereabouts };

export type TailKind = TailState['kind'];

const AT_PATH: Whereabouts = { at: 'path' };

/**
 * One file being tailed, through one open descriptor, from one offset: the
 * descriptor follows the file through renames and deletion, so what is
 * written to it is read however it is rotated.
 */
export class Tailer {
  readonly key: string;
  readonly dev: string;
  readonly ino: string;
  /** For people, status and comparing with listed paths. */
  path: string;
  /** For opening: the raw bytes when the name is not valid UTF-8. */
  fsPath: FilePath;
  fh: FileHandle | undefined;
  /** The file's first bytes (up to FINGERPRINT_MAX_BYTES), raw. */
  prefix: Buffer;
  size: number;
  mtimeMs: number;
  readOffset: number;
  framer!: Framer;
  tracker!: CheckpointTracker;
  /** Held copies waiting to learn where this file stopped. */
  readonly copies: Tailer[] = [];
  /**
   * Monotonic ms (performance.now()) since which the file is caught up; -1
   * while there is data to read. Intervals use the monotonic clock so that
   * a wall clock stepped back (NTP, a resumed VM) stalls nothing.
   */
  eofSince = -1;
  /**
   * Monotonic ms at which it was last seen renamed away or gone (-1 never):
   * the grace for late writes to a rotated file counts from here when that
   * came after it was caught up, so that a file quiet for long and then
   * rotated still gets its whole grace (a write just after the rename).
   */
  awaySince = -1;
  /** Wall clock ms of the last read, for status; 0 when never. */
  lastReadAt = 0;
  /** ms since epoch when the committed offset last moved (records acked). */
  lastCommitAt = 0;
  /** Whether 'read to its end' was logged for this opened file (debug, once). */
  endReported = false;
  /** Monotonic ms of the last stat. */
  lastPollAt = -Infinity;
  /** Monotonic ms of the last look at what the path leads to. */
  pathCheckedAt = -Infinity;
  /**
   * File-system events were trusted for its directory at that look
   * (EventWatcher.eventsTrusted): the looks are spaced by it (poll-schedule.ts).
   * Set by FileSource, which knows the watcher.
   */
  eventsTrustedAtPathCheck = false;
  /**
   * Known to be rotated away from the name it was written under without
   * having been seen renamed (a copytruncate copy, moved while the agent
   * was stopped): a fact about its past, for `afterShipping`.
   */
  rotatedAs: Exclude<RotationReason, 'renamed' | 'older-name'> | undefined;
  /**
   * Bytes below this were skipped by `initialPosition: END_OF_FILE`, never
   * sent (kept in the checkpoint): `afterShipping` leaves such a file alone.
   * Set before place(); 0 again when the file starts over (truncated).
   */
  skippedBelow = 0;

  private state: TailState = { kind: 'placing', where: AT_PATH };
  /** A watch event said the file changed: poll it at once (a hint, not a state). */
  private pollNow = true;
  /** The identity the path led to at the last look ('' when missing): a change is news once. */
  private pathSeen: string;
  /**
   * When (monotonic ms; -Infinity when not) the last look at the path found
   * it leading to this very file, and the size and mtime it found: the poll
   * at the same moment (pollAtRest) takes them
   * instead of an fstat of its own (one stat instead of two per quiet file).
   */
  private atPathAt = -Infinity;
  private atPathSize = 0;
  private atPathMtimeMs = 0;
  private endFlushed = false;
  private readonly deps: TailerDeps;
  private commitQueued = false;
  /** This content's read chunks, freed once their lines are all acknowledged. */
  private readonly chunks = new ReadChunks();
  private hashCache: { len: number; hash: string } = { len: -1, hash: '' };

  constructor(deps: TailerDeps, path: FilePath, st: FileStat, fh: FileHandle, prefix: Buffer) {
    this.deps = deps;
    this.key = st.key;
    this.dev = st.dev;
    this.ino = st.ino;
    this.path = displayPath(path);
    this.fsPath = path;
    this.fh = fh;
    this.prefix = prefix;
    this.size = st.size;
    this.mtimeMs = st.mtimeMs;
    this.readOffset = 0;
    this.pathSeen = st.key;
    // A placeholder until FileSource decides where to start.
    this.begin(0, 0, false);
  }

  get kind(): TailKind {
    return this.state.kind;
  }

  /** Where the file is; a parked file is at its path. */
  get where(): Whereabouts {
    return this.state.kind === 'parked' ? AT_PATH : this.state.where;
  }

  get gone(): boolean {
    return this.where.at === 'gone';
  }

  /** Renamed since it was found (and maybe gone since). */
  get renamed(): boolean {
    const w = this.where;
    return w.at === 'renamed' || (w.at === 'gone' && w.was === 'renamed');
  }

  /** The hold of a copy candidate; undefined unless held. */
  get hold(): Hold | undefined {
    return this.state.kind === 'held' ? this.state.hold : undefined;
  }

  /** Has a turn in the loop: open, or parked and wanting to be reopened. */
  get wantsService(): boolean {
    if (this.state.kind === 'parked') return this.state.wantsOpen;
    return this.fh !== undefined;
  }

  /** An event or the rescan saw a change: poll at the next turn. */
  get nudged(): boolean {
    return this.pollNow;
  }

  // --- transitions -------------------------------------------------------

  /** Reading starts at `offset` (placing, held -> reading); bytes below `committed` are done. */
  place(offset: number, committed = offset): void {
    const s = this.state;
    if (s.kind !== 'placing' && s.kind !== 'held') throw new Error(`cannot place a ${s.kind} file`);
    this.state = { kind: 'reading', where: s.where };
    this.begin(offset, committed);
  }

  /** placing -> held: begins like `original`; nothing is read until that is settled. */
  holdFor(original: Tailer, now: number): void {
    if (this.state.kind !== 'placing') throw new Error(`cannot hold a ${this.state.kind} file`);
    this.state = { kind: 'held', where: this.state.where, hold: { original, since: now, grewAt: now, size: this.size } };
    original.copies.push(this);
  }

  /** A held candidate grew to `size` at `now`. */
  grew(size: number, now: number): void {
    if (this.state.kind !== 'held') return;
    this.state.hold.size = size;
    this.state.hold.grewAt = now;
  }

  /** held -> placing: no longer a candidate of its original (the caller places it next). */
  unhold(): void {
    const s = this.state;
    if (s.kind !== 'held') return;
    const i = s.hold.original.copies.indexOf(this);
    if (i >= 0) s.hold.original.copies.splice(i, 1);
    this.state = { kind: 'placing', where: s.where };
  }

  /** The rescan found it at another matching path: renamed when that took it away from its name (renamedAway). */
  moved(fsPath: FilePath): void {
    const away = renamedAway(this.path, displayPath(fsPath));
    this.fsPath = fsPath;
    this.path = displayPath(fsPath);
    this.pathSeen = this.key;
    if (this.state.kind !== 'parked' && away) {
      this.state = { ...this.state, where: { at: 'renamed' } };
      this.awaySince = performance.now();
    }
    this.pollNow = true;
  }

  /** The rescan did not find it: read it to its end. False when it was already gone. */
  vanished(): boolean {
    const s = this.state;
    if (s.kind === 'parked' || s.where.at === 'gone') return false;
    this.state = { ...s, where: { at: 'gone', was: s.where.at } };
    this.awaySince = performance.now();
    this.pollNow = true;
    return true;
  }

  /** The rescan found it again after it had vanished (a listing that failed for a moment). */
  reappeared(): void {
    const s = this.state;
    if (s.kind === 'parked' || s.where.at !== 'gone') return;
    this.state = { ...s, where: { at: s.where.was } };
  }

  /** reading -> parked: its descriptor is given back (the pool closes it). */
  park(): void {
    if (!this.parkable) throw new Error('cannot park a busy file');
    this.state = { kind: 'parked', wantsOpen: false };
  }

  /** A parked file changed: reopen it at the next turn. */
  wantOpen(): void {
    if (this.state.kind === 'parked') this.state.wantsOpen = true;
  }

  /** A parked file's path no longer leads to it: wait for the rescan to say where it went. */
  reopenFailed(): void {
    if (this.state.kind === 'parked') this.state.wantsOpen = false;
  }

  /** parked -> reading, through a new descriptor of the same inode. */
  reopened(fh: FileHandle): void {
    if (this.state.kind !== 'parked') throw new Error(`cannot reopen a ${this.state.kind} file`);
    this.fh = fh;
    this.state = { kind: 'reading', where: AT_PATH };
    this.pollNow = true;
  }

  /** reading -> finished: its footer was read; the caller closes the descriptor. */
  finish(): void {
    if (this.state.kind === 'reading') this.state = { kind: 'finished', where: this.state.where };
  }

  /** Poll at the next turn (an event said it changed). */
  nudge(): void {
    this.pollNow = true;
  }

  /**
   * Does the path this file was found at now lead to another file (or to
   * none)? That is how a file created where a tailed one was (a rename and
   * create coalesced into one `change` event, a swapped symlink, no event at
   * all) is noticed between rescans. True once per change: the caller
   * rescans. One synchronous stat of the path.
   */
  pathChanged(now: number): boolean {
    this.pathCheckedAt = now;
    this.atPathAt = -Infinity;
    // A gone file is still read through its descriptor, and its path still
    // looked at: a file created there is new (the rename was seen first).
    if (this.fh === undefined) return false;
    const st = statPathSync(this.fsPath);
    const seen = st?.key ?? '';
    if (st !== undefined && seen === this.key) {
      this.atPathAt = now;
      this.atPathSize = st.size;
      this.atPathMtimeMs = st.mtimeMs;
    }
    if (seen === this.pathSeen) return false;
    this.pathSeen = seen;
    return seen !== this.key;
  }

  // -----------------------------------------------------------------------

  /** Begins (or begins again) reading at `offset`; bytes below `committed` are done. */
  private begin(offset: number, committed = offset, save = true): void {
    this.readOffset = offset;
    this.eofSince = -1;
    this.endFlushed = false;
    const tracker = new CheckpointTracker(committed, (off) => this.commit(off));
    this.tracker = tracker;
    this.chunks.forget();
    const deps = this.deps;
    const out: FramerOutput = {
      // Arrow: the line points at this tailer as its file (its path now, no copy per line).
      record: (src, from, to, start, end, truncated) => {
        tracker.register(end);
        deps.metrics.recordsParsed++;
        deps.metrics.bytesParsed += to - from;
        if (truncated) deps.metrics.recordsTruncated++;
        if (!deps.sink.push(new Line(src, from, to - from, tracker, start, end, this))) deps.onBackpressure();
      },
      skip(start, end) {
        tracker.register(end);
        tracker.ack(start, end);
      },
    };
    const skipHeaderLines = offset === 0 ? deps.framing.skipHeaderLines : 0;
    this.framer = new Framer({ ...deps.framing, skipHeaderLines }, out, offset);
    if (save) this.saveEntry(committed);
  }

  /**
   * The file was truncated (or replaced in place): start over at 0 with a
   * fresh tracker. Acks still due for the old content go to the old tracker,
   * which no longer writes the checkpoint: its bytes are no longer there.
   */
  restart(prefix: Buffer): Epoch {
    const old: Epoch = { prefix: this.prefix, frontier: this.framer.frontier, tracker: this.tracker, skippedBelow: this.skippedBelow };
    old.tracker.onAdvance = () => {};
    this.prefix = prefix;
    this.hashCache = { len: -1, hash: '' };
    this.skippedBelow = 0;
    this.begin(0);
    return old;
  }

  get fingerprint(): string {
    if (this.hashCache.len !== this.prefix.length) {
      this.hashCache = { len: this.prefix.length, hash: hashPrefix(this.prefix) };
    }
    return this.hashCache.hash;
  }

  get caughtUp(): boolean {
    return this.readOffset >= this.size;
  }

  /** Reads up to `maxBytes` of new data and frames it; `now` is monotonic (performance.now()). */
  async read(maxBytes: number, now: number): Promise<ReadResult> {
    const fh = this.fh;
    if (!fh || this.state.kind !== 'reading') return 'idle';
    if (this.framer.footerSeen) {
      if (this.eofSince < 0) this.eofSince = now;
      return 'idle';
    }
    let rewritten = false;
    if (this.readOffset >= this.size || this.pollNow) {
      this.pollNow = false;
      this.lastPollAt = now;
      const st = pollHandle(fh);
      // Modified without growing: truncated and written again to the very
      // same size, or touched. The first bytes tell which.
      rewritten = st.size === this.readOffset && st.mtimeMs !== this.mtimeMs;
      this.size = st.size;
      this.mtimeMs = st.mtimeMs;
    }
    // Shorter than what was read, or than the first bytes it was known by.
    if (this.size < this.readOffset || this.size < this.prefix.length) return 'truncated';
    if (rewritten && this.prefix.length > 0 && !(await readPrefix(fh, this.prefix.length)).equals(this.prefix)) {
      return 'truncated';
    }
    if (this.size === this.readOffset) {
      if (this.eofSince < 0) this.eofSince = now;
      return 'idle';
    }
    const want = Math.min(maxBytes, this.size - this.readOffset);
    // A buffer of exactly the size to read: records keep slices of it alive.
    const buf = Buffer.allocUnsafe(want);
    // Truncated and written again past our offset: the first bytes tell. They
    // are read beside the data, one thread-pool round trip instead of two.
    const [head, { bytesRead }] = await Promise.all([
      this.prefix.length > 0 ? readPrefix(fh, this.prefix.length) : undefined,
      fh.read(buf, 0, want, this.readOffset),
    ]);
    if (head && !head.equals(this.prefix)) return 'truncated';
    if (bytesRead === 0) {
      this.size = this.readOffset;
      this.pollNow = true;
      return 'idle';
    }
    const chunk = bytesRead === want ? buf : buf.subarray(0, bytesRead);
    const chunkStart = this.readOffset;
    this.growPrefix(chunk, chunkStart);
    this.readOffset += bytesRead;
    // At the end as far as we know: quiet (and parkable) from now on.
    this.eofSince = this.readOffset >= this.size ? now : -1;
    this.endFlushed = false;
    this.lastReadAt = Date.now();
    this.chunks.add(buf, this.readOffset);
    this.framer.push(chunk, chunkStart);
    return 'read';
  }

  /**
   * The poll of a caught-up file at rest, without a turn: one fstat, or
   * none when its path was looked at this same moment and led to it. True
   * when neither its size nor its mtime moved, so there is nothing to do
   * until the next poll (what read() would conclude, at the cost of two
   * promises); false when one did, or when the file is not simply at rest
   * (nudged, not caught up, finished by its footer): then read() looks.
   */
  pollAtRest(now: number): boolean {
    const fh = this.fh;
    if (!fh || this.state.kind !== 'reading' || this.pollNow || this.framer.footerSeen || this.readOffset < this.size) return false;
    let size = this.atPathSize;
    let mtimeMs = this.atPathMtimeMs;
    // Unless the path, looked at this same moment, led to this file (its stat said what an fstat would).
    if (this.atPathAt !== now) ({ size, mtimeMs } = pollHandle(fh));
    if (size !== this.size || mtimeMs !== this.mtimeMs) return false;
    this.lastPollAt = now;
    if (this.eofSince < 0) this.eofSince = now;
    return true;
  }

  /**
   * Could give its descriptor back (over the open-file cap) and take it up
   * again by path later without risk: caught up, nothing gathered, nothing
   * that a rotation would need the descriptor for.
   */
  get parkable(): boolean {
    return (
      this.state.kind === 'reading' &&
      this.state.where.at === 'path' &&
      this.fh !== undefined &&
      this.eofSince >= 0 &&
      this.readOffset >= this.size &&
      this.copies.length === 0 &&
      !this.framer.hasPendingMultiLine &&
      !this.framer.footerSeen
    );
  }

  /** The file will not grow any more: its unterminated last line goes out. */
  flushEnd(): void {
    if (this.endFlushed) return;
    this.endFlushed = true;
    this.framer.endOfInput();
  }

  /**
   * Reading (or read) and its first bytes not all known yet (found empty,
   * its turn not come since it grew): take them from the file now, so that
   * a copy of it found before that turn is known for one. Bytes that no
   * longer begin like the known prefix are left to the truncation check.
   */
  async refreshPrefix(): Promise<void> {
    const fh = this.fh;
    if (!fh || this.state.kind === 'placing' || this.state.kind === 'held' || this.prefix.length >= FINGERPRINT_MAX_BYTES) return;
    const { size } = pollHandle(fh);
    // Shorter than last seen: truncated, the read turn's to notice.
    if (size <= this.prefix.length || size < this.size) return;
    const head = await readPrefix(fh, size);
    if (head.length <= this.prefix.length || !head.subarray(0, this.prefix.length).equals(this.prefix)) return;
    // The read turn checks the size it knows against the prefix: both move.
    this.size = Math.max(this.size, head.length);
    this.prefix = head;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    if (fh) await fh.close().catch(() => {});
  }

  private growPrefix(chunk: Buffer, chunkStart: number): void {
    const have = this.prefix.length;
    if (have >= FINGERPRINT_MAX_BYTES || chunkStart > have) return;
    const from = have - chunkStart;
    const to = Math.min(chunk.length, FINGERPRINT_MAX_BYTES - chunkStart);
    if (to <= from) return;
    // Copied before the framer may rewrite `\r` in the chunk.
    this.prefix = Buffer.concat([this.prefix, chunk.subarray(from, to)]);
  }

  /**
   * An answer acknowledges its records one by one (thousands for a KPL
   * aggregate), each moving the committed offset: the store hears of it
   * once per turn of the event loop, with the latest offset.
   */
  private commit(_offset: number): void {
    if (this.commitQueued) return;
    this.commitQueued = true;
    const tracker = this.tracker;
    queueMicrotask(() => {
      this.commitQueued = false;
      // Restarted meanwhile: begin() saved the new start; the old content's acks no longer count.
      if (tracker !== this.tracker) return;
      this.saveEntry(tracker.committed);
      this.chunks.freeBelow(tracker.committed);
      const now = Date.now();
      this.lastCommitAt = now;
      this.deps.metrics.lastCheckpointAt = now;
    });
  }

  private saveEntry(offset: number): void {
    this.deps.store.set({
      flowId: this.deps.flowId,
      path: this.path,
      dev: this.dev,
      ino: this.ino,
      fingerprint: this.fingerprint,
      fingerprintBytes: this.prefix.length,
      offset,
      ...(this.skippedBelow > 0 ? { skippedBelow: this.skippedBelow } : {}),
    });
  }
}
