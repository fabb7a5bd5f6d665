/**
 * Lines per second through each processing option, on one core, over
 * generated lines that look like the real thing.
 *
 *   npx node bench/processors.ts [lines]
 *
 * The sources import each other as `.js` (compiled layout); the hook below
 * lets Node run them as `.ts` directly.
 */
import { registerHooks } from 'node:module';
import { cpus } from 'node:os';
import { pino } from 'pino';

registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (err) {
      if (specifier.startsWith('.') && specifier.endsWith('.js')) return next(specifier.slice(0, -3) + '.ts', context);
      throw err;
    }
  },
});

const { createProcessorChain } = await import('../src/process/index.ts');
const { FlowEvents } = await import('../src/events/flow-events.ts');
type ProcessingOption = import('../src/process/options.ts').ProcessingOption;

const N = Number(process.argv[2] ?? 200_000);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const PATHS = ['/', '/index.html', '/api/v1/orders?id=42&expand=items', '/static/js/app.3f2a1b.js', '/login', '/img/logo.png'];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'curl/8.5.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
];
const pad = (n: number): string => String(n).padStart(2, '0');
const ip = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function common(i: number): string {
  return `${ip(i)} - ${i % 7 === 0 ? 'frank' : '-'} [${pad((i % 28) + 1)}/${MONTHS[i % 12]}/2026:${pad(i % 24)}:${pad(i % 60)}:${pad((i * 7) % 60)} +0000] "GET ${PATHS[i % PATHS.length]} HTTP/1.1" ${[200, 200, 304, 404, 500][i % 5]} ${i % 9 === 0 ? '-' : 200 + (i % 50_000)}`;
}
const GEN: Record<string, (i: number) => string> = {
  common,
  combined: (i) => `${common(i)} "${i % 3 === 0 ? '-' : 'https://www.example.com/start.html'}" "${AGENTS[i % AGENTS.length]}"`,
  error: (i) =>
    `[Wed Nov 25 ${pad(i % 24)}:${pad(i % 60)}:${pad(i % 60)}.${String(i % 1_000_000).padStart(6, '0')} 2026] [proxy:error] [pid ${1000 + (i % 9000)}:tid 1403${i % 100000}] [client ${ip(i)}:${40000 + (i % 20000)}] AH00898: Error reading from remote server returned by /api/v1/orders`,
  syslog: (i) => `Nov ${String((i % 28) + 1).padStart(2, ' ')} ${pad(i % 24)}:${pad(i % 60)}:${pad(i % 60)} ip-172-31-5-10 sshd[${1000 + (i % 30000)}]: Accepted publickey for ec2-user from ${ip(i)} port ${40000 + (i % 20000)} ssh2`,
  rfc3339: (i) => `2026-11-25T${pad(i % 24)}:${pad(i % 60)}:${pad(i % 60)}.${String(i % 1_000_000).padStart(6, '0')}+00:00 ip-172-31-5-10 systemd[1]: Started session-${i}.scope - Session ${i} of User ec2-user.`,
  rfc5424: (i) => `<165>1 2026-11-25T${pad(i % 24)}:${pad(i % 60)}:${pad(i % 60)}.003Z web01.example.com checkout ${1000 + i} ORD [meta@32473 order="${i}" total="${(i % 1000) / 10}"] order placed by customer ${i % 9999}`,
  csv: (i) => `2026-11-25T12:00:${pad(i % 60)}Z,${['INFO', 'WARN', 'ERROR'][i % 3]},checkout,${i},order ${i} placed,${(i % 1000) / 10}`,
  json: (i) => JSON.stringify({ time: `2026-11-25T12:00:${pad(i % 60)}Z`, level: ['info', 'warn'][i % 2], msg: `order ${i} placed`, order: { id: i, total: (i % 1000) / 10 }, tags: ['a', 'b'] }),
  multiline: (i) => `java.lang.IllegalStateException: order ${i} failed\n    at com.example.Checkout.place(Checkout.java:42)\n    at com.example.Main.main(Main.java:7)`,
};

const CASES: { name: string; lines: string; options: ProcessingOption[] }[] = [
  { name: 'none (pass-through)', lines: 'combined', options: [] },
  { name: 'SINGLELINE (one line)', lines: 'combined', options: [{ optionName: 'SINGLELINE' }] },
  { name: 'SINGLELINE (3 lines)', lines: 'multiline', options: [{ optionName: 'SINGLELINE' }] },
  { name: 'ADDBRACKETS', lines: 'combined', options: [{ optionName: 'ADDBRACKETS' }] },
  { name: 'CSVTOJSON', lines: 'csv', options: [{ optionName: 'CSVTOJSON', customFieldNames: ['time', 'level', 'app', 'id', 'msg', 'total'], delimiter: ',', quoted: false, jsonFormat: 'COMPACT' }] },
  { name: 'CSVTOJSON quoted', lines: 'csv', options: [{ optionName: 'CSVTOJSON', customFieldNames: ['time', 'level', 'app', 'id', 'msg', 'total'], delimiter: ',', quoted: true, jsonFormat: 'COMPACT' }] },
  { name: 'LOGTOJSON COMMONAPACHELOG', lines: 'common', options: [{ optionName: 'LOGTOJSON', logFormat: 'COMMONAPACHELOG', jsonFormat: 'COMPACT' }] },
  { name: 'LOGTOJSON COMBINEDAPACHELOG', lines: 'combined', options: [{ optionName: 'LOGTOJSON', logFormat: 'COMBINEDAPACHELOG', jsonFormat: 'COMPACT' }] },
  { name: 'LOGTOJSON COMBINED PRETTYPRINT', lines: 'combined', options: [{ optionName: 'LOGTOJSON', logFormat: 'COMBINEDAPACHELOG', jsonFormat: 'PRETTYPRINT' }] },
  { name: 'LOGTOJSON APACHEERRORLOG', lines: 'error', options: [{ optionName: 'LOGTOJSON', logFormat: 'APACHEERRORLOG', jsonFormat: 'COMPACT' }] },
  { name: 'LOGTOJSON SYSLOG', lines: 'syslog', options: [{ optionName: 'LOGTOJSON', logFormat: 'SYSLOG', jsonFormat: 'COMPACT' }] },
  { name: 'LOGTOJSON RFC3339SYSLOG', lines: 'rfc3339', options: [{ optionName: 'LOGTOJSON', logFormat: 'RFC3339SYSLOG', jsonFormat: 'COMPACT' }] },
  { name: 'LOGTOJSON RFC5424SYSLOG', lines: 'rfc5424', options: [{ optionName: 'LOGTOJSON', logFormat: 'RFC5424SYSLOG', jsonFormat: 'COMPACT' }] },
  { name: 'LOGTOJSON no match (skips)', lines: 'syslog', options: [{ optionName: 'LOGTOJSON', logFormat: 'COMBINEDAPACHELOG', jsonFormat: 'COMPACT' }] },
  { name: 'JSON (compact input)', lines: 'json', options: [{ optionName: 'JSON', jsonFormat: 'COMPACT' }] },
  { name: 'JSON fields', lines: 'json', options: [{ optionName: 'JSON', fields: ['level', 'msg'], jsonFormat: 'COMPACT' }] },
  { name: 'ADDMETADATA timestamp', lines: 'combined', options: [{ optionName: 'ADDMETADATA', metadata: { env: 'prod', app: 'web' }, timestamp: true, jsonFormat: 'COMPACT' }] },
  {
    name: 'LOGTOJSON COMBINED + ADDMETADATA',
    lines: 'combined',
    options: [
      { optionName: 'LOGTOJSON', logFormat: 'COMBINEDAPACHELOG', jsonFormat: 'COMPACT' },
      { optionName: 'ADDMETADATA', metadata: { env: 'prod' }, timestamp: true, jsonFormat: 'COMPACT' },
    ],
  },
];

function buffers(kind: string): Buffer[] {
  const gen = GEN[kind]!;
  const out: Buffer[] = [];
  for (let i = 0; i < 10_000; i++) out.push(Buffer.from(gen(i) + '\n'));
  return out;
}

const pool = new Map<string, Buffer[]>();
const rows: string[][] = [];
for (const c of CASES) {
  let lines = pool.get(c.lines);
  if (!lines) pool.set(c.lines, (lines = buffers(c.lines)));
  const metrics = new FlowEvents();
  const chain = createProcessorChain(c.options, { metrics, log: pino({ level: 'silent' }) });
  const run = (n: number): number => {
    let out = 0;
    for (let i = 0; i < n; i++) {
      const r = chain.process(lines[i % lines.length]!);
      if (r !== null) out += r.length;
    }
    return out;
  };
  run(Math.min(N, 50_000)); // warm-up: let V8 optimise
  const t0 = process.hrtime.bigint();
  const bytesOut = run(N);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const bytesIn = lines.reduce((s, b) => s + b.length, 0) / lines.length;
  rows.push([c.name, Math.round(N / secs).toLocaleString('en-US'), ((N * bytesIn) / secs / 1e6).toFixed(1), (bytesOut / N).toFixed(0)]);
  chain.close();
}

const header = ['option', 'lines/s', 'MB/s in', 'bytes out/line'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]): string => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
console.log(`node ${process.version}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? '?'}), ${N.toLocaleString('en-US')} lines per option, one core`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
