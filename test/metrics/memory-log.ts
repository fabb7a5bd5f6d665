import { createLogger, type LogLevel, type Logger } from '../../src/log.ts';

/** A real logger whose output is kept in memory, as text and as parsed lines. */
export function memoryLogger(level: LogLevel = 'trace', pretty = false): { log: Logger; text: () => string; lines: () => Array<Record<string, unknown>> } {
  let text = '';
  // pino hands each finished line to write() synchronously.
  const sink = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream;
  const log = createLogger({ level, destination: sink, pretty });
  return {
    log,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
