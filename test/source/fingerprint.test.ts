import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashPrefix, matchesStored, prefixKey, readPrefix, samePrefix, FINGERPRINT_MAX_BYTES } from '../../src/source/fingerprint.js';
import { STAT_CHUNK, statAll, statPath } from '../../src/source/identity.js';
import { isCompressedName } from '../../src/source/compressed.js';
import { symlink, rename } from 'node:fs/promises';
import { tempDir } from './support/helpers.js';

describe('identity and fingerprint', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('reads at most FINGERPRINT_MAX_BYTES of the first bytes', async () => {
    const p = join(dir, 'f');
    await writeFile(p, 'a'.repeat(5000));
    const fh = await open(p, 'r');
    expect((await readPrefix(fh, 5000)).length).toBe(FINGERPRINT_MAX_BYTES);
    expect((await readPrefix(fh, 10)).length).toBe(10);
    await fh.close();
  });

  it('matches a stored fingerprint only when the file has as many bytes and they hash the same', () => {
    const p = Buffer.from('line one\nline two\n');
    const fp = hashPrefix(p.subarray(0, 9));
    expect(matchesStored(p, fp, 9)).toBe(true);
    expect(matchesStored(p.subarray(0, 5), fp, 9)).toBe(false);
    expect(matchesStored(Buffer.from('line One\n'), fp, 9)).toBe(false);
    expect(matchesStored(p, '', 0)).toBe(false);
  });

  it('recognises a copy by its first whole line(s), even when shorter than the original', () => {
    expect(samePrefix(Buffer.from('a 1\nb 2\nc 3\n'), Buffer.from('a 1\nb 2\n'))).toBe(true);
    expect(samePrefix(Buffer.from('a 1\nb'), Buffer.from('a 2\nb'))).toBe(false);
    // Same first bytes but no whole line: not enough to call it a copy.
    expect(samePrefix(Buffer.from('2024-01'), Buffer.from('2024-01-02\n'))).toBe(false);
  });

  it('recognises a copy of a file whose first line is longer than the fingerprint by the whole fingerprint', () => {
    const long = Buffer.from('h'.repeat(FINGERPRINT_MAX_BYTES));
    const cases: [Buffer, Buffer, boolean][] = [
      [long, Buffer.from(long), true],
      // The original has grown past the fingerprint, the copy holds it whole.
      [Buffer.concat([long, Buffer.from('hh\n')]), long, true],
      [long, Buffer.from(`${'h'.repeat(FINGERPRINT_MAX_BYTES - 1)}x`), false],
      // Less than a fingerprint and no whole line yet: not enough.
      [long.subarray(0, 500), long.subarray(0, 500), false],
    ];
    for (const [a, b, same] of cases) expect(samePrefix(a, b)).toBe(same);
    expect(prefixKey(long)).toBe(long.toString('latin1'));
    expect(prefixKey(Buffer.from('a 1\nb'))).toBe('a 1\n');
    expect(prefixKey(long.subarray(0, 500))).toBeUndefined();
  });

  it('keeps dev+ino through a rename and resolves symlinks to the real file', async () => {
    const p = join(dir, 'app.log');
    await writeFile(p, 'x\n');
    const a = await statPath(p);
    await rename(p, join(dir, 'app.log.1'));
    const b = await statPath(join(dir, 'app.log.1'));
    await symlink(join(dir, 'app.log.1'), join(dir, 'link.log'));
    const c = await statPath(join(dir, 'link.log'));
    expect(b!.key).toBe(a!.key);
    expect(c!.key).toBe(a!.key);
  });

  it('stats a rescan\'s paths as statPath does, gone ones as undefined, letting the event loop turn between chunks', async () => {
    const paths: string[] = [];
    for (let i = 0; i < STAT_CHUNK * 2 + 5; i++) {
      const p = join(dir, `f${i}.log`);
      if (i % 7 !== 3) await writeFile(p, 'x'.repeat(i) + '\n');
      paths.push(p);
    }
    const symlinked = join(dir, 'link.log');
    await symlink(paths[0]!, symlinked);
    paths.push(symlinked);
    // An immediate queued now runs before statAll is done only if statAll gives the loop a turn.
    let turned = false;
    setImmediate(() => (turned = true));
    const got = await statAll(paths);
    expect(turned).toBe(true);
    expect(got.length).toBe(paths.length);
    for (let i = 0; i < paths.length; i++) expect(got[i]).toEqual(await statPath(paths[i]!));
    expect(got.filter((s) => s === undefined).length).toBe(Math.ceil((STAT_CHUNK * 2 + 5 - 3) / 7));
    expect(got.at(-1)!.key).toBe(got[0]!.key);
  });

  it('knows compressed rotated files by name', () => {
    for (const n of ['a.log.1.gz', 'a.log.bz2', 'a.zip', 'a.log.xz', 'a.log.zst']) expect(isCompressedName(n)).toBe(true);
    expect(isCompressedName('a.log.1')).toBe(false);
  });
});
