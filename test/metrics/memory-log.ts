import { Writable } from 'node:stream';
import { createLogger, type LogLevel, type Logger } from '../../src/log.ts';

/** A real logger whose output is kept in memory, as text and as parsed lines. */
export function memoryLogger(level: LogLevel = 'trace', pretty = false): { log: Logger; text: () => string; lines: () => Array<Record<string, unknown>> } {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  // pino writes strings synchronously through write(); Writable buffers nothing here.
  const sink = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream;
  void destination;
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
