/**
 * Benchmark data, generated under .bench-data/ (gitignored) and kept between
 * runs: regenerated only when missing or made with other sizes.
 *
 * - access.log: Apache combined access log, every line exactly 170 bytes
 *   (newline included), so 1M lines are 170 MB.
 * - json.log: JSON lines of about 200 bytes.
 * - stacktrace.log: Java-style log entries, about one in four a multi-line
 *   stack trace (a timestamped first line, then indented `at` lines).
 * - small/: many small access logs.
 *
 * Every line or entry carries `seq=<n>` (its index in its data set), so the
 * endpoint can count distinct lines and see losses or duplicates.
 *
 *   npx node bench/generate.ts [lines]
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const ACCESS_LINE_BYTES = 170;

export interface DataSizes {
  accessLines: number;
  jsonLines: number;
  stackEntries: number;
  smallFiles: number;
  smallFileLines: number;
}

export interface DataSet {
  dir: string;
  access: string;
  json: string;
  stack: string;
  smallDir: string;
  sizes: DataSizes;
  /** Lines in stacktrace.log (entries span several). */
  stackLines: number;
  bytes: { access: number; json: number; stack: number; small: number };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'HEAD'];
const PATHS = ['/', '/index.html', '/api/v1/orders', '/api/v1/users', '/static/app.js', '/img/logo.png', '/login', '/search'];
const STATUS = [200, 200, 200, 200, 200, 304, 301, 404, 500, 201];
const REFERERS = ['-', 'https://example.com/', 'https://www.google.com/', '-'];
const AGENTS = ['curl/8.5.0', 'Mozilla/5.0 Firefox/120.0', 'Go-http-client/1.1', 'python-requests/2.31'];
const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
const BASE = Date.UTC(2026, 10, 25, 0, 0, 0);

/** Line i of an access log: Apache combined format, exactly 170 bytes with its newline. */
export function accessLine(i: number, fileTag = ''): string {
  const t = new Date(BASE + i * 7);
  const stamp = `${pad2(t.getUTCDate())}/${MONTHS[t.getUTCMonth()]}/${t.getUTCFullYear()}:${pad2(t.getUTCHours())}:${pad2(t.getUTCMinutes())}:${pad2(t.getUTCSeconds())} +0000`;
  const ip = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
  const head = `${ip} - - [${stamp}] "${METHODS[i % 8]} ${PATHS[(i >>> 3) % 8]}?${fileTag}seq=${i}&q=`;
  const tail = ` HTTP/1.1" ${STATUS[i % 10]} ${(i * 37) % 50000} "${REFERERS[i % 4]}" "${AGENTS[(i >>> 2) % 4]}"\n`;
  const fill = ACCESS_LINE_BYTES - head.length - tail.length;
  return head + 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789'.repeat(2).slice(0, Math.max(1, fill)) + tail;
}

function jsonLine(i: number): string {
  const t = new Date(BASE + i * 3).toISOString();
  const level = i % 50 === 0 ? 'error' : i % 10 === 0 ? 'warn' : 'info';
  return `${JSON.stringify({
    ts: t,
    level,
    service: ['orders', 'users', 'billing', 'search'][i % 4],
    msg: `request handled seq=${i}`,
    path: PATHS[i % 8],
    status: STATUS[i % 10],
    latency_ms: ((i * 13) % 1000) / 10,
    user_id: (i * 7919) % 100000,
    trace_id: ((i * 2654435761) >>> 0).toString(16).padStart(8, '0'),
  })}\n`;
}

/** One entry of a Java application log; returns it and its line count. */
function stackEntry(i: number): [string, number] {
  const t = new Date(BASE + i * 11).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
  if (i % 4 !== 0) return [`${t} INFO  [worker-${i % 8}] com.example.orders.OrderService - order processed seq=${i}\n`, 1];
  const frames = 6 + (i % 10);
  let s = `${t} ERROR [worker-${i % 8}] com.example.orders.OrderService - failed to process order seq=${i}\n`;
  s += 'java.lang.IllegalStateException: inventory service answered 503\n';
  for (let f = 0; f < frames; f++) s += `\tat com.example.orders.layer${f}.Handler${f}.handle(Handler${f}.java:${100 + f})\n`;
  s += 'Caused by: java.net.SocketTimeoutException: Read timed out\n';
  s += '\tat java.base/java.net.SocketInputStream.read(SocketInputStream.java:168)\n\t... 12 more\n';
  return [s, frames + 4];
}

/** Writes `count` pieces through a 4 MiB buffer; returns bytes and lines written. */
function writeFile(path: string, count: number, piece: (i: number) => [string, number]): { bytes: number; lines: number } {
  const fd = openSync(path, 'w');
  const buf = Buffer.allocUnsafe(4 << 20);
  let used = 0;
  let lines = 0;
  try {
    for (let i = 0; i < count; i++) {
      const [s, n] = piece(i);
      lines += n;
      if (used + s.length * 3 > buf.length) {
        writeSync(fd, buf, 0, used);
        used = 0;
      }
      used += buf.write(s, used);
    }
    writeSync(fd, buf, 0, used);
  } finally {
    closeSync(fd);
  }
  return { bytes: statSync(path).size, lines };
}

/** Generates (or reuses) the data set under `dir`. */
export function ensureData(dir: string, sizes: DataSizes, log: (s: string) => void = () => {}): DataSet {
  mkdirSync(dir, { recursive: true });
  const manifestPath = join(dir, 'manifest.json');
  const set: DataSet = {
    dir,
    access: join(dir, 'access.log'),
    json: join(dir, 'json.log'),
    stack: join(dir, 'stacktrace.log'),
    smallDir: join(dir, 'small'),
    sizes,
    stackLines: 0,
    bytes: { access: 0, json: 0, stack: 0, small: 0 },
  };
  if (existsSync(manifestPath)) {
    try {
      const old = JSON.parse(readFileSync(manifestPath, 'utf8')) as DataSet;
      if (JSON.stringify(old.sizes) === JSON.stringify(sizes) && existsSync(old.access) && existsSync(old.smallDir)) return old;
    } catch {
      // regenerate
    }
  }
  const started = Date.now();
  log(`generating benchmark data in ${dir} ...`);
  set.bytes.access = writeFile(set.access, sizes.accessLines, (i) => [accessLine(i), 1]).bytes;
  set.bytes.json = writeFile(set.json, sizes.jsonLines, (i) => [jsonLine(i), 1]).bytes;
  const stack = writeFile(set.stack, sizes.stackEntries, stackEntry);
  set.bytes.stack = stack.bytes;
  set.stackLines = stack.lines;
  rmSync(set.smallDir, { recursive: true, force: true });
  mkdirSync(set.smallDir);
  for (let f = 0; f < sizes.smallFiles; f++) {
    const path = join(set.smallDir, `app-${String(f).padStart(4, '0')}.log`);
    // seq numbers run across the files, so one bitmap covers them all.
    set.bytes.small += writeFile(path, sizes.smallFileLines, (i) => [accessLine(f * sizes.smallFileLines + i), 1]).bytes;
  }
  writeFileSync(manifestPath, JSON.stringify(set, null, 2));
  log(`generated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return set;
}

if (import.meta.main) {
  const lines = Number(process.argv[2] ?? 1_000_000);
  const set = ensureData(
    join(import.meta.dirname, '..', '.bench-data', 'data'),
    { accessLines: lines, jsonLines: lines / 2, stackEntries: lines / 10, smallFiles: 1000, smallFileLines: 100 },
    console.log,
  );
  console.log(JSON.stringify(set, null, 2));
}
