import { appendFile, open, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { Conditions } from '../../src/events/conditions.js';
import { FlowEvents } from '../../src/events/flow-events.js';
import { silentLogger } from '../../src/log.js';
import { statHandle } from '../../src/source/identity.js';
import { Tailer } from '../../src/source/tailer.js';
import { CollectingSink } from './support/collecting-sink.js';
import { tempDir } from './support/helpers.js';

/**
 * The poll of a quiet file at rest (Tailer.pollAtRest) takes the size and
 * mtime the look at its path found at the same moment, instead of an fstat
 * of its own, but only when that path led to this very file.
 */
describe('a quiet file polled at the moment its path is looked at', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: CheckpointStore;
  const closing: (() => Promise<void>)[] = [];
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    store = await CheckpointStore.open(join(dir, 'state', 'checkpoints'), { ttlDays: 7, log: silentLogger(), minWriteIntervalMillis: 20 });
  });
  afterEach(async () => {
    for (const c of closing.splice(0)) await c();
    await store.close();
    await cleanup();
  });

  /** A tailer of `path`, read to its end (as after a scan, a placement and a read). */
  async function caughtUp(path: string): Promise<Tailer> {
    const fh = await open(path, 'r');
    closing.push(() => fh.close());
    const st = await statHandle(fh);
    const deps = {
      flowId: 'f',
      store,
      sink: new CollectingSink(),
      metrics: new FlowEvents(Conditions.detached(silentLogger())),
      framing: { maxRecordBytes: 1024, truncatedRecordTerminator: '\n', skipHeaderLines: 0 },
      onBackpressure: () => {},
    };
    const t = new Tailer(deps, path, st, fh, Buffer.alloc(0));
    t.place(st.size);
    // The first poll after placing reads the descriptor (pollNow): settle it.
    expect(await t.read(4096, 0)).toBe('idle');
    return t;
  }

  it('sees an append through the look at its path, and nothing when nothing changed', async () => {
    const path = join(dir, 'app.log');
    await writeFile(path, 'one\n');
    const t = await caughtUp(path);
    expect(t.pathChanged(100)).toBe(false);
    expect(t.pollAtRest(100)).toBe(true);
    await appendFile(path, 'two\n');
    expect(t.pathChanged(200)).toBe(false);
    expect(t.pollAtRest(200)).toBe(false);
  });

  it('takes nothing from another file now at its path: the poll is its own descriptor\'s', async () => {
    const path = join(dir, 'app.log');
    await writeFile(path, 'one\n');
    const t = await caughtUp(path);
    // Rotated: renamed, and a longer file created at the path.
    await rename(path, join(dir, 'app.log.1'));
    await writeFile(path, 'a new file, longer than the old one\n');
    expect(t.pathChanged(100)).toBe(true);
    // The old file did not change: at rest, whatever the path's file says.
    expect(t.pollAtRest(100)).toBe(true);
    await appendFile(join(dir, 'app.log.1'), 'a last line to the rotated file\n');
    expect(t.pathChanged(200)).toBe(false);
    expect(t.pollAtRest(200)).toBe(false);
  });

  it('uses a look only at the moment it was taken', async () => {
    const path = join(dir, 'app.log');
    await writeFile(path, 'one\n');
    const t = await caughtUp(path);
    expect(t.pathChanged(100)).toBe(false);
    await appendFile(path, 'two\n');
    // A later poll without a look of its own: the descriptor says the file grew.
    expect(t.pollAtRest(150)).toBe(false);
  });
});
