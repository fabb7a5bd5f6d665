/**
 * How often a caught-up file is polled and its path looked at: the
 * decisions alone, as numbers in and out (FileSource applies them).
 */

/** With events on, a file quiet this long (ms) is polled only every IDLE_POLL_MS. */
export const LONG_IDLE_MS = 5_000;
export const IDLE_POLL_MS = 1_000;
/**
 * What a tailed path leads to is looked at (one stat) at most this often
 * (ms) per file, more often only when an event says the file changed: a
 * file created where a tailed one was is opened within about this long even
 * when no event tells of it.
 */
export const PATH_CHECK_MS = 200;
/**
 * With events on and trusted for its directory (EventWatcher.eventsTrusted),
 * a file at its path that was quiet for q ms at its last poll (or look at
 * its path) is polled (looked at) again q / QUIET_DIVISOR later, from its
 * usual interval up to QUIET_MAX_MS: a write raises an event, which makes
 * the poll happen at once, and a create or rename there raises one which
 * makes the look (and a rescan) happen at once; the slow poll and look are
 * only the safety net for an event lost.
 */
export const QUIET_DIVISOR = 4;
export const QUIET_MAX_MS = 10_000;

/**
 * How often a caught-up file is polled (ms): every `pollMs`
 * (minTimeBetweenFilePollsMillis); with events on, one quiet for more than
 * LONG_IDLE_MS only every IDLE_POLL_MS (an event still makes it read at
 * once), to keep many quiet files cheap. `quietMs`: how long it has been
 * caught up, -1 while it is not.
 */
export function pollSpacing(pollMs: number, eventsOn: boolean, quietMs: number): number {
  return eventsOn && quietMs > LONG_IDLE_MS ? Math.max(pollMs, IDLE_POLL_MS) : pollMs;
}

/**
 * Time (ms) from one poll of a caught-up file to the next: `spacingMs`
 * (pollSpacing); for a file at its path that was quiet for more than
 * LONG_IDLE_MS at that poll (`quietThenMs`, -1 when it was not caught up)
 * in a directory whose events are trusted, a quarter of that quiet time,
 * between `spacingMs` and QUIET_MAX_MS.
 */
export function pollEvery(spacingMs: number, quietThenMs: number, eventsTrusted: boolean): number {
  if (!eventsTrusted || quietThenMs <= LONG_IDLE_MS) return spacingMs;
  return Math.max(spacingMs, Math.min(QUIET_MAX_MS, quietThenMs / QUIET_DIVISOR));
}

/**
 * Time (ms) from one look at a file's path to the next: with its poll
 * (`spacingMs`, pollSpacing) but at most every PATH_CHECK_MS, and spaced
 * out as pollEvery spaces polls (`quietThenMs` at that look).
 */
export function pathCheckEvery(spacingMs: number, quietThenMs: number, eventsTrusted: boolean): number {
  return pollEvery(Math.max(spacingMs, PATH_CHECK_MS), quietThenMs, eventsTrusted);
}

/** What to do now for a caught-up file at rest: poll it (fstat), look at its path (stat), or both. */
export interface RestingChecks {
  poll: boolean;
  look: boolean;
}

/**
 * Which of its two checks a caught-up file at rest gets now (monotonic ms
 * throughout): each when it is due (`pollDueAt`, `lookDueAt`), and, for a
 * file at its path (`atPath`), each with the other when that one is due,
 * provided its own last was at least its shortest spacing ago (`pollMs`,
 * minTimeBetweenFilePollsMillis, since `lastPollAt`; PATH_CHECK_MS since
 * `lookedAt`). Both are then done at the same moment, and stay together
 * from then on (the same spacing, counted from the same moment), so that
 * one stat of the path, when it leads to the file, serves as the poll too:
 * one stat per quiet file instead of two. Nothing is done later than
 * before, only sometimes sooner.
 */
export function restingChecks(now: number, pollDueAt: number, lookDueAt: number, lastPollAt: number, lookedAt: number, pollMs: number, atPath: boolean): RestingChecks {
  const pollDue = now >= pollDueAt;
  const lookDue = now >= lookDueAt;
  if (!atPath) return { poll: pollDue, look: lookDue };
  return {
    poll: pollDue || (lookDue && now - lastPollAt >= pollMs),
    look: lookDue || (pollDue && now - lookedAt >= PATH_CHECK_MS),
  };
}
