import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { CheckpointPathError } from '../../src/checkpoint/errors.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { tempDir } from '../source/support/helpers.js';

const entry = (ino: string, offset: number) => ({
  flowId: 'f',
  path: `/x/${ino}`,
  dev: '1',
  ino,
  fingerprint: 'ab',
  fingerprintBytes: 10,
  offset,
});

describe('CheckpointStore', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir('ka-ckpt-')));
  afterEach(() => cleanup());

  it('writes atomically and reads back what it wrote, creating the directory 0700 and the file 0600', async () => {
    const path = join(dir, 'nested', 'deeper', 'checkpoints');
    const s = await CheckpointStore.open(path, { ttlDays: 7, log: silentLogger() });
    s.set(entry('5', 42));
    await s.close();
    expect((await stat(join(dir, 'nested', 'deeper'))).mode & 0o777).toBe(0o700);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, 'nested', 'deeper'))).toEqual(['checkpoints']);
    const again = await CheckpointStore.open(path, { ttlDays: 7, log: silentLogger() });
    expect(again.get('f', '1', '5')?.offset).toBe(42);
  });

  it('moves a corrupt file aside, warns, and starts empty', async () => {
    const path = join(dir, 'checkpoints');
    await writeFile(path, '{"version":1,"entr');
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (b: Buffer) => lines.push(b.toString()));
    const log = createLogger({ level: 'warn', destination: out });
    const s = await CheckpointStore.open(path, { ttlDays: 7, log });
    expect(s.size).toBe(0);
    const names = await readdir(dir);
    expect(names.some((n) => n.startsWith('checkpoints.corrupt-'))).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(lines.join('')).toContain('corrupt');
  });

  it('prunes entries not updated for longer than the TTL', async () => {
    const path = join(dir, 'checkpoints');
    const old = Date.now() - 3 * 86_400_000;
    await writeFile(
      path,
      JSON.stringify({ version: 1, entries: [{ ...entry('1', 5), updatedAt: old }, { ...entry('2', 6), updatedAt: Date.now() }] }),
    );
    const s = await CheckpointStore.open(path, { ttlDays: 2, log: silentLogger() });
    expect(s.get('f', '1', '1')).toBeUndefined();
    expect(s.get('f', '1', '2')?.offset).toBe(6);
  });

  it('ignores entries whose offsets or fingerprint lengths are not safe non-negative integers', async () => {
    const path = join(dir, 'checkpoints');
    const now = Date.now();
    await writeFile(
      path,
      JSON.stringify({
        version: 1,
        entries: [
          { ...entry('1', 3999.5), updatedAt: now },
          { ...entry('2', -5), updatedAt: now },
          { ...entry('3', 2 ** 60), updatedAt: now },
          { ...entry('4', 10), fingerprintBytes: 1.5, updatedAt: now },
          { ...entry('5', 10), updatedAt: now },
        ],
      }),
    );
    const s = await CheckpointStore.open(path, { ttlDays: 7, log: silentLogger() });
    expect(s.entries('f').map((e) => e.ino)).toEqual(['5']);
  });

  it('creates its directory when it comes to write, if it could not at open', async () => {
    const sub = join(dir, 'later', 'deeper');
    const path = join(sub, 'checkpoints');
    const s = await CheckpointStore.open(path, { ttlDays: 7, log: silentLogger(), minWriteIntervalMillis: 10 });
    const { rm } = await import('node:fs/promises');
    await rm(join(dir, 'later'), { recursive: true });
    s.set(entry('6', 60));
    await s.flush();
    expect(JSON.parse(await readFile(path, 'utf8')).entries[0].offset).toBe(60);
    expect((await stat(sub)).mode & 0o777).toBe(0o700);
    await s.close();
  });

  it('makes its directory again when it was removed after a successful write (ENOENT at the next write)', async () => {
    const sub = join(dir, 'gone', 'deeper');
    const path = join(sub, 'checkpoints');
    const s = await CheckpointStore.open(path, { ttlDays: 7, log: silentLogger(), minWriteIntervalMillis: 0 });
    s.set(entry('7', 70));
    await s.flush();
    expect(JSON.parse(await readFile(path, 'utf8')).entries[0].offset).toBe(70);
    const { rm } = await import('node:fs/promises');
    await rm(join(dir, 'gone'), { recursive: true });
    s.set(entry('7', 71));
    await s.flush();
    expect(JSON.parse(await readFile(path, 'utf8')).entries[0].offset).toBe(71);
    expect((await stat(sub)).mode & 0o777).toBe(0o700);
    expect(await readdir(sub)).toEqual(['checkpoints']);
    s.set(entry('7', 72));
    await s.flush();
    expect(JSON.parse(await readFile(path, 'utf8')).entries[0].offset).toBe(72);
    await s.close();
  });

  it('close() rejects with CHECKPOINT_WRITE when its last write fails, and the file keeps what it had', async () => {
    const sub = join(dir, 'state');
    const path = join(sub, 'checkpoints');
    const s = await CheckpointStore.open(path, { ttlDays: 7, log: silentLogger(), minWriteIntervalMillis: 0 });
    s.set(entry('8', 80));
    await s.flush();
    const { rename } = await import('node:fs/promises');
    // The directory is now a file: ENOTDIR, whoever the agent runs as.
    await rename(sub, join(dir, 'state-moved'));
    await writeFile(sub, 'not a directory');
    s.set(entry('8', 81));
    await expect(s.close()).rejects.toMatchObject({ code: 'CHECKPOINT_WRITE', message: expect.stringContaining('ENOTDIR') });
    expect(JSON.parse(await readFile(join(dir, 'state-moved', 'checkpoints'), 'utf8')).entries[0].offset).toBe(80);
  });

  it('coalesces many updates into few writes and flush() puts the latest on disk', async () => {
    const path = join(dir, 'checkpoints');
    const s = await CheckpointStore.open(path, { ttlDays: 7, log: silentLogger(), minWriteIntervalMillis: 60_000 });
    for (let i = 0; i < 1000; i++) s.set(entry('9', i));
    await s.flush();
    const body = JSON.parse(await readFile(path, 'utf8')) as { entries: { offset: number }[] };
    expect(body.entries[0]!.offset).toBe(999);
    await s.close();
  });

  it('throws an AgentError with a hint when the checkpoint path can never be written', async () => {
    await writeFile(join(dir, 'afile'), 'x');
    await expect(CheckpointStore.open(join(dir, 'afile', 'checkpoints'), { ttlDays: 7, log: silentLogger() })).rejects.toBeInstanceOf(
      CheckpointPathError,
    );
    await mkdir(join(dir, 'adir'));
    const err = await CheckpointStore.open(join(dir, 'adir'), { ttlDays: 7, log: silentLogger() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointPathError);
    expect((err as CheckpointPathError).hint).toBeTruthy();
  });

  it('logs a failing write once per change of state, retries, and says when writing works again', async () => {
    const sub = join(dir, 'sub');
    const path = join(sub, 'checkpoints');
    const out = new PassThrough();
    const lines: { level: string; msg: string }[] = [];
    out.on('data', (b: Buffer) => {
      for (const l of b.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { level: string; msg: string });
    });
    const log = createLogger({ level: 'info', destination: out });
    const s = await CheckpointStore.open(path, { ttlDays: 7, log, minWriteIntervalMillis: 10 });
    const { rm } = await import('node:fs/promises');
    // A file where the directory should be: every write fails until it goes.
    await rm(sub, { recursive: true });
    await writeFile(sub, 'blocker');
    for (let i = 0; i < 5; i++) {
      s.set(entry('4', i));
      await s.flush();
    }
    await rm(sub);
    // Retried on its own, without another change.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      try {
        await readFile(path, 'utf8');
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    await s.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(lines.some((l) => l.level === 'info' && l.msg.includes('written again'))).toBe(true);
    expect(JSON.parse(await readFile(path, 'utf8')).entries[0].offset).toBe(4);
  });

  it('keeps working when writes fail, and writes once the directory can be made again', async () => {
    const sub = join(dir, 'sub');
    const path = join(sub, 'checkpoints');
    const s = await CheckpointStore.open(path, { ttlDays: 7, log: silentLogger(), minWriteIntervalMillis: 10 });
    const { rm } = await import('node:fs/promises');
    await rm(sub, { recursive: true });
    await writeFile(sub, 'blocker');
    s.set(entry('3', 7));
    await s.flush(); // fails quietly
    await rm(sub);
    s.set(entry('3', 8));
    await s.flush();
    const body = JSON.parse(await readFile(path, 'utf8')) as { entries: { offset: number }[] };
    expect(body.entries[0]!.offset).toBe(8);
    await s.close();
  });
});
