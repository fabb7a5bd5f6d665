import { readdirSync, statfsSync, watch as watchDir, type FSWatcher as DirWatcher } from 'node:fs';
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

/**
 * Linux file systems whose every change goes through this kernel, so that
 * inotify reports it (statfs f_type, from linux/magic.h; ZFS from OpenZFS):
 * ext2/3/4, XFS, Btrfs, tmpfs, F2FS, ZFS, and overlayfs (changes made
 * through the mount; a container's own logs, or a host path bind-mounted
 * into it, which reports the host's file system). Network and FUSE file
 * systems accept a watch and then miss changes made elsewhere.
 */
const LOCAL_FS_TYPES = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0xf2f52010, 0x2fc12fc1, 0x794c7630]);

/** Is `dir` on a file system whose changes inotify always reports (LOCAL_FS_TYPES)? False elsewhere than Linux. */
export function onLocalFileSystem(dir: string): boolean {
  if (process.platform !== 'linux') return false;
  try {
    return LOCAL_FS_TYPES.has(statfsSync(dir).type);
  } catch {
    return false;
  }
}

/** A directory watched with fs.watch, and which directory (dev:ino) that was. */
interface FlatWatch {
  dir: string;
  /**
   * `dir` normalized, with a trailing slash: an event's path is this plus
   * the name the kernel gave (one component), as `join` would make it, at
   * no cost per event (a writer appending every few ms raises hundreds of
   * events a second).
   */
  prefix: string;
  identity: string;
  watcher: DirWatcher | undefined;
  /**
   * Events can be trusted here: the directory is on a local file system
   * (onLocalFileSystem), or the kernel has delivered an event for it since
   * it was (re)armed. Network and FUSE file systems accept a watch and may
   * then stay silent about changes made elsewhere.
   */
  trusted: boolean;
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
  private readonly flat = new Map<string, FlatWatch>();
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
    if (this.flat.has(dir)) return true;
    try {
      const entries = readdirSync(dir, { withFileTypes: true });
      if (entries.some((e) => e.isSymbolicLink() && this.patterns.matches(join(dir, e.name)))) return false;
    } catch {
      return false;
    }
    const identity = pathIdentitySync(dir);
    if (identity === undefined) return false;
    const f: FlatWatch = { dir, prefix: join(dir, '/'), identity, watcher: undefined, trusted: false };
    if (!this.arm(f)) return false;
    this.flat.set(dir, f);
    return true;
  }

  /**
   * Can file-system events be trusted to tell of a file created, renamed or
   * deleted in the directory holding `path`? True while that directory is
   * watched with fs.watch, the watch has not failed, and the directory is on
   * a local file system or has delivered at least one event since it was
   * armed. Directories chokidar watches answer false. A hint for how often
   * the source looks at a quiet file's path; never a reason to skip the
   * rescan. One string and one map look-up.
   */
  eventsTrusted(path: string): boolean {
    const f = this.flat.get(dirname(path));
    return f !== undefined && f.trusted && f.watcher !== undefined;
  }

  private arm(f: FlatWatch): boolean {
    try {
      f.trusted = onLocalFileSystem(f.dir);
      const w = watchDir(f.dir, { persistent: false }, (event, name) => {
        f.trusted = true;
        if (name === null) this.onStructure(f.dir, true);
        else if (event === 'change') this.onChange(f.prefix + name);
        else this.onStructure(f.prefix + name, false);
      });
      w.on('error', (err) => {
        this.log.debug({ err: String(err), path: f.dir }, 'file watch error; the rescan goes on');
        w.close();
        if (f.watcher === w) f.watcher = undefined;
        // The source looks at its files' paths more often again from its next pass.
        if (!this.closed) this.onStructure(f.dir, true);
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
    for (const f of this.flat.values()) {
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
    for (const f of this.flat.values()) {
      f.watcher?.close();
      f.watcher = undefined;
    }
    await Promise.all(this.watchers.map((w) => w.close()));
  }
}
