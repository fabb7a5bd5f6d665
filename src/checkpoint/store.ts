import { open, readFile, rename, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Conditions } from '../events/conditions.js';
import type { Logger } from '../log.js';
import { CHECKPOINT_FORMAT_VERSION, decodeCheckpoints, encodeCheckpoints, type ImportMark } from './codec.js';
import { makeDirectory } from './directory.js';
import { entryKey, type CheckpointEntry } from './entry.js';
import { CheckpointFormatError, CheckpointPathError, CheckpointWriteError } from './errors.js';

export interface CheckpointStoreOptions {
  /** Entries not updated nor seen for this many days are dropped. */
  ttlDays: number;
  log: Logger;
  /** Writes are coalesced to at most one per this interval (default 1000 ms). */
  minWriteIntervalMillis?: number;
  /** Where a failing write is reported (once per change; /status problems); default detached. */
  conditions?: Conditions;
}

const DAY_MS = 86_400_000;
/** A live file's entry is re-stamped at most this often, so TTL only prunes the gone. */
const TOUCH_INTERVAL_MS = 3_600_000;

/**
 * The checkpoint file: per (flow, file identity) the offset below which
 * everything is done. Every write replaces the file atomically (temp file,
 * fsync, rename, fsync of the directory), so a reader or a restart after
 * SIGKILL sees either the old or the new version, never half of one.
 */
export class CheckpointStore {
  readonly path: string;
  private readonly entriesByKey = new Map<string, CheckpointEntry>();
  private readonly imported = new Map<string, ImportMark>();
  private readonly log: Logger;
  private readonly ttlMs: number;
  private readonly minIntervalMs: number;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  /** Monotonic (performance.now()): a wall clock stepped back must not delay writes. */
  private lastWriteAt = -Infinity;
  private readonly conditions: Conditions;
  private closed = false;
  /** Whether the directory is known to exist: made at open, again only when a write meets ENOENT. */
  private directoryMade = false;

  private constructor(path: string, opts: CheckpointStoreOptions) {
    this.path = path;
    this.log = opts.log;
    this.ttlMs = Math.max(0, opts.ttlDays) * DAY_MS;
    this.minIntervalMs = Math.max(0, opts.minWriteIntervalMillis ?? 1000);
    this.conditions = opts.conditions ?? Conditions.detached(opts.log);
  }

  static async open(path: string, opts: CheckpointStoreOptions): Promise<CheckpointStore> {
    const store = new CheckpointStore(path, opts);
    await store.prepareDirectory();
    await store.load();
    return store;
  }

  get(flowId: string, dev: string, ino: string): CheckpointEntry | undefined {
    return this.entriesByKey.get(entryKey(flowId, dev, ino));
  }

  /** Every entry of one flow (for matching a file by fingerprint). */
  entries(flowId: string): CheckpointEntry[] {
    const out: CheckpointEntry[] = [];
    for (const e of this.entriesByKey.values()) if (e.flowId === flowId) out.push(e);
    return out;
  }

  get size(): number {
    return this.entriesByKey.size;
  }

  /** Whether (and from where) this flow's Kinesis Agent checkpoints were imported. */
  importedFrom(flowId: string): ImportMark | undefined {
    return this.imported.get(flowId);
  }

  /**
   * Records an import: its entries (ordinary entries of the flow from then
   * on) and the mark that keeps it from happening twice. Written with the
   * next write, entries and mark together.
   */
  recordImport(flowId: string, entries: Omit<CheckpointEntry, 'updatedAt'>[], mark: ImportMark): void {
    for (const e of entries) this.entriesByKey.set(entryKey(e.flowId, e.dev, e.ino), { ...e, updatedAt: Date.now() });
    this.imported.set(flowId, mark);
    this.markDirty();
  }

  /** Records an entry; it reaches the disk with the next (coalesced) write. */
  set(entry: Omit<CheckpointEntry, 'updatedAt'>): void {
    this.entriesByKey.set(entryKey(entry.flowId, entry.dev, entry.ino), { ...entry, updatedAt: Date.now() });
    this.markDirty();
  }

  /** A file is still there: keep its entry from expiring (stamped rarely, to spare writes). */
  touch(flowId: string, dev: string, ino: string): void {
    const e = this.entriesByKey.get(entryKey(flowId, dev, ino));
    if (!e) return;
    const now = Date.now();
    if (now - e.updatedAt < TOUCH_INTERVAL_MS) return;
    e.updatedAt = now;
    this.markDirty();
  }

  delete(flowId: string, dev: string, ino: string): void {
    if (this.entriesByKey.delete(entryKey(flowId, dev, ino))) this.markDirty();
  }

  /** Writes now if anything changed since the last write; resolves once it is on disk (or failed and logged). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.writing) await this.writing;
    if (this.dirty) await this.writeNow();
  }

  /**
   * Flushes and stops writing; later changes stay in memory only.
   * @throws CheckpointWriteError when that last write failed (the file keeps what it had)
   */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // write() keeps failures to itself (retried while running); at stop there is no retry.
    if (this.dirty) throw new CheckpointWriteError(this.path, this.conditions.state('write'));
  }

  private markDirty(): void {
    this.dirty = true;
    if (this.closed || this.timer || this.writing) return;
    const wait = Math.max(0, this.lastWriteAt + this.minIntervalMs - performance.now());
    this.schedule(wait);
  }

  private schedule(wait: number): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.writeNow();
    }, wait);
    this.timer.unref();
  }

  private writeNow(): Promise<void> {
    if (this.writing) return this.writing;
    this.writing = this.write().finally(() => {
      this.writing = undefined;
      // Changes made during the write go out with the next one, no sooner
      // than the interval allows.
      if (this.dirty) this.schedule(this.minIntervalMs);
    });
    return this.writing;
  }

  private async write(): Promise<void> {
    this.dirty = false;
    this.prune();
    const body = encodeCheckpoints({ entries: [...this.entriesByKey.values()], imported: Object.fromEntries(this.imported) });
    const tmp = `${this.path}.tmp`;
    try {
      const fh = await this.openTemp(tmp);
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
      await this.syncDirectory();
      this.lastWriteAt = performance.now();
      this.conditions.clear('write', { path: this.path });
    } catch (err) {
      this.dirty = true;
      const code = (err as NodeJS.ErrnoException).code ?? 'UNKNOWN';
      this.conditions.raise('write', {
        state: code,
        fields: { path: this.path, err: String(err), code },
        message: 'cannot write the checkpoint file; will retry (progress is kept in memory meanwhile)',
        clearedMessage: 'checkpoint file written again',
      });
      this.lastWriteAt = performance.now();
    }
  }

  /**
   * Opens the temp file for writing (0600). The directory is made once (at
   * open, or here if it could not be then), and again only when the open
   * fails with ENOENT: it was removed since (a tmpfs cleaned). A `mkdir -p`
   * before every write cost a thread-pool round trip per level for nothing.
   */
  private async openTemp(tmp: string): Promise<FileHandle> {
    if (!this.directoryMade) {
      await makeDirectory(dirname(this.path));
      this.directoryMade = true;
    }
    try {
      return await open(tmp, 'w', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.directoryMade = false;
      await makeDirectory(dirname(this.path));
      this.directoryMade = true;
      return await open(tmp, 'w', 0o600);
    }
  }

  private async syncDirectory(): Promise<void> {
    // Makes the rename itself durable; some file systems refuse fsync on a
    // directory, which is then as durable as it gets.
    try {
      const dir = await open(dirname(this.path), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch {
      /* best effort */
    }
  }

  private prune(): void {
    if (this.ttlMs <= 0) return;
    const cutoff = Date.now() - this.ttlMs;
    for (const [k, e] of this.entriesByKey) if (e.updatedAt < cutoff) this.entriesByKey.delete(k);
  }

  private async prepareDirectory(): Promise<void> {
    const dir = dirname(this.path);
    try {
      await makeDirectory(dir);
      this.directoryMade = true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'EEXIST') {
        throw new CheckpointPathError(this.path, `a part of ${dir} is not a directory`, { cause: err });
      }
      // The parent is there and the file system still refuses a directory in
      // it (procfs: ENOENT, sysfs: EPERM), or is read-only: no waiting fixes that.
      if (code === 'ENOENT' || code === 'EPERM' || code === 'EROFS') {
        throw new CheckpointPathError(this.path, `${dir} cannot be created on that file system (${code})`, { cause: err });
      }
      // EACCES and the like may be fixed while we run: report, go on in memory.
      this.conditions.raise('write', {
        state: code ?? 'UNKNOWN',
        fields: { path: this.path, err: String(err), code },
        message: 'cannot create the checkpoint directory; will retry (progress is kept in memory meanwhile)',
        clearedMessage: 'checkpoint file written again',
      });
      return;
    }
    try {
      const st = await stat(this.path);
      if (st.isDirectory()) throw new CheckpointPathError(this.path, 'it is a directory');
    } catch (err) {
      if (err instanceof CheckpointPathError) throw err;
    }
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      await this.moveAside(`unreadable (${code ?? String(err)})`);
      return;
    }
    const decoded = decodeCheckpoints(text);
    switch (decoded.kind) {
      case 'corrupt':
        await this.moveAside(decoded.reason);
        return;
      case 'newer':
        throw new CheckpointFormatError(this.path, 'newer', decoded.version);
      case 'sqlite':
        throw new CheckpointFormatError(this.path, 'sqlite');
      case 'ok':
        break;
    }
    for (const e of decoded.contents.entries) this.entriesByKey.set(entryKey(e.flowId, e.dev, e.ino), e);
    for (const [flowId, mark] of Object.entries(decoded.contents.imported)) this.imported.set(flowId, mark);
    if (decoded.malformedEntries > 0) this.log.warn({ path: this.path, ignored: decoded.malformedEntries }, 'ignored malformed checkpoint entries');
    // An older format is rewritten in the current one at the next write.
    if (decoded.version !== CHECKPOINT_FORMAT_VERSION) this.dirty = true;
    const before = this.entriesByKey.size;
    this.prune();
    if (this.entriesByKey.size !== before) this.dirty = true;
  }

  private async moveAside(reason: string): Promise<void> {
    const aside = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      await rename(this.path, aside);
      this.log.warn({ path: this.path, movedTo: aside, reason }, 'checkpoint file is corrupt; moved it aside and starting without checkpoints');
    } catch (err) {
      this.log.warn({ path: this.path, reason, err: String(err) }, 'checkpoint file is corrupt and could not be moved aside; starting without checkpoints');
    }
  }
}
