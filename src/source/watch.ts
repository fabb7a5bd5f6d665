import { dirname } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../log.js';
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
 * File-system events make discovery and reading prompt; they are a hint,
 * never the only way to learn of a file: the rescan is the safety net.
 */
export class EventWatcher {
  private readonly watchers: FSWatcher[] = [];

  constructor(
    patterns: PatternSet,
    log: Logger,
    /** A file or directory appeared or went away. */
    onStructure: (path: string, isDir: boolean) => void,
    onChange: (path: string) => void,
  ) {
    for (const root of patterns.roots) {
      // A plain path is watched through its directory, to see it replaced.
      const target = root.glob === '' ? dirname(root.base) : root.base;
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

  async close(): Promise<void> {
    await Promise.all(this.watchers.map((w) => w.close()));
  }
}
