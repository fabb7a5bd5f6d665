import { describe, expect, it } from 'vitest';
import { decideFinish, renamedAway, Siblings, type FinishDecision, type FinishFacts } from '../../src/source/after-shipping.js';

const MIN = 60_000;
/** A rotated file read to its end, every byte acknowledged, quiet for two minutes. */
const base: FinishFacts = {
  files: 'rotated',
  where: 'renamed',
  placed: true,
  skippedBelow: 0,
  rotated: 'renamed',
  newestInDirectory: false,
  size: 1000,
  readOffset: 1000,
  framed: 1000,
  committed: 1000,
  quietMillis: 2 * MIN,
  sinceModifiedMillis: 2 * MIN,
  periodMillis: MIN,
};

/** [what, facts over the base, decision kind, and for finished its reason]. */
const table: [string, Partial<FinishFacts>, FinishDecision['kind'], string?][] = [
  ['renamed, read, acked, quiet: finished', {}, 'finished', 'renamed'],
  ['a copytruncate copy at its own path: finished', { where: 'path', rotated: 'copy' }, 'finished', 'copy'],
  ['moved while the agent was stopped: finished', { where: 'path', rotated: 'renamed-since-checkpoint' }, 'finished', 'renamed-since-checkpoint'],
  ['app.log.1 beside app.log: finished', { where: 'path', rotated: 'older-name' }, 'finished', 'older-name'],
  ['gone from the patterns: no name to act on', { where: 'gone' }, 'live'],
  ['held as a possible copy: not yet', { placed: false }, 'not-yet'],
  ['bytes skipped by initialPosition END_OF_FILE (never shipped): never', { skippedBelow: 800 }, 'live'],
  ['the live file at its path, rotated-only: never', { where: 'path', rotated: undefined }, 'live'],
  ['live file quiet for hours, rotated-only: never', { where: 'path', rotated: undefined, quietMillis: 600 * MIN, sinceModifiedMillis: 600 * MIN }, 'live'],
  ['quiet mode, the newest file of its directory: never', { files: 'quiet', where: 'path', rotated: undefined, newestInDirectory: true }, 'live'],
  ['quiet mode, an older quiet file: finished', { files: 'quiet', where: 'path', rotated: undefined }, 'finished', 'quiet'],
  ['quiet mode, an older file not quiet long enough: not yet', { files: 'quiet', where: 'path', rotated: undefined, quietMillis: 10_000 }, 'not-yet'],
  ['bytes unread: not yet', { readOffset: 500 }, 'not-yet'],
  ['grew since read to its end (quiet unknown): not yet', { quietMillis: -1 }, 'not-yet'],
  ['read to its end a moment ago: not yet', { quietMillis: 5_000 }, 'not-yet'],
  ['modified a moment ago (mtime, survives restarts): not yet', { sinceModifiedMillis: 5_000 }, 'not-yet'],
  ['an unterminated last line waits in the framer: hand it out', { framed: 990, committed: 990 }, 'end-line'],
  ['records in flight (outage): not yet', { committed: 400 }, 'not-yet'],
  ['one byte not acknowledged: not yet', { committed: 999 }, 'not-yet'],
  ['quiet exactly the period: finished', { quietMillis: MIN, sinceModifiedMillis: MIN }, 'finished', 'renamed'],
];

describe('decideFinish: when a file is finished (afterShipping)', () => {
  it.each(table)('%s', (_what, over, kind, reason) => {
    const d = decideFinish({ ...base, ...over });
    expect(d.kind).toBe(kind);
    if (d.kind === 'finished') expect(d.rotated).toBe(reason);
  });

  it('says why a file waits, for /status', () => {
    expect(decideFinish({ ...base, committed: 400 })).toEqual({ kind: 'not-yet', why: '600 bytes not acknowledged yet' });
    expect(decideFinish({ ...base, quietMillis: 30_000 })).toEqual({ kind: 'not-yet', why: 'quiet for 30 s of 60 s' });
  });

  it('never finishes a file acknowledged short of its end, whatever else holds', () => {
    for (const over of table.map((r) => r[1])) {
      const d = decideFinish({ ...base, ...over, committed: 999 });
      expect(d.kind).not.toBe('finished');
    }
  });
});

describe('Siblings: rotated names and the newest file of a directory', () => {
  const s = new Siblings([
    { path: '/l/app.log', mtimeMs: 30 },
    { path: '/l/app.log.1', mtimeMs: 20 },
    { path: '/l/app.log-20261130', mtimeMs: 10 },
    { path: '/l/a', mtimeMs: 5 },
    { path: '/l/access.log', mtimeMs: 25 },
    { path: '/l/app.log.err', mtimeMs: 4 },
    { path: '/l/app.log.old', mtimeMs: 4 },
    { path: '/l/app.log.2', mtimeMs: 4 },
    { path: '/l/app.log-2026-11-30-1764510000', mtimeMs: 4 },
    { path: '/l/app.log.20261130.1', mtimeMs: 4 },
    { path: '/m/app.log.1', mtimeMs: 1 },
  ]);
  it.each([
    ['/l/app.log.1', true],
    ['/l/app.log-20261130', true],
    ['/l/app.log', false],
    ['/l/access.log', false], // `a` is there, but `ccess.log` is no rotation suffix
    ['/l/app.log.err', false], // a live log of its own beside app.log, not a rotation
    ['/l/app.log.old', false],
    ['/l/app.log.2', true],
    ['/l/app.log-2026-11-30-1764510000', true],
    ['/l/app.log.20261130.1', true],
    ['/m/app.log.1', false], // its live name is in another directory
  ])('%s extends another name: %s', (path, expected) => {
    expect(s.extendsAnother(path)).toBe(expected);
  });
  it('knows the newest file per directory', () => {
    expect(s.isNewest('/l/app.log')).toBe(true);
    expect(s.isNewest('/l/app.log.1')).toBe(false);
    expect(s.isNewest('/m/app.log.1')).toBe(true);
  });
});

describe('renamedAway: a move that takes a file away from the name it is written under', () => {
  it.each([
    ['/l/app.log', '/l/app.log.1', true],
    ['/l/app.log.1', '/l/app.log.2', true],
    ['/l/app.log.9', '/l/app.log.10', true],
    ['/l/app.log', '/l/app.log-20261130', true],
    ['/l/app.log', '/l/old/app.log.1', true], // logrotate olddir
    ['/l/current', '/l/@400000006947a1c2.s', true], // svlogd
    ['/l/v1/app.log', '/l/current/app.log', false], // its directory renamed: still the live file
    ['/l/app.log.next', '/l/app.log', false], // moved into place: the name the writer writes
  ])('%s -> %s: %s', (from, to, expected) => {
    expect(renamedAway(from, to)).toBe(expected);
  });
});
