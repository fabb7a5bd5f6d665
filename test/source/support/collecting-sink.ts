import type { RecordSink, SourceRecord } from '../../../src/pipeline/types.js';

export interface CollectingSinkOptions {
  /** Largest random delay before an ack, in ms (acks come out of order). */
  maxAckDelayMs?: number;
  /** Records held before push answers "slow down". */
  capacity?: number;
}

/**
 * A RecordSink for tests: keeps every record's text, acks each after a small
 * random delay (so acks arrive out of order), and can play a destination
 * that is down: then it holds acks and, once full, asks the source to wait.
 */
export class CollectingSink implements RecordSink {
  readonly records: string[] = [];
  private readonly maxDelay: number;
  private readonly capacity: number;
  private inFlight = 0;
  private held: SourceRecord[] = [];
  private down = false;
  private waiters: (() => void)[] = [];
  pushesRefused = 0;

  constructor(opts: CollectingSinkOptions = {}) {
    this.maxDelay = opts.maxAckDelayMs ?? 5;
    this.capacity = opts.capacity ?? 10_000;
  }

  push(record: SourceRecord): boolean {
    this.inFlight++;
    if (this.down) {
      this.held.push(record);
    } else {
      this.deliver(record);
    }
    const room = this.inFlight < this.capacity;
    if (!room) this.pushesRefused++;
    return room;
  }

  drained(): Promise<void> {
    if (this.inFlight < this.capacity) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The destination stops answering: records wait, unacked. */
  goDown(): void {
    this.down = true;
  }

  /** The destination is back: held records are delivered and acked. */
  comeBack(): void {
    this.down = false;
    const held = this.held;
    this.held = [];
    for (const r of held) this.deliver(r);
  }

  get pending(): number {
    return this.inFlight;
  }

  /** Lines received, without their `\n`. */
  lines(): string[] {
    return this.records.map((r) => (r.endsWith('\n') ? r.slice(0, -1) : r));
  }

  private deliver(record: SourceRecord): void {
    // The text is taken at once: the record is accepted, in push order.
    this.records.push(record.data.toString('utf8'));
    const finish = () => {
      record.acker.ack(record.start, record.end);
      this.inFlight--;
      if (this.inFlight < this.capacity && this.waiters.length > 0) {
        const w = this.waiters;
        this.waiters = [];
        for (const fn of w) fn();
      }
    };
    if (this.maxDelay <= 0) finish();
    else setTimeout(finish, Math.floor(Math.random() * this.maxDelay));
  }
}
