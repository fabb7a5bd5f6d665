import { describe, expect, it } from 'vitest';
import { IDLE_POLL_MS, LONG_IDLE_MS, PATH_CHECK_MS, QUIET_MAX_MS, pathCheckEvery, pollEvery, pollSpacing, restingChecks } from '../../src/source/poll-schedule.js';

describe('pollSpacing: how often a caught-up file is polled', () => {
  it.each([
    // pollMs, events on, quiet ms, spacing
    [100, true, -1, 100], // being read
    [100, true, 0, 100],
    [100, true, LONG_IDLE_MS, 100],
    [100, true, LONG_IDLE_MS + 1, IDLE_POLL_MS], // quiet for 5 s, events on: once a second
    [100, true, 3_600_000, IDLE_POLL_MS], // quiet for an hour: still once a second
    [100, false, 3_600_000, 100], // events off: every poll interval, however long quiet
    [5000, true, 3_600_000, 5000], // a longer configured interval stays
  ])('pollMs %i, events %s, quiet %i ms: every %i ms', (pollMs, events, quiet, want) => {
    expect(pollSpacing(pollMs, events, quiet)).toBe(want);
  });
});

describe('pathCheckEvery: how often what a quiet file\'s path leads to is looked at', () => {
  it.each([
    // spacing, quiet at the last look, events trusted for its directory, every
    [100, -1, true, PATH_CHECK_MS], // being read: at most every 200 ms
    [100, 2_000, true, PATH_CHECK_MS],
    [IDLE_POLL_MS, 5_000, true, IDLE_POLL_MS], // just long quiet: with its 1 s poll
    [IDLE_POLL_MS, 8_000, true, 2_000], // a quarter of the quiet time
    [IDLE_POLL_MS, 20_000, true, 5_000],
    [IDLE_POLL_MS, 40_000, true, QUIET_MAX_MS],
    [IDLE_POLL_MS, 3_600_000, true, QUIET_MAX_MS], // quiet for an hour: every 10 s at most
    [IDLE_POLL_MS, 3_600_000, false, IDLE_POLL_MS], // events not trusted there (a network file system, nothing heard yet): every second
    [100, 3_600_000, false, PATH_CHECK_MS], // events off: every 200 ms, as the README promises
  ])('spacing %i ms, quiet %i ms at the last look, events trusted %s: every %i ms', (spacing, quiet, trusted, want) => {
    expect(pathCheckEvery(spacing, quiet, trusted)).toBe(want);
  });
});

describe('pollEvery: how often a caught-up file is polled, events considered', () => {
  it.each([
    // spacing, quiet at the last poll, events trusted for its directory (and the file at its path), every
    [100, -1, true, 100], // being read
    [100, 3_000, true, 100], // quiet, not for long
    [IDLE_POLL_MS, LONG_IDLE_MS, true, IDLE_POLL_MS],
    [IDLE_POLL_MS, 8_000, true, 2_000], // writes raise events: the poll is the safety net
    [IDLE_POLL_MS, 3_600_000, true, QUIET_MAX_MS], // quiet for an hour: polled every 10 s
    [IDLE_POLL_MS, 3_600_000, false, IDLE_POLL_MS], // events not trusted (network file system, renamed away): every second
    [100, 3_600_000, false, 100], // events off: every poll interval
  ])('spacing %i ms, quiet %i ms at the last poll, events trusted %s: every %i ms', (spacing, quiet, trusted, want) => {
    expect(pollEvery(spacing, quiet, trusted)).toBe(want);
  });
});

describe('restingChecks: a quiet file\'s poll and path look fall together', () => {
  const now = 100_000;
  it.each([
    // poll due at, look due at, last poll, last look, pollMs, at its path, poll?, look?
    [now + 500, now + 500, now - 2_000, now - 2_000, 100, true, false, false, 'neither due: nothing'],
    [now, now, now - 2_000, now - 2_000, 100, true, true, true, 'both due: both'],
    [now, now + 700, now - 2_000, now - 1_300, 100, true, true, true, 'the poll due: the look goes with it (one stat for both from then on)'],
    [now + 700, now, now - 1_300, now - 2_000, 100, true, true, true, 'the look due: the poll goes with it'],
    [now, now + 150, now - 100, now - 50, 100, true, true, false, 'being read: the look waits for its 200 ms'],
    [now + 60, now, now - 40, now - 200, 100, true, false, true, 'the look due 40 ms after a poll: no second poll within minTimeBetweenFilePollsMillis'],
    [now, now + 4_000, now - 6_000, now - 6_000, 5_000, true, true, true, 'a long configured poll interval: the look joins it'],
    [now + 4_000, now, now - 6_000, now - 6_000, 10_000, true, false, true, 'the look due 6 s after a poll, with polls every 10 s configured: the poll keeps its interval'],
    [now, now + 700, now - 1_000, now - 300, 100, false, true, false, 'renamed away or gone: its path leads elsewhere, no look with the poll'],
    [now + 700, now, now - 300, now - 1_000, 100, false, false, true, 'renamed away or gone: no poll with the look'],
  ] as const)('poll due %i, look due %i, last poll %i, last look %i, pollMs %i, at its path %s: poll %s, look %s (%s)', (pollDueAt, lookDueAt, lastPoll, lastLook, pollMs, atPath, poll, look, _why) => {
    expect(restingChecks(now, pollDueAt, lookDueAt, lastPoll, lastLook, pollMs, atPath)).toEqual({ poll, look });
  });
});
