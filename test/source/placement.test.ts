import { describe, expect, it } from 'vitest';
import type { CheckpointEntry } from '../../src/checkpoint/entry.js';
import { hashPrefix } from '../../src/source/fingerprint.js';
import { decidePlacement, type Placement, type PlacementInput } from '../../src/source/placement.js';

const A = Buffer.from('alpha line 1\nalpha line 2\n');
const B = Buffer.from('beta line 1\n');
const PARTIAL = Buffer.from('no newline yet');

function entry(prefix: Buffer, offset: number, ino = '1'): CheckpointEntry {
  return { flowId: 'f', path: '/x', dev: '1', ino, fingerprint: hashPrefix(prefix), fingerprintBytes: prefix.length, offset, updatedAt: 0 };
}
const EMPTY_ENTRY: CheckpointEntry = { ...entry(Buffer.alloc(0), 0), fingerprint: '', fingerprintBytes: 0 };

type In = PlacementInput<string, string>;
const base: In = {
  prefix: A,
  size: 1000,
  atStartup: false,
  gone: false,
  entry: undefined,
  checkpoints: [],
  liveOriginal: undefined,
  truncatedOriginal: undefined,
  flowHasRun: false,
  initialPosition: 'END_OF_FILE',
  sizeAtStartup: undefined,
};

/** [what, input over the base, decision]: one row per rule and per way a rule can be reached. */
const table: [string, Partial<In>, Placement<string, string>][] = [
  ['own checkpoint, same first bytes: resume', { entry: entry(A, 300) }, { kind: 'resume', offset: 300 }],
  ['own checkpoint, at start-up too', { entry: entry(A, 300), atStartup: true, flowHasRun: true }, { kind: 'resume', offset: 300 }],
  ['own checkpoint past the end: truncated while away', { entry: entry(A, 3000) }, { kind: 'start', why: 'shrunk' }],
  ['own checkpoint of an empty file', { entry: EMPTY_ENTRY, prefix: PARTIAL, size: 14 }, { kind: 'start', why: 'was-empty' }],
  ['own checkpoint beats a live look-alike', { entry: entry(A, 5), liveOriginal: 'a.log' }, { kind: 'resume', offset: 5 }],
  ['running, no whole first line: wait', { prefix: PARTIAL, size: 14 }, { kind: 'wait' }],
  ['running, no whole first line, but gone: place now', { prefix: PARTIAL, size: 14, gone: true }, { kind: 'start', why: 'new' }],
  ['start-up never waits', { prefix: PARTIAL, size: 14, atStartup: true, initialPosition: 'START_OF_FILE' }, { kind: 'start', why: 'initial-position' }],
  ['running, begins like a live file: hold', { liveOriginal: 'a.log' }, { kind: 'hold', original: 'a.log' }],
  ['running, begins like a truncated file: after it', { truncatedOriginal: 'epoch' }, { kind: 'after-truncated', epoch: 'epoch' }],
  ['live look-alike first, then a truncated one', { liveOriginal: 'a.log', truncatedOriginal: 'epoch' }, { kind: 'hold', original: 'a.log' }],
  ['at start-up live look-alikes do not count', { atStartup: true, liveOriginal: 'a.log', flowHasRun: true }, { kind: 'start', why: 'new' }],
  ['at start-up, like another inode\'s checkpoint: its offset', { atStartup: true, checkpoints: [entry(A, 40, '9')] }, { kind: 'copy-of-checkpoint', offset: 40 }],
  ['copy made while away, checkpoint past the copy', { atStartup: true, size: 30, checkpoints: [entry(A, 40, '9')] }, { kind: 'copy-of-checkpoint', offset: 30 }],
  ['while running, checkpoints of other inodes do not count', { checkpoints: [entry(A, 40, '9')] }, { kind: 'start', why: 'new' }],
  ['inode checkpointed for other content: reused', { entry: entry(B, 10) }, { kind: 'start', why: 'reused-inode' }],
  ['reused inode at start-up', { entry: entry(B, 10), atStartup: true }, { kind: 'start', why: 'reused-inode' }],
  ['first run, END_OF_FILE, at start-up: its end', { atStartup: true }, { kind: 'end', offset: 1000 }],
  ['first run, END_OF_FILE, opened late: its size at start-up', { sizeAtStartup: 600 }, { kind: 'end', offset: 600 }],
  ['first run, END_OF_FILE, shrunk since start-up', { sizeAtStartup: 2000 }, { kind: 'end', offset: 1000 }],
  ['first run, START_OF_FILE, at start-up', { atStartup: true, initialPosition: 'START_OF_FILE' }, { kind: 'start', why: 'initial-position' }],
  ['first run, a file appearing later: from its start', {}, { kind: 'start', why: 'new' }],
  ['flow has run, no checkpoint, at start-up (appeared while away): from its start', { atStartup: true, flowHasRun: true }, { kind: 'start', why: 'new' }],
  ['flow has run, opened late over the cap: from its start', { flowHasRun: true, sizeAtStartup: 600 }, { kind: 'start', why: 'new' }],
  ['flow has run, START_OF_FILE: from its start', { atStartup: true, flowHasRun: true, initialPosition: 'START_OF_FILE' }, { kind: 'start', why: 'new' }],
];

describe('placement: where reading of a file starts', () => {
  it.each(table)('%s', (_what, over, want) => {
    expect(decidePlacement({ ...base, ...over })).toEqual(want);
  });

  it('covers every kind of decision', () => {
    const kinds = new Set(table.map(([, , p]) => p.kind));
    expect([...kinds].sort()).toEqual(['after-truncated', 'copy-of-checkpoint', 'end', 'hold', 'resume', 'start', 'wait']);
  });
});
