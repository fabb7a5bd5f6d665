/**
 * The narrow interfaces between pipeline stages. Data travels forward as
 * SourceRecords; acknowledgements travel back through each record's Acker.
 */

/** Receives the fate of byte ranges of one tailed file. */
export interface Acker {
  /**
   * Bytes [start, end) of the file are delivered, or deliberately skipped
   * (a processor dropped them, a header line): either way they are done and
   * the checkpoint may pass them once every earlier range is done too.
   */
  ack(start: number, end: number): void;
}

/** One record on its way to a destination. */
export interface SourceRecord {
  /** The bytes to send. A Buffer from read to send (DESIGN invariant 5). */
  data: Buffer;
  /** Who to tell when [start, end) is done. */
  acker: Acker;
  /** Byte offsets in the source file that this record covers. */
  start: number;
  end: number;
  /** The file the bytes were read from; `path` is its name now (it follows renames). */
  file: { readonly path: string };
}

/** The next stage, as seen by the one before it. */
export interface RecordSink {
  /**
   * Takes one record. Never refuses it; returns false when the caller should
   * stop producing until `drained()` resolves (bounded memory, invariant 2).
   */
  push(record: SourceRecord): boolean;
  /** Resolves when the sink has room again (at once if it has room now). */
  drained(): Promise<void>;
}
