import { pino, type Logger, type LevelWithSilent } from 'pino';
import { formatLineAsText } from './log-text.js';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = LevelWithSilent;

const SECRET_KEYS = [
  'awsAccessKeyId',
  'accessKeyId',
  'awsSecretAccessKey',
  'secretAccessKey',
  'awsSessionToken',
  'sessionToken',
  'credentials',
];

/**
 * Secrets never reach a log line: these keys are censored wherever they
 * appear in a logged object, up to three levels deep. Values registered with
 * registerSecret() are scrubbed from the finished line as well, which also
 * covers error messages and objects nested deeper than this.
 */
const REDACT = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export const REDACTED = '[redacted]';

/** Shorter values would censor ordinary words and numbers. */
const MIN_SECRET_LENGTH = 6;
const secrets = new Set<string>();

/**
 * Remembers a secret value (a configured key, a token) so that it is
 * replaced by [redacted] in every log line and in /status, whatever field
 * or message it turns up in.
 */
export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < MIN_SECRET_LENGTH) return;
  secrets.add(value);
  // The form it takes inside a JSON string, when escaping changes it.
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) secrets.add(escaped);
}

/**
 * Registers every secret a configuration holds: the static keys, the session
 * token, and a password inside the proxy URL. Call it right after loading.
 */
export function registerConfigSecrets(config: {
  credentials?: { accessKeyId?: string; secretAccessKey?: string; sessionToken?: string };
  proxy?: string;
}): void {
  const c = config.credentials ?? {};
  registerSecret(c.accessKeyId);
  registerSecret(c.secretAccessKey);
  registerSecret(c.sessionToken);
  if (config.proxy) {
    try {
      const password = new URL(config.proxy).password;
      if (password) {
        registerSecret(password);
        registerSecret(decodeURIComponent(password));
      }
    } catch {
      /* not a URL: config validation reports it */
    }
  }
}

/** Test helper: forget every registered secret. */
export function clearSecrets(): void {
  secrets.clear();
}

/** Replaces every registered secret value in text. */
export function scrubSecrets(text: string): string {
  if (secrets.size === 0) return text;
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.replaceAll(s, REDACTED);
  return out;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: NodeJS.WritableStream;
  /**
   * Readable text instead of JSON lines. Default: text when writing to
   * stdout and stdout is a terminal, JSON otherwise (journald, containers,
   * log shippers all want one JSON object a line).
   */
  pretty?: boolean;
}

/** The level from KINESIS_AGENT_LOG_LEVEL wins over the one in the config. */
export function levelFromEnv(configured: LogLevel | undefined): LogLevel {
  const env = process.env.KINESIS_AGENT_LOG_LEVEL?.toLowerCase();
  if (env && (LOG_LEVELS as readonly string[]).includes(env)) return env as LogLevel;
  return configured ?? 'info';
}

interface Sink {
  write(chunk: string): unknown;
  flush?: (cb?: (err?: Error) => void) => void;
  flushSync?: () => void;
}

/**
 * Sits between pino and the real destination: scrubs secret values and, for
 * a terminal, turns the JSON line into text. Kept synchronous on purpose: a
 * daemon logs a few lines a second, and a line written just before exit (a
 * fatal error, the drain summary) must not be lost.
 */
class LineFilter {
  constructor(
    private readonly sink: Sink,
    private readonly pretty: boolean,
  ) {}

  write(chunk: string): boolean {
    const clean = scrubSecrets(chunk);
    this.sink.write(this.pretty ? formatLineAsText(clean) : clean);
    return true;
  }

  flush(cb?: (err?: Error) => void): void {
    if (this.sink.flush) this.sink.flush(cb);
    else cb?.();
  }

  flushSync(): void {
    this.sink.flushSync?.();
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? levelFromEnv(undefined);
  const sink: Sink = options.destination ?? pino.destination({ fd: 1, sync: true });
  const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  return pino(
    {
      level,
      base: { name: 'kinesis-agent' },
      redact: { paths: REDACT, censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    new LineFilter(sink, pretty) as unknown as pino.DestinationStream,
  );
}

/** A logger that drops everything, for unit tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
