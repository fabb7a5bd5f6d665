import { describe, expect, it } from 'vitest';
import { GAUGES_EVERY_MS, gaugesDue } from '../../src/source/gauge-schedule.js';

describe('gaugesDue: when the source sums its gauges again', () => {
  const at = 50_000;
  it.each([
    // ms since the last sum, the turn read something, files behind then, files tracked then, files tracked now, due
    [10, true, 0, 1000, 1000, true, 'a turn that read: at once'],
    [10, false, 3, 1000, 1000, false, 'files behind, less than a second ago: not yet'],
    [GAUGES_EVERY_MS, false, 3, 1000, 1000, true, 'files behind (acks still to come), a second on: again'],
    [GAUGES_EVERY_MS, false, 0, 1000, 1000, false, 'every file caught up and acknowledged: nothing can have moved them'],
    [3_600_000, false, 0, 1000, 1000, false, 'an hour quiet: still nothing to sum'],
    [GAUGES_EVERY_MS, false, 0, 1000, 999, true, 'a file let go since: files tracked changed'],
    [10, false, 0, 1000, 999, false, 'a file let go a moment ago: within the second'],
  ] as const)('%i ms on, read %s, %i behind, %i tracked then, %i now: %s (%s)', (since, progressed, behind, trackedThen, trackedNow, due, _why) => {
    expect(gaugesDue(at + since, progressed, { at, filesBehind: behind, filesTracked: trackedThen }, trackedNow)).toBe(due);
  });

  it('sums at the first turn', () => {
    expect(gaugesDue(0, false, { at: -Infinity, filesBehind: 0, filesTracked: -1 }, 0)).toBe(true);
  });
});
