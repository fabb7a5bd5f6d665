/**
 * Gathers records into one batch until it is full by entries or bytes (the
 * flow's buffer settings, capped by the API's) or holds its share of the
 * queue, then hands it on. Age is the caller's timer: it calls flush() when
 * the oldest record is old enough.
 */
import { dataLength } from '../pipeline/line.js';
import type { SourceRecord } from '../pipeline/types.js';
import type { Entry, Packer } from './entry.js';

export interface BatchCaps {
  /** Entries a call may carry. */
  entries: number;
  /** Bytes a call may carry, as the packer counts them. */
  bytes: number;
  /**
   * Bytes of the queue the batch's user records may hold: their data plus
   * `heldPerRecord` each (the queue's own count, delivery.ts). Infinity for no cap.
   */
  held: number;
  heldPerRecord: number;
}

export class Batcher {
  private count = 0;
  private held = 0;

  constructor(
    private readonly packer: Packer,
    private readonly caps: BatchCaps,
    private readonly emit: (entries: Entry[]) => void,
  ) {}

  /** User records waiting in the open batch. */
  get pending(): number {
    return this.count;
  }

  add(record: SourceRecord, key: string): void {
    const cost = this.packer.cost(record, key);
    if (
      this.count > 0 &&
      (this.packer.entryCount + cost.entries > this.caps.entries || this.packer.byteCount + cost.bytes > this.caps.bytes)
    ) {
      this.flush();
    }
    this.packer.add(record, key);
    this.count++;
    this.held += dataLength(record) + this.caps.heldPerRecord;
    if (this.packer.entryCount >= this.caps.entries || this.packer.byteCount >= this.caps.bytes || this.held >= this.caps.held) this.flush();
  }

  flush(): void {
    if (this.count === 0) return;
    this.count = 0;
    this.held = 0;
    const entries = this.packer.take();
    if (entries.length > 0) this.emit(entries);
  }
}
