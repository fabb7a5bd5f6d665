import { existsSync } from 'node:fs';
import { stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { Conditions } from '../../src/events/conditions.js';
import { FlowEvents } from '../../src/events/flow-events.js';
import { silentLogger } from '../../src/log.js';
import { FinishActions, type FinishTarget } from '../../src/source/finish-action.js';
import { identityKey } from '../../src/source/identity.js';
import { PatternSet } from '../../src/source/patterns.js';
import { tempDir } from './support/helpers.js';

describe('FinishActions: acting on a finished file', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: CheckpointStore;
  let actions: FinishActions;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    store = await CheckpointStore.open(join(dir, 'state', 'checkpoints'), { ttlDays: 7, log: silentLogger(), minWriteIntervalMillis: 20 });
    const patterns = new PatternSet([join(dir, '*.log*')], []);
    actions = new FinishActions({ config: { action: 'delete', files: 'quiet', quietMillis: 1000, suffix: '.shipped' }, flowId: 'f', store, patterns, log: silentLogger(), metrics: new FlowEvents(Conditions.detached(silentLogger())) });
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  async function target(path: string): Promise<FinishTarget> {
    const st = await stat(path, { bigint: true });
    const [dev, ino] = [st.dev.toString(), st.ino.toString()];
    return { key: identityKey(dev, ino), dev, ino, path, fsPath: path, size: Number(st.size), prefix: Buffer.alloc(0) };
  }

  it('a file reached through a symlink is left alone at once, before the checkpoint file is read back', async () => {
    const real = join(dir, 'pod-a.log');
    await writeFile(real, 'one\ntwo\n');
    await symlink(real, join(dir, 'container-a.log'));
    const r = await actions.act(await target(join(dir, 'container-a.log')), 'quiet', 0);
    expect(r).toEqual({ kind: 'changed', why: 'reached through a symlink: the link is not the file' });
    expect(existsSync(real) && existsSync(join(dir, 'container-a.log'))).toBe(true);
  });

  it('a file whose end no checkpoint on disk names is not touched: retried', async () => {
    const p = join(dir, 'app.log.1');
    await writeFile(p, 'one\ntwo\n');
    const r = await actions.act(await target(p), 'renamed', 0);
    expect(r).toMatchObject({ kind: 'retry', why: expect.stringContaining('checkpoint') });
    expect(existsSync(p)).toBe(true);
  });
});
