import type { ProcessingOption } from './options.js';
import type { Processor, ProcessorContext, RecordOrigin } from './processor.js';
import { createProcessor } from './registry.js';
import { LogSampler } from './sampler.js';

/** A flow's dataProcessingOptions, run in the order listed. */
export interface ProcessorChain {
  /**
   * The processed bytes of one framed record, or null when a processor
   * skipped it on purpose (the caller acks its bytes as done). When a
   * processor fails, the record comes back as it went in, as the Kinesis
   * Agent sends raw data then. `origin` says where the bytes came from
   * (UNKNOWN_ORIGIN when the caller reads no file: bench, tests). Never throws.
   */
  process(data: Buffer, origin?: RecordOrigin): Buffer | null;
  /**
   * Resolves once every processor can do its full work: ADDEC2METADATA has
   * made its first metadata fetch (success or not). Start reading after it so
   * the first records get metadata too. Never rejects.
   */
  ready(): Promise<void>;
  /** Stops background work (metadata refresh). */
  close(): void;
}

/** The origin of bytes that came from no file: path "" at offset 0. */
export const UNKNOWN_ORIGIN: RecordOrigin = { start: 0, file: { path: '' } };

const PASS_THROUGH: ProcessorChain = {
  process: (data) => data,
  ready: () => Promise.resolve(),
  close: () => undefined,
};

/**
 * Builds the chain for a flow. Throws InvalidProcessingOptionError for an
 * option that could never convert a record (a field count that does not fit
 * the pattern); everything about records is handled in process().
 */
export function createProcessorChain(options: readonly ProcessingOption[], ctx: ProcessorContext): ProcessorChain {
  if (options.length === 0) return PASS_THROUGH;
  const processors: Processor[] = [];
  try {
    for (const opt of options) processors.push(createProcessor(opt, ctx));
  } catch (err) {
    for (const p of processors) p.close?.();
    throw err;
  }
  const { metrics, log } = ctx;
  const sampler = new LogSampler();
  const names = options.map((o) => o.optionName);

  const failed = (data: Buffer, step: number, err: unknown): Buffer => {
    metrics.processingErrors++;
    const held = sampler.take();
    if (held >= 0) {
      log.warn(
        { option: names[step], err: err instanceof Error ? err.message : String(err), alsoFailed: held },
        'cannot process record; sending it unconverted',
      );
    }
    return data;
  };

  const run =
    processors.length === 1
      ? (data: Buffer, origin: RecordOrigin = UNKNOWN_ORIGIN): Buffer | null => {
          let out: Buffer | null;
          try {
            out = processors[0]!.process(data, origin);
          } catch (err) {
            return failed(data, 0, err);
          }
          if (out === null) metrics.recordsSkipped++;
          return out;
        }
      : (data: Buffer, origin: RecordOrigin = UNKNOWN_ORIGIN): Buffer | null => {
          let out: Buffer = data;
          let step = 0;
          try {
            for (; step < processors.length; step++) {
              const next = processors[step]!.process(out, origin);
              if (next === null) {
                metrics.recordsSkipped++;
                return null;
              }
              out = next;
            }
          } catch (err) {
            return failed(data, step, err);
          }
          return out;
        };

  return {
    process: run,
    async ready(): Promise<void> {
      await Promise.all(processors.map((p) => p.ready?.().catch(() => undefined)));
    },
    close(): void {
      for (const p of processors) {
        try {
          p.close?.();
        } catch {
          // closing is best effort; nothing a caller could do with the error
        }
      }
    },
  };
}
