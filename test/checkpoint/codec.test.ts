import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT_VERSION, decodeCheckpoints, encodeCheckpoints } from '../../src/checkpoint/codec.js';
import { CheckpointFormatError } from '../../src/checkpoint/errors.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from '../source/support/helpers.js';

const entry = { flowId: 'f', path: '/x/a', dev: '1', ino: '2', fingerprint: 'ab', fingerprintBytes: 10, offset: 5, updatedAt: 1000 };

describe('checkpoint codec', () => {
  it('round-trips entries and import marks at the current version', () => {
    const text = encodeCheckpoints({ entries: [entry], imported: { f: { from: '/db', at: 7 } } });
    expect(JSON.parse(text)).toMatchObject({ version: CHECKPOINT_FORMAT_VERSION });
    expect(decodeCheckpoints(text)).toEqual({
      kind: 'ok',
      version: CHECKPOINT_FORMAT_VERSION,
      contents: { entries: [entry], imported: { f: { from: '/db', at: 7 } } },
      malformedEntries: 0,
    });
  });

  it.each([
    ['version 1 (no import marks)', JSON.stringify({ version: 1, entries: [entry] }), { kind: 'ok', version: 1 }],
    ['no version at all: read as 1', JSON.stringify({ entries: [entry] }), { kind: 'ok', version: 1 }],
    ['a newer version', JSON.stringify({ version: 3, entries: 'whatever it became' }), { kind: 'newer', version: 3 }],
    ['a version that is not one', JSON.stringify({ version: 'two', entries: [] }), { kind: 'corrupt' }],
    ['half a file', '{"version":2,"entr', { kind: 'corrupt', reason: 'not valid JSON' }],
    ['no entries list', JSON.stringify({ version: 2 }), { kind: 'corrupt', reason: 'no entries list' }],
    ['a bare list', JSON.stringify([entry]), { kind: 'corrupt', reason: 'not a JSON object' }],
    ['an SQLite database', 'SQLite format 3\u0000\u0010\u0000...', { kind: 'sqlite' }],
  ])('decodes %s', (_name, text, expected) => {
    expect(decodeCheckpoints(text)).toMatchObject(expected);
  });

  it('keeps skippedBelow (bytes initialPosition skipped) when present, and leaves it out when absent or not a safe offset', () => {
    const skipped = { ...entry, skippedBelow: 4 };
    const got = decodeCheckpoints(encodeCheckpoints({ entries: [skipped, { ...entry, ino: '3' }, { ...entry, ino: '4', skippedBelow: -2 }], imported: {} }));
    expect(got).toMatchObject({ kind: 'ok', malformedEntries: 0 });
    if (got.kind !== 'ok') return;
    expect(got.contents.entries).toEqual([skipped, { ...entry, ino: '3' }, { ...entry, ino: '4' }]);
  });

  it('counts malformed entries and keeps the well-formed ones', () => {
    const got = decodeCheckpoints(JSON.stringify({ version: 2, entries: [entry, { flowId: 'f', offset: -1 }, 'x'] }));
    expect(got).toMatchObject({ kind: 'ok', malformedEntries: 2, contents: { entries: [entry] } });
  });
});

describe('CheckpointStore and the format version', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir('ka-codec-')));
  afterEach(() => cleanup());

  it('refuses a file written by a newer agent (exit-2 error) and leaves it in place', async () => {
    const path = join(dir, 'checkpoints');
    await writeFile(path, JSON.stringify({ version: 9, entries: [] }));
    const err = await CheckpointStore.open(path, { ttlDays: 7, log: silentLogger() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointFormatError);
    expect((err as CheckpointFormatError).code).toBe('CONFIG_CHECKPOINT_VERSION');
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 9, entries: [] });
  });

  it('refuses to take the Kinesis Agent\'s SQLite database for its own file (never moves it aside)', async () => {
    const path = join(dir, 'checkpoints');
    const db = new DatabaseSync(path);
    db.exec('create table FILE_CHECKPOINTS(flow text, path text, fileId text, lastModifiedTime bigint, size bigint, offset bigint, lastUpdated datetime, primary key (flow, path))');
    db.close();
    const err = await CheckpointStore.open(path, { ttlDays: 7, log: silentLogger() }).catch((e: unknown) => e);
    expect((err as CheckpointFormatError).code).toBe('CONFIG_CHECKPOINT_SQLITE');
  });

  it('reads a version 1 file and rewrites it at the current version', async () => {
    const path = join(dir, 'checkpoints');
    await writeFile(path, JSON.stringify({ version: 1, entries: [{ ...entry, updatedAt: Date.now() }] }));
    const s = await CheckpointStore.open(path, { ttlDays: 7, log: silentLogger() });
    expect(s.get('f', '1', '2')?.offset).toBe(5);
    await s.close();
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ version: CHECKPOINT_FORMAT_VERSION });
  });
});
