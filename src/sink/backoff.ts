/**
 * Exponential backoff with full jitter, floored at the initial backoff: the
 * n-th consecutive failure waits a uniform time in
 * [initial, min(max, initial * 2^n)], so many agents failing together spread
 * out instead of retrying in lockstep.
 */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const floor = Math.min(initialMs, maxMs);
  const cap = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(floor + random() * Math.max(0, cap - floor));
}
