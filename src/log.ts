import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = LevelWithSilent;

/**
 * Secrets never reach a log line: these paths are censored wherever they
 * appear in a logged object.
 */
const REDACT = [
  'awsSecretAccessKey',
  'secretAccessKey',
  'sessionToken',
  'awsSessionToken',
  '*.awsSecretAccessKey',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.awsSessionToken',
  'credentials',
  '*.credentials',
];

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: NodeJS.WritableStream;
}

/*
 * Synchronous writes: a daemon logs a few lines a second, and a line written
 * just before exit (a fatal error, the drain summary) must not be lost.
 */

/** The level from KINESIS_AGENT_LOG_LEVEL wins over the one in the config. */
export function levelFromEnv(configured: LogLevel | undefined): LogLevel {
  const env = process.env.KINESIS_AGENT_LOG_LEVEL?.toLowerCase();
  if (env && (LOG_LEVELS as readonly string[]).includes(env)) return env as LogLevel;
  return configured ?? 'info';
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? levelFromEnv(undefined);
  return pino(
    {
      level,
      base: { name: 'kinesis-agent' },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    (options.destination ?? pino.destination({ fd: 1, sync: true })) as pino.DestinationStream,
  );
}

/** A logger that drops everything, for unit tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
