/**
 * Turns one pino JSON line into a line for a person at a terminal:
 *   17:43:02.120 INFO  flow started flow=web destination={"kind":"kinesis",...}
 * A dozen lines instead of pino-pretty, which would bring a worker thread and
 * a dependency tree into a daemon for the rare interactive run.
 */
const FIXED = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname']);

const COLORS: Record<string, string> = { warn: '\x1b[33m', error: '\x1b[31m', fatal: '\x1b[35m', debug: '\x1b[2m', trace: '\x1b[2m' };
const RESET = '\x1b[0m';

export function formatLineAsText(line: string, color = true): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = String(rec.level ?? 'info');
  const time = typeof rec.time === 'string' ? rec.time.slice(11, 23) : '';
  let out = `${time} ${level.toUpperCase().padEnd(5)} ${String(rec.msg ?? '')}`;
  for (const [k, v] of Object.entries(rec)) {
    if (FIXED.has(k)) continue;
    out += ` ${k}=${formatValue(k, v)}`;
  }
  const c = color ? COLORS[level] : undefined;
  return `${c ? c + out + RESET : out}\n`;
}

function formatValue(key: string, v: unknown): string {
  if (key === 'err' && typeof v === 'object' && v !== null) {
    const e = v as { message?: unknown; stack?: unknown };
    if (typeof e.stack === 'string') return `\n  ${e.stack.replaceAll('\n', '\n  ')}`;
    if (typeof e.message === 'string') return JSON.stringify(e.message);
  }
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}
