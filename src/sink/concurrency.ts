/**
 * How many calls a flow may have in flight, adapted to the destination:
 * additive increase on success, multiplicative decrease on throttling.
 *
 * All calls in flight when throttling starts tend to fail together; only the
 * first of them halves the limit, the others started before that decision
 * and say nothing new about the current limit.
 */
export class AdaptiveConcurrency {
  private current: number;
  private issued = 0;
  private lastCut = 0;

  constructor(readonly max: number) {
    this.current = Math.max(1, max);
  }

  get limit(): number {
    return this.current;
  }

  /** The latest ticket handed out. */
  get lastTicket(): number {
    return this.issued;
  }

  /** A ticket for a call about to start; pass it back with its outcome. */
  begin(): number {
    return ++this.issued;
  }

  succeeded(): void {
    if (this.current < this.max) this.current += 1;
  }

  /** Throttled or overloaded: halve, once per round of calls. */
  throttled(ticket: number): void {
    if (ticket <= this.lastCut) return;
    this.current = Math.max(1, Math.floor(this.current / 2));
    this.lastCut = this.issued;
  }

  /** A failure every call will share (stream missing, access denied): probe with one call. */
  collapse(): void {
    this.current = 1;
    this.lastCut = this.issued;
  }
}
