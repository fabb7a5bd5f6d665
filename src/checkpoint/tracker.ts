import type { Acker } from '../pipeline/types.js';

/**
 * Turns out-of-order acknowledgements of byte ranges into a committed offset
 * that never passes a gap (DESIGN invariant 1).
 *
 * The framer tiles a file with ranges (records and skipped bytes) with no
 * holes, so a range can only become committable when an ack ending exactly at
 * the committed offset arrives. Acked ranges that are ahead wait in a map
 * keyed by their start; each is inserted and removed once: O(1) amortised.
 */
export class CheckpointTracker implements Acker {
  private committedOffset: number;
  private framedOffset: number;
  private readonly ahead = new Map<number, number>();
  private waiters: { offset: number; fn: () => void }[] = [];
  /** Called with the new committed offset each time it moves forward. */
  onAdvance: (offset: number) => void;

  constructor(initialOffset: number, onAdvance: (offset: number) => void = () => {}) {
    this.committedOffset = initialOffset;
    this.framedOffset = initialOffset;
    this.onAdvance = onAdvance;
  }

  /** Every byte below this offset is delivered or deliberately skipped. */
  get committed(): number {
    return this.committedOffset;
  }

  /** The end of the last range handed out (records in flight lie between). */
  get framed(): number {
    return this.framedOffset;
  }

  /** Acked ranges waiting for an earlier gap to close. */
  get waiting(): number {
    return this.ahead.size;
  }

  /** Notes that [.., end) has been framed; ranges must be framed in order. */
  register(end: number): void {
    if (end > this.framedOffset) this.framedOffset = end;
  }

  ack(start: number, end: number): void {
    if (end <= this.committedOffset) return;
    if (start > this.committedOffset) {
      // An ack may be split (several acks per range) or merged (one ack for
      // several ranges); keying on start handles both. Keep the longest.
      const known = this.ahead.get(start);
      if (known === undefined || known < end) this.ahead.set(start, end);
      return;
    }
    let offset = end;
    for (;;) {
      const next = this.ahead.get(offset);
      if (next === undefined) break;
      this.ahead.delete(offset);
      offset = next;
    }
    this.committedOffset = offset;
    if (offset > this.framedOffset) this.framedOffset = offset;
    this.onAdvance(offset);
    if (this.waiters.length > 0) this.runWaiters();
  }

  /** Runs fn once the committed offset reaches `offset` (at once if it has). */
  whenCommitted(offset: number, fn: () => void): void {
    if (this.committedOffset >= offset) fn();
    else this.waiters.push({ offset, fn });
  }

  private runWaiters(): void {
    const due = this.waiters.filter((w) => w.offset <= this.committedOffset);
    if (due.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.offset > this.committedOffset);
    for (const w of due) w.fn();
  }
}
