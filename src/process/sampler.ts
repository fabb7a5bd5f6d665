/**
 * Lets one event through per interval and counts the ones it held back, so a
 * file full of bad lines costs one log line every few seconds, not one each.
 */
export class LogSampler {
  private readonly intervalMs: number;
  private last = -Infinity;
  private held = 0;

  constructor(intervalMs = 10_000) {
    this.intervalMs = intervalMs;
  }

  /** The number held back since the last one let through, or -1 to stay quiet. */
  take(): number {
    // Monotonic: a wall clock stepped back must not silence warnings for as long.
    const now = performance.now();
    if (now - this.last < this.intervalMs) {
      this.held++;
      return -1;
    }
    this.last = now;
    const held = this.held;
    this.held = 0;
    return held;
  }
}
