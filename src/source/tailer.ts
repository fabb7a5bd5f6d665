import type { FileHandle } from 'node:fs/promises';
import { CheckpointTracker } from '../checkpoint/tracker.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import type { FlowEvents } from '../events/flow-events.js';
import type { RecordSink } from '../pipeline/types.js';
import { FINGERPRINT_MAX_BYTES, hashPrefix, readPrefix } from './fingerprint.js';
import { Framer, type FramerOptions, type FramerOutput } from './framer.js';
import { displayPath, pollHandle, type FilePath, type FileStat } from './identity.js';

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
}

export type ReadResult = 'read' | 'idle' | 'truncated';

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

  /** No longer matched by the patterns (deleted, or moved out of them). */
  gone = false;
  /** Renamed since it was found: it will not be written much longer. */
  rotated = false;
  /** Where reading starts is decided (see FileSource.place). */
  placed = false;
  /** A copytruncate copy that waits to learn where its original stopped. */
  waitingFor: Tailer | undefined;
  readonly copies: Tailer[] = [];
  /**
   * Monotonic ms (performance.now()) since which the file is caught up; -1
   * while there is data to read. Intervals use the monotonic clock so that
   * a wall clock stepped back (NTP, a resumed VM) stalls nothing.
   */
  eofSince = -1;
  /** Wall clock ms of the last read, for status; 0 when never. */
  lastReadAt = 0;
  /** ms since epoch when the committed offset last moved (records acked). */
  lastCommitAt = 0;
  /** Monotonic ms of the last stat. */
  lastPollAt = -Infinity;
  /** A watch event said the file changed: poll it at once. */
  changed = true;
  /** Descriptor given back over the open-file cap; reopened by path when the file changes. */
  parked = false;
  /** A parked file that the rescan or an event saw change. */
  wantsOpen = false;
  endFlushed = false;

  private readonly deps: TailerDeps;
  private commitQueued = false;
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
    // A placeholder until FileSource.place decides where to start.
    this.begin(0, 0, false);
  }

  /** Begins (or begins again) reading at `offset`; bytes below `committed` are done. */
  begin(offset: number, committed = offset, save = true): void {
    this.readOffset = offset;
    this.eofSince = -1;
    this.endFlushed = false;
    const tracker = new CheckpointTracker(committed, (off) => this.commit(off));
    this.tracker = tracker;
    const deps = this.deps;
    const out: FramerOutput = {
      record(data, start, end, truncated) {
        tracker.register(end);
        deps.metrics.recordsParsed++;
        deps.metrics.bytesParsed += data.length;
        if (truncated) deps.metrics.recordsTruncated++;
        if (!deps.sink.push({ data, acker: tracker, start, end })) deps.onBackpressure();
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
    const old: Epoch = { prefix: this.prefix, frontier: this.framer.frontier, tracker: this.tracker };
    old.tracker.onAdvance = () => {};
    this.prefix = prefix;
    this.hashCache = { len: -1, hash: '' };
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
    if (!fh || this.waitingFor) return 'idle';
    if (this.framer.footerSeen) {
      if (this.eofSince < 0) this.eofSince = now;
      return 'idle';
    }
    let rewritten = false;
    if (this.readOffset >= this.size || this.changed) {
      this.changed = false;
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
      this.changed = true;
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
    this.framer.push(chunk, chunkStart);
    return 'read';
  }

  /**
   * Could give its descriptor back (over the open-file cap) and take it up
   * again by path later without risk: caught up, nothing gathered, nothing
   * that a rotation would need the descriptor for.
   */
  get parkable(): boolean {
    return (
      this.placed &&
      this.fh !== undefined &&
      this.eofSince >= 0 &&
      this.readOffset >= this.size &&
      !this.gone &&
      !this.rotated &&
      !this.waitingFor &&
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
    });
  }
}
