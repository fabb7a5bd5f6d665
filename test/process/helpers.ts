import { Writable } from 'node:stream';
import { createLogger, silentLogger, type Logger } from '../../src/log.js';
import { FlowEvents } from '../../src/events/flow-events.js';
import { createProcessorChain, type ProcessorChain } from '../../src/process/index.js';
import type { ProcessingOption } from '../../src/process/options.js';

export interface Run {
  chain: ProcessorChain;
  metrics: FlowEvents;
  /** The record bytes a line becomes, as text; null when skipped. */
  text(input: string | Buffer): string | null;
}

export function chainOf(options: ProcessingOption[], log: Logger = silentLogger(), ec2MetadataEndpoint?: string): Run {
  const metrics = new FlowEvents();
  const ctx = ec2MetadataEndpoint === undefined ? { metrics, log } : { metrics, log, ec2MetadataEndpoint };
  const chain = createProcessorChain(options, ctx);
  return {
    chain,
    metrics,
    text(input) {
      const out = chain.process(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
      return out === null ? null : out.toString('utf8');
    },
  };
}

/** A logger whose JSON lines can be read back. */
export function capturingLogger(level: 'debug' | 'info' | 'warn' = 'debug'): { log: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  const log = createLogger({ level, destination });
  return {
    log,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
