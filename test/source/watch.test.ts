import { appendFile, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { PatternSet } from '../../src/source/patterns.js';
import { EventWatcher, onLocalFileSystem } from '../../src/source/watch.js';
import { tempDir, waitFor } from './support/helpers.js';

/** An EventWatcher over `patterns`, recording what it reports. */
function watcher(patterns: string[]) {
  const changes: string[] = [];
  const structure: string[] = [];
  const w = new EventWatcher(
    new PatternSet(patterns, []),
    silentLogger(),
    (path) => structure.push(path),
    (path) => changes.push(path),
  );
  return { w, changes, structure };
}

describe('EventWatcher', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let close: (() => Promise<void>) | undefined;
  beforeEach(async () => ({ dir, cleanup } = await tempDir('ka-watch-')));
  afterEach(async () => {
    await close?.();
    close = undefined;
    await cleanup();
  });

  /** Appends to `file` until `seen` holds `path` (an event can be lost while a watch is being set up). */
  async function appendUntil(file: string, seen: string[], path: string) {
    await waitFor(
      async () => {
        await appendFile(file, 'x\n');
        await new Promise((r) => setTimeout(r, 50));
        return seen.includes(path);
      },
      () => `no change event for ${path}; got ${JSON.stringify(seen)}`,
      15_000,
    );
  }

  it('reports appends to, and creation of, files directly in a watched directory (fs.watch, no chokidar)', async () => {
    const p = join(dir, 'app.log');
    await writeFile(p, 'a\n');
    const r = watcher([join(dir, '*.log')]);
    close = () => r.w.close();
    await appendUntil(p, r.changes, p);
    await writeFile(join(dir, 'new.log'), 'n\n');
    await waitFor(() => r.structure.includes(join(dir, 'new.log')), () => `no event for new.log: ${JSON.stringify(r.structure)}`, 15_000);
  });

  it('reports appends to the target of a matching symlink in the directory (such a directory is left to chokidar, which follows links, and its events are not claimed trusted)', async () => {
    const other = join(dir, 'elsewhere');
    const logs = join(dir, 'logs');
    await mkdir(other);
    await mkdir(logs);
    await writeFile(join(other, 'real.log'), 'a\n');
    await symlink(join(other, 'real.log'), join(logs, 'app.log'));
    const r = watcher([join(logs, '*.log')]);
    close = () => r.w.close();
    await appendUntil(join(other, 'real.log'), r.changes, join(logs, 'app.log'));
    expect(r.changes.every((c) => c === join(logs, 'app.log'))).toBe(true);
    expect(r.w.eventsTrusted(join(logs, 'app.log'))).toBe(false);
  });

  it('watches a directory again after it was replaced, once refresh (each rescan) sees it back', async () => {
    const logs = join(dir, 'logs');
    await mkdir(logs);
    await writeFile(join(logs, 'app.log'), 'a\n');
    const r = watcher([join(logs, 'app.log')]);
    close = () => r.w.close();
    await appendUntil(join(logs, 'app.log'), r.changes, join(logs, 'app.log'));
    await rename(logs, join(dir, 'logs.old'));
    await mkdir(logs);
    await writeFile(join(logs, 'app.log'), 'b\n');
    r.changes.length = 0;
    r.w.refresh();
    await appendUntil(join(logs, 'app.log'), r.changes, join(logs, 'app.log'));
    await rm(join(dir, 'logs.old'), { recursive: true });
  });

  it('trusts the events of a directory on a local file system at once, stops trusting them when its watch is gone, and trusts them again once watched anew', async () => {
    const logs = join(dir, 'logs');
    await mkdir(logs);
    const p = join(logs, 'app.log');
    await writeFile(p, 'a\n');
    // The test's temp directory is on a local file system (ext4, tmpfs, overlayfs...).
    expect(onLocalFileSystem(logs)).toBe(true);
    const r = watcher([join(logs, '*.log')]);
    close = () => r.w.close();
    expect(r.w.eventsTrusted(p)).toBe(true);
    // A file in a directory not watched at all.
    expect(r.w.eventsTrusted(join(dir, 'elsewhere', 'app.log'))).toBe(false);
    await rename(logs, join(dir, 'logs.old'));
    await mkdir(logs);
    await writeFile(p, 'b\n');
    r.w.refresh();
    r.changes.length = 0;
    await appendUntil(p, r.changes, p);
    expect(r.w.eventsTrusted(p)).toBe(true);
    await r.w.close();
    close = undefined;
    expect(r.w.eventsTrusted(p)).toBe(false);
  });

  it('does not take a network or FUSE file system, or another platform\'s, for a local one', () => {
    // /proc is procfs: not in the list of local file systems whose changes inotify reports.
    expect(onLocalFileSystem('/proc')).toBe(false);
    expect(onLocalFileSystem(join(dir, 'missing'))).toBe(false);
  });
});
