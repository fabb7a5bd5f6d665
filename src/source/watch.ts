import { readdirSync, watch as watchDir, type FSWatcher as DirWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../log.js';
import { pathIdentitySync } from './identity.js';
import type { PatternSet } from './patterns.js';

export type WatchMode = 'events' | 'poll';

/**
 * Where file-system events do not work (some network and overlay file
 * systems), `KINESIS_AGENT_WATCH=poll` turns them off: files are then found
 * by the periodic rescan and read by polling alone, which is always on.
 */
export function watchModeFromEnv(given: WatchMode | undefined): WatchMode {
  if (given) return given;
  return process.env.KINESIS_AGENT_WATCH?.toLowerCase() === 'poll' ? 'poll' : 'events';
}

/** A directory watched with fs.watch, and which directory (dev:ino) that was. */
interface FlatWatch {
  dir: string;
  identity: string;
  watcher: DirWatcher | undefined;
}

/**
 * File-system events make discovery and reading prompt; they are a hint,
 * never the only way to learn of a file: the rescan is the safety net.
 *
 * A pattern whose files lie directly in one directory (`/var/log/app.log`,
 * `/var/log/app/*.log`) is watched with one `fs.watch` of that directory:
 * an event is a name and a kind, nothing more. chokidar, which `lstat`s the
 * path and walks its tree for every event (several times the cost of
 * reading the line that was written, for a writer appending every few ms),
 * watches the rest: patterns across directories (`**`, `*` in a directory
 * part), and directories holding a matching symlink (a write to its target
 * elsewhere raises nothing in the link's directory; chokidar follows it).
 */
export class EventWatcher {
  private readonly watchers: FSWatcher[] = [];
  private readonly flat: FlatWatch[] = [];
  private closed = false;

  constructor(
    private readonly patterns: PatternSet,
    private readonly log: Logger,
    /** A file or directory appeared or went away. */
    private readonly onStructure: (path: string, isDir: boolean) => void,
    private readonly onChange: (path: string) => void,
  ) {
    for (const root of patterns.roots) {
      // A plain path is watched through its directory, to see it replaced.
      const target = root.glob === '' ? dirname(root.base) : root.base;
      if (root.depth === 0 && this.watchFlat(target)) continue;
      try {
        const w = watch(target, {
          ignoreInitial: true,
          persistent: false,
          followSymlinks: true,
          ...(root.depth !== undefined ? { depth: root.depth } : {}),
        });
        w.on('all', (event, path) => {
          if (event === 'change') onChange(path);
          else onStructure(path, event === 'addDir' || event === 'unlinkDir');
        });
        // Files created between the first scan and the watcher being ready
        // raise no event (they count as already there): look once more.
        w.on('ready', () => onStructure(target, true));
        w.on('error', (err) => log.debug({ err: String(err), path: target }, 'file watch error; the rescan goes on'));
        this.watchers.push(w);
      } catch (err) {
        log.debug({ err: String(err), path: target }, 'cannot watch; relying on the rescan');
      }
    }
  }

  /**
   * Watches `dir` with fs.watch when nothing there needs chokidar (no
   * matching symlink); false to leave it to chokidar (also when the
   * directory cannot be listed or watched, e.g. it does not exist yet).
   */
  private watchFlat(dir: string): boolean {
    if (this.flat.some((f) => f.dir === dir)) return true;
    try {
      const entries = readdirSync(dir, { withFileTypes: true });
      if (entries.some((e) => e.isSymbolicLink() && this.patterns.matches(join(dir, e.name)))) return false;
    } catch {
      return false;
    }
    const identity = pathIdentitySync(dir);
    if (identity === undefined) return false;
    const f: FlatWatch = { dir, identity, watcher: undefined };
    if (!this.arm(f)) return false;
    this.flat.push(f);
    return true;
  }

  private arm(f: FlatWatch): boolean {
    try {
      const w = watchDir(f.dir, { persistent: false }, (event, name) => {
        if (name === null) this.onStructure(f.dir, true);
        else if (event === 'change') this.onChange(join(f.dir, name));
        else this.onStructure(join(f.dir, name), false);
      });
      w.on('error', (err) => {
        this.log.debug({ err: String(err), path: f.dir }, 'file watch error; the rescan goes on');
        w.close();
        if (f.watcher === w) f.watcher = undefined;
      });
      f.watcher = w;
      // As chokidar's 'ready': files created since the first scan raised no event.
      setImmediate(() => {
        if (!this.closed) this.onStructure(f.dir, true);
      });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * At each rescan: a watched directory deleted or replaced (its events
   * stopped with it) is watched again once it is back. One synchronous stat
   * per fs.watch-ed directory.
   */
  refresh(): void {
    for (const f of this.flat) {
      const identity = pathIdentitySync(f.dir);
      if (identity === undefined || (identity === f.identity && f.watcher)) continue;
      f.watcher?.close();
      f.watcher = undefined;
      f.identity = identity;
      this.log.debug({ path: f.dir }, 'watched directory replaced: watching it again');
      this.arm(f);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const f of this.flat) f.watcher?.close();
    await Promise.all(this.watchers.map((w) => w.close()));
  }
}
