/**
 * When the source's gauges (bytes and files behind, files tracked) are
 * summed again: a pass over every tailed file, the decision alone.
 */

/** While anything may still move them, the gauges are summed at most this often (ms) when no turn read anything. */
export const GAUGES_EVERY_MS = 1_000;

/** What the last sum found. */
export interface LastGauges {
  /** Monotonic ms of the last sum. */
  at: number;
  filesBehind: number;
  filesTracked: number;
}

/**
 * Whether a turn sums the gauges again (monotonic ms): after a turn that
 * read something, at once; otherwise every GAUGES_EVERY_MS while a file
 * was behind at the last sum (acknowledgements move its committed offset
 * outside any turn) or the number of tailed files changed since. With every
 * file caught up and acknowledged nothing can move them but a read (a file
 * grows only through its turn) or a scan (which sums them itself), so 1,000
 * quiet files cost no pass over all of them every second.
 */
export function gaugesDue(now: number, progressed: boolean, last: LastGauges, filesTracked: number): boolean {
  if (progressed) return true;
  if (now - last.at < GAUGES_EVERY_MS) return false;
  return last.filesBehind > 0 || filesTracked !== last.filesTracked;
}
