import type { RecordSink, SourceRecord } from './types.js';

/** The part of a processor chain the pipeline needs: bytes in, bytes or a skip out. */
export interface RecordProcessor {
  /** `record` is passed whole as the bytes' origin (path, offset): no allocation. */
  process(data: Buffer, record: SourceRecord): Buffer | null;
}

/**
 * Runs each framed record through the flow's processors on its way to the
 * delivery stage. A record a processor drops is acknowledged at once: its
 * bytes are done, so the checkpoint may pass them (DESIGN invariant 1).
 */
export class ProcessStage implements RecordSink {
  constructor(
    private readonly processor: RecordProcessor,
    private readonly next: RecordSink,
  ) {}

  push(record: SourceRecord): boolean {
    const input = record.data;
    const data = this.processor.process(input, record);
    if (data === null) {
      record.acker.ack(record.start, record.end);
      return true;
    }
    // Bytes passed through unchanged stay where they were: a Line's view would be held for nothing (line.ts).
    if (data !== input) record.data = data;
    return this.next.push(record);
  }

  drained(): Promise<void> {
    return this.next.drained();
  }
}
