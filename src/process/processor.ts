import type { Logger } from '../log.js';
import type { FlowEvents } from '../events/flow-events.js';

/** What every processor may use: the flow's counters and logger. */
export interface ProcessorContext {
  metrics: FlowEvents;
  log: Logger;
  /** IMDS base URL for ADDEC2METADATA; tests point it at a loopback server. */
  ec2MetadataEndpoint?: string;
}

/**
 * Where a record's bytes came from. The pipeline's SourceRecord is one, so
 * passing it costs nothing; only ADDMETADATA's `{{...}}` templates read it.
 */
export interface RecordOrigin {
  /** Byte offset in the file of the record's first byte (its first line). */
  readonly start: number;
  /** The file as the source knows it now; `path` follows renames. */
  readonly file: { readonly path: string };
}

/**
 * One dataProcessingOptions entry, ready to run. `process` returns the new
 * bytes, or null to skip the record on purpose; it throws RecordConversionError
 * (or anything else) when the record cannot be converted, and the chain then
 * sends the record as it was read, as the Kinesis Agent does.
 */
export interface Processor {
  process(data: Buffer, origin: RecordOrigin): Buffer | null;
  /** Resolves once the processor has what it needs to do its work (ADDEC2METADATA's first fetch). */
  ready?(): Promise<void>;
  close?(): void;
}

/** A record this processor cannot convert; the chain falls back to the raw record. */
export class RecordConversionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RecordConversionError';
  }
}

/** The record's text without its one terminating `\n`, the way every converter of the agent reads it. */
export function lineText(data: Buffer): string {
  const end = data.length > 0 && data[data.length - 1] === 0x0a ? data.length - 1 : data.length;
  return data.toString('utf8', 0, end);
}
