/**
 * `npm run bench`: builds, generates data under .bench-data/, makes a CA and
 * certificate (bench/tls.ts), starts the bench endpoint (bench/endpoint.ts:
 * TLS with HTTP/2 and HTTP/1.1, and plain HTTP) in a child process, runs the
 * real CLI, the bare baseline script (bench/baseline.ts) and Fluent Bit on
 * it as children, measures them from outside (/proc/<pid>/stat and status;
 * the endpoint's counts and clock), and writes BENCHMARKS.md.
 *
 *   node bench/run.ts [--quick] [--reps N] [--out FILE] [--only a,b,...] [--fluent-bit PATH]
 *
 * --quick: small data and short phases (for development; writes to
 * .bench-data/BENCHMARKS.quick.md unless --out is given).
 * --only: throughput,latency,rest,idle,outage,profile,features (default: all).
 * --fluent-bit: the Fluent Bit to compare with (else FLUENT_BIT, else
 * ../shared/peers/fluent-bit beside the project; left out when none).
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LOCAL_AWS_ENV } from '../test/support/kinesis-local.ts';
import { markdown, summarizeFile, type ProfileSummary } from './cpuprofile.ts';
import { H2_SETTINGS, type ControlMessage, type EndpointMessage, type EndpointStats, type Mode, type RunOptions } from './endpoint.ts';
import { featureReport, featureScenarios, type FeatureResults } from './features.ts';
import { ACCESS_LINE_BYTES, ensureData, type DataSet, type DataSizes } from './generate.ts';
import { bundle, BUNDLE, buildBinary, MALLOC_ENV, NODE_FLAGS } from '../scripts/package-sea.ts';
import { nativeArch } from '../scripts/package-lib.ts';
import { findLibrary, JEMALLOC_CONF, MALLOC_SETTING } from '../src/allocator.ts';
import { ensureTls, type BenchTls } from './tls.ts';

const ROOT = join(import.meta.dirname, '..');
/** jemalloc as the agent finds it (src/allocator.ts): it runs on it when installed. */
const JEMALLOC = findLibrary();
const BASELINE = join(ROOT, 'bench', 'baseline.ts');
const BENCH_DIR = join(ROOT, '.bench-data');
const AGE_MS = 1000;
const CLK_TCK = 100;

const { values: argv } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    out: { type: 'string' },
    only: { type: 'string' },
    runs: { type: 'string' },
    'agent-node-args': { type: 'string' },
    'agent-env': { type: 'string' },
    cli: { type: 'string' },
    'flow-json': { type: 'string' },
    'fluent-bit': { type: 'string' },
  },
});
/**
 * The bundle the "node + bundle" runs load: `--cli` (another build, e.g. a
 * before/after comparison, without the executable's flags), else the
 * packaged executable's own bundle.
 */
const CLI = argv.cli ? resolve(argv.cli) : BUNDLE;
/** The agent as `npm install` runs it: tsc's output, Node's default flags. */
const NPM_CLI = join(ROOT, 'dist', 'cli.js');
const QUICK = argv.quick!;
const REPS = Number(argv.reps ?? (QUICK ? 1 : 3));
const OUT = argv.out ?? (QUICK ? join(BENCH_DIR, 'BENCHMARKS.quick.md') : join(ROOT, 'BENCHMARKS.md'));
/** Throughput runs to do (keys of Results, e.g. plain,kpl); default all. */
const RUNS = argv.runs ? new Set(argv.runs.split(',')) : undefined;
/** Extra Node flags for the agent only (experiments, e.g. "--max-semi-space-size=8"). */
const EXTRA_NODE_ARGS = argv['agent-node-args']?.split(' ').filter(Boolean) ?? [];
const AGENT_NODE_ARGS = [...(argv.cli ? [] : NODE_FLAGS), ...EXTRA_NODE_ARGS];
/**
 * The agent as the .deb, .rpm and container ship it: the executable
 * scripts/package-sea.ts builds (Node 24 with the bundle and V8's code cache
 * for it injected, its Node flags built in), run as is. Without --cli and
 * --agent-node-args; runs that need Node flags of their own (the CPU
 * profiles) run Node with the same bundle and the executable's flags, which
 * is the same code without the code cache (about 120 ms more to start).
 */
const PACKAGED = !argv.cli && EXTRA_NODE_ARGS.length === 0;
/** Extra environment for the agent only (experiments with what the unit would set, e.g. "MALLOC_ARENA_MAX=1"), after the packaged one. */
const EXTRA_ENV = Object.fromEntries(
  (argv['agent-env']?.split(' ').filter(Boolean) ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
/** The environment the unit and container set (malloc settings); for --cli builds too, so an A/B compares code alone. */
const PACKAGED_ENV = { ...MALLOC_ENV, ...EXTRA_ENV };
/** Extra flow keys for every agent run (experiments, e.g. '{"maxQueueBytes":4194304}'). */
const FLOW_EXTRA = JSON.parse(argv['flow-json'] ?? '{}') as Record<string, unknown>;
const ONLY = new Set((argv.only ?? 'throughput,latency,rest,idle,outage,profile,features').split(','));
/**
 * The Fluent Bit the agent is measured against, run on the same data and
 * endpoint in the same run: --fluent-bit, else FLUENT_BIT, else
 * ../shared/peers/fluent-bit beside the project (see its README there).
 */
const FLUENT_BIT = ((): string | undefined => {
  const given = argv['fluent-bit'] ?? process.env.FLUENT_BIT;
  if (given) {
    if (!existsSync(given)) throw new Error(`Fluent Bit not found at ${given} (--fluent-bit or FLUENT_BIT)`);
    return resolve(given);
  }
  const beside = resolve(ROOT, '..', 'shared', 'peers', 'fluent-bit');
  return existsSync(beside) ? beside : undefined;
})();
/** After a burst, how long the process is left idle before its RSS is read (ms). */
const AFTER_BURST_MS = QUICK ? 10_000 : 30_000;
/** The "at rest" run: flows × files per flow (the first of the small files). */
const REST_FLOWS = 10;
const REST_FILES_PER_FLOW = 10;
const REST_SECONDS = QUICK ? 5 : 15;

const SIZES: DataSizes = QUICK
  ? { accessLines: 50_000, jsonLines: 25_000, stackEntries: 5_000, smallFiles: 1000, smallFileLines: 20 }
  : { accessLines: 1_000_000, jsonLines: 500_000, stackEntries: 100_000, smallFiles: 1000, smallFileLines: 100 };
const LATENCY_SECONDS = QUICK ? 5 : 30;
const LATENCY_RATE = 1000;
const IDLE_SECONDS = QUICK ? 5 : 20;
const OUTAGE_SECONDS = QUICK ? 6 : 30;
/** Quiet time before the idle measurement starts. */
const IDLE_SETTLE_MS = 8000;

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// ---------------------------------------------------------------- /proc

interface ProcSample {
  cpuMs: number;
  rssKB: number;
  hwmKB: number;
  /** Private memory (RssAnon): RSS less the mapped Node executable and libraries. */
  anonKB: number;
}

function procSample(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuMs = ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { cpuMs, rssKB: kb('VmRSS'), hwmKB: kb('VmHWM'), anonKB: kb('RssAnon') };
  } catch {
    return undefined;
  }
}

/** Busy jiffies of the whole machine, all cores (ms). */
function machineBusyMs(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = cpu as number[];
  return ((user! + nice! + system! + irq! + softirq! + steal!) * 1000) / CLK_TCK;
}

class Sampler {
  peakRssKB = 0;
  /** Sampled every 50 ms (the kernel keeps no high-water mark of it). */
  peakAnonKB = 0;
  last: ProcSample | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly pid: number;
  constructor(pid: number) {
    this.pid = pid;
    this.timer = setInterval(() => this.take(), 50);
    this.take();
  }
  take(): ProcSample | undefined {
    const s = procSample(this.pid);
    if (s) {
      this.last = s;
      this.peakRssKB = Math.max(this.peakRssKB, s.rssKB, s.hwmKB);
      this.peakAnonKB = Math.max(this.peakAnonKB, s.anonKB);
    }
    return s;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

// ---------------------------------------------------------------- endpoint

class EndpointProcess {
  url = '';
  private readonly pending: ((m: EndpointMessage) => void)[] = [];
  private doneWaiter: ((s: EndpointStats) => void) | undefined;

  readonly child: ChildProcess;
  private constructor(child: ChildProcess) {
    this.child = child;
    child.on('message', (m: EndpointMessage) => {
      if (m.type === 'done') this.doneWaiter?.(m.stats);
      else this.pending.shift()?.(m);
    });
  }

  /** TLS port: HTTP/2 and HTTP/1.1 over TLS with the bench's certificate. */
  tlsUrl = '';
  tlsPort = 0;

  static async start(tls: BenchTls): Promise<EndpointProcess> {
    const child = fork(join(ROOT, 'bench', 'endpoint.ts'), ['0', tls.cert, tls.key], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ep = new EndpointProcess(child);
    const m = await ep.next();
    if (m.type !== 'listening') throw new Error('endpoint did not start');
    ep.url = `http://127.0.0.1:${m.port}`;
    ep.tlsPort = m.tlsPort;
    ep.tlsUrl = `https://127.0.0.1:${m.tlsPort}`;
    return ep;
  }

  get pid(): number {
    return this.child.pid!;
  }

  private next(): Promise<EndpointMessage> {
    return new Promise((resolve) => this.pending.push(resolve));
  }

  private async ask(m: ControlMessage): Promise<EndpointMessage> {
    const answer = this.next();
    this.child.send(m);
    return answer;
  }

  /** Starts a run; returns a promise of the stats once `expect` records have arrived. */
  async reset(opts: RunOptions): Promise<{ done: Promise<EndpointStats> }> {
    const done = new Promise<EndpointStats>((resolve) => (this.doneWaiter = resolve));
    await this.ask({ type: 'reset', opts });
    // Wrapped: an async function returning the promise itself would wait for it.
    return { done };
  }

  async mode(mode: Mode): Promise<void> {
    await this.ask({ type: 'mode', mode });
  }

  async stats(): Promise<EndpointStats> {
    const m = await this.ask({ type: 'stats' });
    if (m.type !== 'stats') throw new Error('unexpected answer');
    return m.stats;
  }

  stop(): void {
    this.child.send({ type: 'exit' } satisfies ControlMessage);
  }
}

// ---------------------------------------------------------------- runs

interface Measured {
  label: string;
  ok: boolean;
  problem?: string;
  /** User records the endpoint counted. */
  records: number;
  expect: number;
  inputBytes: number;
  /** Spawn to last acknowledgement (ms). */
  totalMs: number;
  /** Spawn to the first acknowledgement (ms): start-up, first read, first call. */
  firstAckMs: number;
  /** Spawn to the end used for the rates (ms), see `tailExcluded`. */
  measuredMs: number;
  /** Records counted up to that end. */
  measuredRecords: number;
  /** The last call came after a maxBufferAgeMillis wait and is left out of the rate. */
  tailExcluded: boolean;
  linesPerSec: number;
  mbPerSec: number;
  cpuMs: number;
  cpuSecPerGB: number;
  peakRssMB: number;
  peakAnonMB: number;
  requests: number;
  entries: number;
  endpointCpuMs: number;
  /** CPU the rest of the machine used meanwhile, in cores. */
  otherCores: number;
  stats: EndpointStats;
  extra: Record<string, number | string>;
}

interface RunSpec {
  label: string;
  /** The program (default: this Node); `nodeArgs` then `args` follow it. */
  command?: string;
  /** Environment added to childEnv for this process. */
  env?: Record<string, string>;
  args: string[];
  nodeArgs?: string[];
  expect: number;
  inputBytes: number;
  ep?: Partial<RunOptions>;
  /** Does the process send its last partial batch on a timer (the agent's maxBufferAgeMillis, Fluent Bit's Flush)? */
  timedFlush: boolean;
  timeoutMs: number;
  dir: string;
  /** Called after the run directory is cleaned, before spawning. */
  prepare?: () => void;
  /** Runs alongside; awaited before the process is stopped. */
  during?: (pid: number, sampler: Sampler) => Promise<void>;
  /** After all records arrived, before the process is stopped. */
  after?: (pid: number, sampler: Sampler, extra: Record<string, number | string>) => Promise<void>;
}

const childEnv: NodeJS.ProcessEnv = { ...process.env, ...LOCAL_AWS_ENV, KINESIS_AGENT_LOG_LEVEL: 'warn' };

async function measure(spec: RunSpec): Promise<Measured> {
  rmSync(spec.dir, { recursive: true, force: true });
  mkdirSync(spec.dir, { recursive: true });
  spec.prepare?.();
  const { done } = await endpoint.reset({ expect: spec.expect, ...spec.ep });
  const epBefore = await endpoint.stats();
  const busy0 = machineBusyMs();
  const self0 = process.cpuUsage();
  const out = openSync(join(spec.dir, 'output.log'), 'w');
  const t0 = now();
  const child = spawn(spec.command ?? process.execPath, [...(spec.nodeArgs ?? []), ...spec.args], {
    env: { ...childEnv, ...spec.env },
    stdio: ['ignore', out, out],
    cwd: spec.dir,
  });
  closeSync(out);
  const pid = child.pid!;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const sampler = new Sampler(pid);
  const during = spec.during?.(pid, sampler);
  let problem: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), spec.timeoutMs)));
  const result = await Promise.race([done, timeout, exited.then((code) => ({ exited: code }))]);
  clearTimeout(timer);
  let stats: EndpointStats;
  if (result === 'timeout') {
    problem = `timed out after ${spec.timeoutMs / 1000} s`;
    stats = await endpoint.stats();
  } else if ('exited' in result) {
    problem = `exited early with code ${String(result.exited)}`;
    stats = await endpoint.stats();
  } else {
    stats = result;
  }
  const atDone = sampler.take() ?? sampler.last;
  const extra: Record<string, number | string> = {};
  await during;
  if (!problem) await spec.after?.(pid, sampler, extra);
  sampler.take();
  sampler.stop();
  const busy1 = machineBusyMs();
  const self1 = process.cpuUsage(self0);
  const epAfter = await endpoint.stats();
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);

  // For looking into a run afterwards: when each call was answered ([ms since spawn, records so far]).
  writeFileSync(join(spec.dir, 'timeline.json'), JSON.stringify(stats.timeline.map(([t, n]) => [Math.round(t - t0), n])));
  const totalMs = (stats.doneAt || stats.lastAt || now()) - t0;
  let measuredMs = totalMs;
  let measuredRecords = stats.records;
  let tailExcluded = false;
  const tl = stats.timeline;
  if (spec.timedFlush && tl.length >= 2) {
    const [lastT] = tl[tl.length - 1]!;
    const [prevT, prevRecords] = tl[tl.length - 2]!;
    if (lastT - prevT > AGE_MS / 2) {
      tailExcluded = true;
      measuredMs = prevT - t0;
      measuredRecords = prevRecords;
    }
  }
  const cpuMs = atDone?.cpuMs ?? 0;
  const bytesPerRecord = spec.inputBytes / spec.expect;
  const endpointCpuMs = epAfter.cpuMs - epBefore.cpuMs;
  const elapsed = now() - t0;
  const others = busy1 - busy0 - (sampler.last?.cpuMs ?? cpuMs) - endpointCpuMs - (self1.user + self1.system) / 1000;
  const m: Measured = {
    label: spec.label,
    ok: !problem && stats.records >= spec.expect,
    problem: problem ?? (stats.records < spec.expect ? `only ${stats.records} of ${spec.expect} records arrived` : undefined),
    records: stats.records,
    expect: spec.expect,
    inputBytes: spec.inputBytes,
    totalMs,
    firstAckMs: stats.firstAt ? stats.firstAt - t0 : NaN,
    measuredMs,
    measuredRecords,
    tailExcluded,
    linesPerSec: measuredRecords / (measuredMs / 1000),
    mbPerSec: (measuredRecords * bytesPerRecord) / 1e6 / (measuredMs / 1000),
    cpuMs,
    cpuSecPerGB: cpuMs / 1000 / (spec.inputBytes / 1e9),
    peakRssMB: sampler.peakRssKB / 1024,
    peakAnonMB: sampler.peakAnonKB / 1024,
    requests: stats.requests,
    entries: stats.entries,
    endpointCpuMs,
    otherCores: Math.max(0, others) / elapsed,
    stats,
    extra,
  };
  log(
    `${m.label}: ${m.ok ? '' : `FAILED (${m.problem}) `}${fmtInt(m.linesPerSec)} lines/s, ${m.mbPerSec.toFixed(1)} MB/s, ` +
      `${m.cpuSecPerGB.toFixed(1)} CPU s/GB, peak RSS ${m.peakRssMB.toFixed(0)} MB, ${m.requests} calls (${protocols(m.stats)}), first ack after ${m.firstAckMs.toFixed(0)} ms` +
      (m.tailExcluded ? ' (last age-flushed call excluded)' : ''),
  );
  return m;
}

/** How a run's calls came: e.g. "h2 1,000" or "https/1.1 980, http 20". */
function protocols(stats: EndpointStats): string {
  return Object.entries(stats.protocols)
    .map(([p, n]) => `${p} ${fmtInt(n)}`)
    .join(', ');
}

/** Flow keys of an agent run: one flow, or several (the at-rest run). */
type Flows = Record<string, unknown> | Record<string, unknown>[];

/** The agent.json of a run; `url` is the endpoint (default: the TLS port, which the agent trusts through NODE_EXTRA_CA_CERTS). */
function agentConfig(dir: string, flows: Flows, url = endpoint.tlsUrl): string {
  const path = join(dir, 'agent.json');
  const config = {
    'kinesis.endpoint': url,
    'cloudwatch.emitMetrics': false,
    checkpointFile: join(dir, 'checkpoints'),
    'log.level': 'warn',
    flows: (Array.isArray(flows) ? flows : [flows]).map((flow) => ({
      kinesisStream: 'bench',
      initialPosition: 'START_OF_FILE',
      maxBufferAgeMillis: AGE_MS,
      ...flow,
      ...FLOW_EXTRA,
    })),
  };
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** The command line of an agent run: `cli` with the agent.json that runAgent writes into the run's directory. */
function agentArgs(name: string, cli = CLI): string[] {
  return [cli, '-c', join(BENCH_DIR, 'runs', name, 'agent.json')];
}

/**
 * How an agent run starts: the packaged executable with the run's
 * agent.json, or Node with `nodeArgs` and the bundle (`cli`) when the run
 * needs Node flags or measures another build.
 */
function agentProgram(name: string, nodeArgs: string[] = [], cli = CLI): Pick<RunSpec, 'command' | 'args' | 'nodeArgs'> {
  if (EXECUTABLE && nodeArgs.length === 0 && cli === CLI) return { command: EXECUTABLE, args: agentArgs(name).slice(1), nodeArgs: [] };
  return { command: undefined, args: agentArgs(name, cli), nodeArgs: [...AGENT_NODE_ARGS, ...nodeArgs] };
}

function agentRun(label: string, name: string, flow: Record<string, unknown>, expect: number, inputBytes: number, more: Partial<RunSpec> = {}): RunSpec {
  const dir = join(BENCH_DIR, 'runs', name);
  return {
    label,
    dir,
    ...agentProgram(name),
    env: PACKAGED_ENV,
    expect,
    inputBytes,
    timedFlush: true,
    timeoutMs: 300_000,
    ...more,
  };
}

/** An agent run: its agent.json (with a fresh checkpoint file) is written into the cleaned run directory. */
async function runAgent(spec: RunSpec, flows: Flows, url?: string): Promise<Measured> {
  return measure({ ...spec, prepare: () => void agentConfig(spec.dir, flows, url) });
}

/** One tail input and its kinesis_streams output in Fluent Bit's configuration. */
interface FluentBitFlow {
  path: string;
}

/**
 * Fluent Bit's configuration for a run, as /work/shared/peers/README.md says
 * to run it fairly: TLS verified against the bench CA (its Kinesis outputs
 * always speak TLS), the raw line as the record (`Log_Key log`), 2 workers per
 * output, 256 KiB tail buffers, a checkpoint database, Flush 1 (its batching
 * clock, as the agent's maxBufferAgeMillis is).
 */
function fluentBitConfig(dir: string, flows: FluentBitFlow[]): string {
  const path = join(dir, 'fluent-bit.conf');
  const lines = ['[SERVICE]', '    Flush        1', '    Grace        1', '    Log_Level    warn'];
  flows.forEach((f, i) => {
    lines.push(
      '[INPUT]',
      '    Name              tail',
      `    Tag               flow${i}`,
      `    Path              ${f.path}`,
      '    Read_from_Head    true',
      `    DB                ${join(dir, 'tail.db')}`,
      '    Buffer_Chunk_Size 256k',
      '    Buffer_Max_Size   256k',
    );
  });
  flows.forEach((_f, i) => {
    lines.push(
      '[OUTPUT]',
      '    Name        kinesis_streams',
      `    Match       flow${i}`,
      '    Region      us-east-1',
      '    Stream      bench',
      '    Endpoint    127.0.0.1',
      `    Port        ${endpoint.tlsPort}`,
      `    tls.ca_file ${tls.ca}`,
      '    Log_Key     log',
      '    Workers     2',
    );
  });
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** A Fluent Bit run over the same endpoint (TLS, HTTP/1.1: its Kinesis output does not speak HTTP/2). */
function fluentBitRun(label: string, name: string, flows: FluentBitFlow[], expect: number, inputBytes: number, more: Partial<RunSpec> = {}): RunSpec {
  const dir = join(BENCH_DIR, 'runs', name);
  return {
    label,
    dir,
    command: FLUENT_BIT,
    args: ['-c', join(dir, 'fluent-bit.conf')],
    expect,
    inputBytes,
    timedFlush: true,
    timeoutMs: 300_000,
    prepare: () => void fluentBitConfig(dir, flows),
    ...more,
  };
}

function baselineRun(label: string, name: string, file: string, expect: number, inputBytes: number, aggregate: boolean): RunSpec {
  return {
    label,
    dir: join(BENCH_DIR, 'runs', name),
    args: [BASELINE, file, endpoint.tlsUrl, ...(aggregate ? ['--aggregate'] : [])],
    expect,
    inputBytes,
    timedFlush: false,
    timeoutMs: 300_000,
  };
}

function median(runs: Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => a.linesPerSec - b.linesPerSec);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
  // Peak memory is the worst of the repetitions, not the median's.
  return {
    ...mid,
    peakRssMB: Math.max(...runs.map((r) => r.peakRssMB)),
    peakAnonMB: Math.max(...runs.map((r) => r.peakAnonMB)),
    ok: runs.every((r) => r.ok),
  };
}

// ---------------------------------------------------------------- scenarios

const L2J = [{ optionName: 'LOGTOJSON', logFormat: 'COMBINEDAPACHELOG' }];

interface Results {
  baselinePlain?: Measured;
  baselineKpl?: Measured;
  /** Fluent Bit, tail -> kinesis_streams, on the same file and endpoint. */
  fluentBit?: Measured;
  plain?: Measured;
  /** The agent over the plain-HTTP port (HTTP/1.1), the one figure not over TLS. */
  plainHttp?: Measured;
  kpl?: Measured;
  l2j?: Measured;
  kplL2j?: Measured;
  plainNpm?: Measured;
  kplNpm?: Measured;
  /** As packaged, but kept on glibc's malloc (KINESIS_AGENT_MALLOC=glibc): what jemalloc changes. */
  plainGlibc?: Measured;
  kplGlibc?: Measured;
  json?: Measured;
  multiline?: Measured;
  small?: Measured;
  /** RSS after a burst: the first plain run and the first Fluent Bit run, left idle afterwards. */
  afterBurst: Partial<Record<'agent' | 'fluentBit' | 'glibc', AfterBurst>>;
  latency: Partial<Record<'agent' | 'fluentBit', Steady>>;
  rest: Partial<Record<'agent' | 'fluentBit', AtRest>>;
  idle?: { percent: number; seconds: number; rssMB: number; run: Measured; fluentBit?: { percent: number; rssMB: number; run: Measured } };
  outage?: { run: Measured; rssAtRecoveryMB: number; peakDuringOutageMB: number; distinct: number; duplicates: number; drainMs: number; refused: number };
  profiles: { label: string; file: string; summary: ProfileSummary }[];
  reps: Record<string, Measured[]>;
}

interface AfterBurst {
  /** [seconds after the last acknowledgement, RSS MB], the last one at AFTER_BURST_MS. */
  series: [number, number][];
  rssMB: number;
  anonMB: number;
}

/** At 1,000 lines/s: latency quantiles and the CPU spent per GB written while lines were appended. */
interface Steady {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  count: number;
  cpuSecPerGB: number;
  /** CPU as a percentage of one core over the steady window. */
  cpuPercent: number;
  run: Measured;
}

interface AtRest {
  rssMB: number;
  anonMB: number;
  /** CPU over the quiet window, % of one core. */
  cpuPercent: number;
  run: Measured;
}

/** Leaves the process idle after its burst and reads its RSS every few seconds up to AFTER_BURST_MS. */
function afterBurst(into: (a: AfterBurst) => void): RunSpec['after'] {
  return async (pid) => {
    const series: [number, number][] = [];
    const t0 = now();
    let last: ProcSample | undefined;
    for (const at of new Set([1000, 3000, 10_000, 20_000, AFTER_BURST_MS].filter((t) => t <= AFTER_BURST_MS))) {
      await sleep(Math.max(0, t0 + at - now()));
      last = procSample(pid);
      if (last) series.push([at / 1000, last.rssKB / 1024]);
    }
    log(`after the burst: RSS ${series.map(([t, mb]) => `${t} s ${mb.toFixed(0)} MB`).join(', ')}; private ${((last?.anonKB ?? NaN) / 1024).toFixed(0)} MB`);
    into({ series, rssMB: (last?.rssKB ?? NaN) / 1024, anonMB: (last?.anonKB ?? NaN) / 1024 });
  };
}

async function throughput(data: DataSet, r: Results): Promise<void> {
  const n = data.sizes.accessLines;
  const bytes = data.bytes.access;
  const plainFlow = { filePattern: data.access };
  const specs: { key: keyof Results & string; make: (rep: number) => Promise<Measured> }[] = [
    { key: 'baselinePlain', make: () => measure(baselineRun('baseline, plain', 'baseline-plain', data.access, n, bytes, false)) },
    {
      key: 'plain',
      make: (rep) =>
        runAgent(
          agentRun('agent, plain', 'agent-plain', {}, n, bytes, rep === 0 ? { after: afterBurst((a) => (r.afterBurst.agent = a)) } : {}),
          plainFlow,
        ),
    },
    ...(FLUENT_BIT
      ? [
          {
            key: 'fluentBit' as const,
            make: (rep: number) =>
              measure(
                fluentBitRun('Fluent Bit', 'fluent-bit', [{ path: data.access }], n, bytes, rep === 0 ? { after: afterBurst((a) => (r.afterBurst.fluentBit = a)) } : {}),
              ),
          },
        ]
      : []),
    { key: 'baselineKpl', make: () => measure(baselineRun('baseline, KPL', 'baseline-kpl', data.access, n, bytes, true)) },
    { key: 'kpl', make: () => runAgent(agentRun('agent, KPL', 'agent-kpl', {}, n, bytes), { filePattern: data.access, aggregation: true }) },
    {
      key: 'l2j',
      make: () => runAgent(agentRun('agent, LOGTOJSON', 'agent-l2j', {}, n, bytes), { filePattern: data.access, dataProcessingOptions: L2J }),
    },
    {
      key: 'kplL2j',
      make: () =>
        runAgent(agentRun('agent, KPL + LOGTOJSON', 'agent-kpl-l2j', {}, n, bytes), {
          filePattern: data.access,
          aggregation: true,
          dataProcessingOptions: L2J,
        }),
    },
    { key: 'plainHttp', make: () => runAgent(agentRun('agent, plain, over plain HTTP', 'agent-plain-http', {}, n, bytes), plainFlow, endpoint.url) },
  ];
  const chosen = specs.filter((s) => !RUNS || RUNS.has(s.key));
  for (let rep = 0; rep < REPS; rep++) {
    log(`throughput, repetition ${rep + 1} of ${REPS}`);
    for (const s of chosen) (r.reps[s.key] ??= []).push(await s.make(rep));
  }
  for (const s of chosen) (r as unknown as Record<string, Measured>)[s.key] = median(r.reps[s.key]!);
  if (RUNS && !RUNS.has('json')) return;

  // The same runs as `npm install` starts the agent: many ES modules, V8's default heap sizing.
  const npm = (name: string) => ({ command: undefined, args: agentArgs(name, NPM_CLI), nodeArgs: EXTRA_NODE_ARGS, env: {} });
  r.plainNpm = await runAgent(agentRun('agent from npm (dist/cli.js), plain', 'agent-plain-npm', {}, n, bytes, npm('agent-plain-npm')), plainFlow);
  r.kplNpm = await runAgent(agentRun('agent from npm (dist/cli.js), KPL', 'agent-kpl-npm', {}, n, bytes, npm('agent-kpl-npm')), {
    filePattern: data.access,
    aggregation: true,
  });

  // The agent kept on glibc's malloc (src/allocator.ts): what jemalloc buys, and what each keeps after a burst.
  if (JEMALLOC) {
    const glibc = { env: { ...PACKAGED_ENV, [MALLOC_SETTING]: 'glibc' } };
    r.plainGlibc = await runAgent(
      agentRun('agent, plain, on glibc malloc', 'agent-plain-glibc', {}, n, bytes, { ...glibc, after: afterBurst((a) => (r.afterBurst.glibc = a)) }),
      plainFlow,
    );
    r.kplGlibc = await runAgent(agentRun('agent, KPL, on glibc malloc', 'agent-kpl-glibc', {}, n, bytes, glibc), { filePattern: data.access, aggregation: true });
  }

  r.json = await runAgent(agentRun('agent, JSON lines', 'agent-json', {}, data.sizes.jsonLines, data.bytes.json), {
    filePattern: data.json,
  });
  r.multiline = await runAgent(agentRun('agent, multi-line stack traces', 'agent-multiline', {}, data.sizes.stackEntries, data.bytes.stack), {
    filePattern: data.stack,
    multiLineStartPattern: '^\\d{4}-\\d{2}-\\d{2} ',
  });
}

/**
 * Appends LATENCY_RATE lines a second to an empty file for LATENCY_SECONDS,
 * each starting with its append time, while `who` tails it: latency quantiles,
 * and CPU per GB from the first append to the last acknowledgement.
 */
async function steadyRun(who: 'agent' | 'fluentBit'): Promise<Steady> {
  const total = LATENCY_SECONDS * LATENCY_RATE;
  const dir = join(BENCH_DIR, 'runs', `latency-files-${who}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'latency.log');
  writeFileSync(file, '');
  let cpuAtStart = NaN;
  let startedAt = NaN;
  const more: Partial<RunSpec> = {
    ep: { latency: true },
    timeoutMs: (LATENCY_SECONDS + 60) * 1000,
    during: async (pid) => {
      await sleep(2000);
      cpuAtStart = procSample(pid)?.cpuMs ?? NaN;
      const fd = openSync(file, 'a');
      const start = now();
      startedAt = start;
      let written = 0;
      const filler = 'x'.repeat(ACCESS_LINE_BYTES);
      while (written < total) {
        const due = Math.min(total, Math.floor(((now() - start) / 1000) * LATENCY_RATE));
        if (due > written) {
          let chunk = '';
          const t = now().toFixed(3);
          for (let i = written; i < due; i++) {
            const head = `${t} seq=${i} `;
            chunk += `${head}${filler.slice(0, ACCESS_LINE_BYTES - head.length - 1)}\n`;
          }
          writeSync(fd, chunk);
          written = due;
        }
        await sleep(5);
      }
      closeSync(fd);
    },
  };
  const label = `${who === 'agent' ? 'agent' : 'Fluent Bit'}, ${fmtInt(LATENCY_RATE)} lines/s`;
  const run =
    who === 'agent'
      ? await runAgent(agentRun(label, 'agent-latency', {}, total, total * ACCESS_LINE_BYTES, more), { filePattern: file })
      : await measure(fluentBitRun(label, 'fluent-bit-latency', [{ path: file }], total, total * ACCESS_LINE_BYTES, more));
  const lat = (run.stats.latencies ?? []).sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  const cpuSec = (run.cpuMs - cpuAtStart) / 1000;
  const windowSec = ((run.stats.doneAt || run.stats.lastAt) - startedAt) / 1000;
  const steady: Steady = {
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: lat[lat.length - 1] ?? NaN,
    count: lat.length,
    cpuSecPerGB: cpuSec / ((total * ACCESS_LINE_BYTES) / 1e9),
    cpuPercent: (100 * cpuSec) / Math.max(windowSec, LATENCY_SECONDS),
    run,
  };
  log(`${label}: p50 ${fmt(steady.p50, 0)} ms, p99 ${fmt(steady.p99, 0)} ms, ${fmt(steady.cpuSecPerGB)} CPU s/GB (${fmt(steady.cpuPercent, 2)} % of a core)`);
  return steady;
}

async function latency(r: Results): Promise<void> {
  r.latency.agent = await steadyRun('agent');
  if (FLUENT_BIT) r.latency.fluentBit = await steadyRun('fluentBit');
}

/**
 * REST_FLOWS flows of REST_FILES_PER_FLOW small files each: all lines
 * shipped, then IDLE_SETTLE_MS quiet, then RSS and CPU read over REST_SECONDS
 * of nothing being written.
 */
async function restRun(data: DataSet, who: 'agent' | 'fluentBit'): Promise<AtRest> {
  const flows = Array.from({ length: REST_FLOWS }, (_, f) => join(data.smallDir, `app-00${f}?.log`));
  const n = REST_FLOWS * REST_FILES_PER_FLOW * data.sizes.smallFileLines;
  const inputBytes = n * ACCESS_LINE_BYTES;
  let rest: Omit<AtRest, 'run'> = { rssMB: NaN, anonMB: NaN, cpuPercent: NaN };
  const more: Partial<RunSpec> = {
    after: async (pid) => {
      await sleep(IDLE_SETTLE_MS);
      const a = procSample(pid);
      const t = now();
      await sleep(REST_SECONDS * 1000);
      const b = procSample(pid);
      if (a && b) rest = { rssMB: b.rssKB / 1024, anonMB: b.anonKB / 1024, cpuPercent: (100 * (b.cpuMs - a.cpuMs)) / (now() - t) };
    },
  };
  const label = `${who === 'agent' ? 'agent' : 'Fluent Bit'}, ${REST_FLOWS} flows of ${REST_FILES_PER_FLOW} files, then at rest`;
  const run =
    who === 'agent'
      ? await runAgent(
          agentRun(label, 'agent-rest', {}, n, inputBytes, more),
          flows.map((filePattern) => ({ filePattern })),
        )
      : await measure(fluentBitRun(label, 'fluent-bit-rest', flows.map((path) => ({ path })), n, inputBytes, more));
  log(`${label}: RSS ${fmt(rest.rssMB, 0)} MB, CPU ${fmt(rest.cpuPercent, 2)} % of a core`);
  return { ...rest, run };
}

async function restPhase(data: DataSet, r: Results): Promise<void> {
  r.rest.agent = await restRun(data, 'agent');
  if (FLUENT_BIT) r.rest.fluentBit = await restRun(data, 'fluentBit');
}

async function idle(data: DataSet, r: Results): Promise<void> {
  const run = await idleRun(data, `agent, ${data.sizes.smallFiles} small files`, 'agent-idle', []);
  r.small = run;
  r.idle = { percent: Number(run.extra.idlePercent ?? NaN), seconds: IDLE_SECONDS, rssMB: Number(run.extra.idleRssMB ?? NaN), run };
  log(`idle: ${r.idle.percent.toFixed(2)} % of one core over ${IDLE_SECONDS} s with ${data.sizes.smallFiles} files`);
  if (FLUENT_BIT) {
    const fb = await idleRun(data, `Fluent Bit, ${data.sizes.smallFiles} small files`, 'fluent-bit-idle', [], 'fluentBit');
    r.idle.fluentBit = { percent: Number(fb.extra.idlePercent ?? NaN), rssMB: Number(fb.extra.idleRssMB ?? NaN), run: fb };
    log(`idle, Fluent Bit: ${r.idle.fluentBit.percent.toFixed(2)} % of one core over ${IDLE_SECONDS} s with ${data.sizes.smallFiles} files`);
  }
}

/** Ships the small files, then measures the agent's (or Fluent Bit's) CPU while nothing is written. */
function idleRun(data: DataSet, label: string, name: string, nodeArgs: string[], who: 'agent' | 'fluentBit' = 'agent'): Promise<Measured> {
  const n = data.sizes.smallFiles * data.sizes.smallFileLines;
  const more: Partial<RunSpec> = {
    after: async (pid, sampler, extra) => {
      // Past the source's 5 s "quiet" threshold, so what is measured is the steady idle state.
      await sleep(IDLE_SETTLE_MS);
      const a = procSample(pid);
      const t = now();
      await sleep(IDLE_SECONDS * 1000);
      const b = procSample(pid);
      const s = sampler.take();
      if (a && b) {
        extra.idlePercent = (100 * (b.cpuMs - a.cpuMs)) / (now() - t);
        extra.idleRssMB = (s?.rssKB ?? 0) / 1024;
      }
    },
  };
  const pattern = join(data.smallDir, '*.log');
  if (who === 'fluentBit') return measure(fluentBitRun(label, name, [{ path: pattern }], n, data.bytes.small, more));
  return runAgent(agentRun(label, name, {}, n, data.bytes.small, { ...more, ...agentProgram(name, nodeArgs) }), { filePattern: pattern });
}

async function outage(data: DataSet, r: Results): Promise<void> {
  const n = data.sizes.accessLines;
  let rssAtRecovery = 0;
  let peakDuringOutage = 0;
  let recoveredAt = 0;
  const spec = agentRun('agent, through a long outage', 'agent-outage', {}, n, data.bytes.access, {
    ep: { mode: 'unavailable', verify: n },
    timeoutMs: (OUTAGE_SECONDS + 240) * 1000,
    during: async (_pid, sampler) => {
      await sleep((OUTAGE_SECONDS * 1000) / 2);
      await endpoint.mode('throttle');
      await sleep((OUTAGE_SECONDS * 1000) / 2);
      sampler.take();
      peakDuringOutage = sampler.peakRssKB / 1024;
      rssAtRecovery = (sampler.last?.rssKB ?? 0) / 1024;
      recoveredAt = now();
      await endpoint.mode('ok');
    },
  });
  const run = await runAgent(spec, { filePattern: data.access });
  r.outage = {
    run,
    rssAtRecoveryMB: rssAtRecovery,
    peakDuringOutageMB: peakDuringOutage,
    distinct: run.stats.distinct ?? 0,
    duplicates: run.stats.duplicates ?? 0,
    drainMs: (run.stats.doneAt || now()) - recoveredAt,
    refused: run.stats.refused,
  };
  log(`outage: peak RSS ${run.peakRssMB.toFixed(0)} MB, ${r.outage.distinct} distinct lines of ${n}, ${r.outage.duplicates} duplicates`);
}

/**
 * The agent's profile in `dir`: the last one written. An agent that switches
 * to jemalloc re-executes itself (src/cli/malloc-switch.ts), and its first
 * image writes a profile of its start-up alone as it goes.
 */
function agentProfile(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  return files.sort((a, b) => statSync(join(dir, a)).mtimeMs - statSync(join(dir, b)).mtimeMs).at(-1);
}

async function profiles(data: DataSet, r: Results): Promise<void> {
  const n = data.sizes.accessLines;
  for (const [label, name, flow] of [
    ['plain', 'profile-plain', { filePattern: data.access }],
    ['KPL', 'profile-kpl', { filePattern: data.access, aggregation: true }],
    ['LOGTOJSON', 'profile-l2j', { filePattern: data.access, dataProcessingOptions: L2J }],
  ] as const) {
    const profDir = join(BENCH_DIR, 'profiles', name);
    rmSync(profDir, { recursive: true, force: true });
    // tsc's output rather than the bundle, so the profile names each module; same code, same flags.
    const spec = agentRun(`agent, ${label}, --cpu-prof`, name, {}, n, data.bytes.access, {
      ...agentProgram(name, ['--cpu-prof', `--cpu-prof-dir=${profDir}`], argv.cli ? CLI : NPM_CLI),
    });
    await runAgent(spec, flow);
    const file = agentProfile(profDir);
    if (!file) {
      log(`no profile written for ${label}`);
      continue;
    }
    r.profiles.push({ label, file: join(profDir, file), summary: summarizeFile(join(profDir, file), 15) });
  }
  const profDir = join(BENCH_DIR, 'profiles', 'profile-idle');
  rmSync(profDir, { recursive: true, force: true });
  await idleRun(data, `agent, ${data.sizes.smallFiles} idle files, --cpu-prof`, 'profile-idle', ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
  const file = agentProfile(profDir);
  if (file) {
    r.profiles.push({
      label: `${data.sizes.smallFiles} idle files: the last ${IDLE_SECONDS} s (nothing written)`,
      file: join(profDir, file),
      // The measured idle window ends when the process is stopped; leave out its last second (shutdown).
      summary: summarizeFile(join(profDir, file), 15, (IDLE_SECONDS - 1) * 1000),
    });
  }
}

// ---------------------------------------------------------------- report

function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}
function fmt(n: number | undefined, digits = 1): string {
  return n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}
/** A figure with `digits` decimals (0: thousands separated), empty when not measured. */
function num(n: number | undefined, digits: number): string {
  if (n === undefined || !Number.isFinite(n)) return '';
  return digits === 0 ? fmtInt(n) : n.toFixed(digits);
}
function ratio(a: number | undefined, b: number | undefined): string {
  return a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}x` : '';
}
function met(ok: boolean | undefined): string {
  return ok === undefined ? 'not run' : ok ? '**met**' : '**not met**';
}

function machine(): string[] {
  const model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return [
    `- CPU: ${cpus().length} cores, ${model}`,
    `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node: ${process.version} (agent, baseline and endpoint alike)`,
  ];
}

function report(r: Results, data: DataSet, startLoad: number[], startedAt: Date, seconds: number): string {
  const out: string[] = [];
  const rows: string[] = [];
  /** One figure: ours, Fluent Bit's and the bare script's, with our ratio to each. */
  const row = (figure: string, ours: number | undefined, fb: number | undefined, script: number | undefined, digits: number, target = '', ok = '') =>
    rows.push(
      `| ${figure} | ${num(ours, digits)} | ${num(fb, digits)} | ${ratio(ours, fb)} | ${num(script, digits)} | ${ratio(ours, script)} | ${target} | ${ok} |`,
    );
  const n = data.sizes.accessLines;
  const { plain, kpl, l2j, kplL2j, baselinePlain: bp, baselineKpl: bk, fluentBit: fb, plainHttp } = r;
  const ok = (m: Measured | undefined, cond: boolean) => (m ? m.ok && cond : undefined);
  const vsFb = (m: Measured | undefined, cond: (fb: Measured) => boolean) => (m && fb ? m.ok && fb.ok && cond(fb) : undefined);

  if (plain) {
    row('Plain PutRecords over TLS: lines/s', plain.linesPerSec, fb?.linesPerSec, bp?.linesPerSec, 0, '≥ 1.0x Fluent Bit', met(vsFb(plain, (f) => plain.linesPerSec >= f.linesPerSec)));
    row('Plain: CPU s/GB', plain.cpuSecPerGB, fb?.cpuSecPerGB, bp?.cpuSecPerGB, 1, '≤ 1.0x Fluent Bit', met(vsFb(plain, (f) => plain.cpuSecPerGB <= f.cpuSecPerGB)));
    row('Plain: MB/s', plain.mbPerSec, fb?.mbPerSec, bp?.mbPerSec, 1);
    row('Plain: peak RSS (MB)', plain.peakRssMB, fb?.peakRssMB, bp?.peakRssMB, 0, '≤ 150 MB', met(ok(plain, plain.peakRssMB <= 150)));
    row('Plain: peak private memory, RssAnon (MB)', plain.peakAnonMB, fb?.peakAnonMB, bp?.peakAnonMB, 0);
    row('Time to start: spawn → first acknowledgement (ms)', plain.firstAckMs, fb?.firstAckMs, bp?.firstAckMs, 0);
  }
  if (kpl) {
    row('KPL aggregation over TLS: lines/s (Fluent Bit: plain, it has no KPL)', kpl.linesPerSec, fb?.linesPerSec, bk?.linesPerSec, 0, '≥ 1.5x Fluent Bit', met(vsFb(kpl, (f) => kpl.linesPerSec >= 1.5 * f.linesPerSec)));
    row('KPL: CPU s/GB', kpl.cpuSecPerGB, fb?.cpuSecPerGB, bk?.cpuSecPerGB, 1);
    row('KPL: peak RSS (MB)', kpl.peakRssMB, fb?.peakRssMB, bk?.peakRssMB, 0, '≤ 150 MB', met(ok(kpl, kpl.peakRssMB <= 150)));
    row('KPL: peak private memory, RssAnon (MB)', kpl.peakAnonMB, fb?.peakAnonMB, bk?.peakAnonMB, 0);
  }
  if (l2j) {
    row('LOGTOJSON COMBINEDAPACHELOG: lines/s', l2j.linesPerSec, fb?.linesPerSec, bp?.linesPerSec, 0, '≥ 150,000', met(ok(l2j, l2j.linesPerSec >= 150_000)));
    row('LOGTOJSON: CPU s/GB (of input)', l2j.cpuSecPerGB, fb?.cpuSecPerGB, bp?.cpuSecPerGB, 1);
    row('LOGTOJSON: peak RSS (MB)', l2j.peakRssMB, fb?.peakRssMB, bp?.peakRssMB, 0, '≤ 150 MB', met(ok(l2j, l2j.peakRssMB <= 150)));
  }
  if (kplL2j) {
    row('KPL + LOGTOJSON: lines/s', kplL2j.linesPerSec, fb?.linesPerSec, bk?.linesPerSec, 0, '≥ 150,000', met(ok(kplL2j, kplL2j.linesPerSec >= 150_000)));
    row('KPL + LOGTOJSON: peak RSS (MB)', kplL2j.peakRssMB, fb?.peakRssMB, bk?.peakRssMB, 0, '≤ 150 MB', met(ok(kplL2j, kplL2j.peakRssMB <= 150)));
  }
  if (plainHttp) {
    row('Plain over plain HTTP (HTTP/1.1, no TLS): lines/s', plainHttp.linesPerSec, fb?.linesPerSec, bp?.linesPerSec, 0);
    row('Plain over plain HTTP: CPU s/GB', plainHttp.cpuSecPerGB, fb?.cpuSecPerGB, bp?.cpuSecPerGB, 1);
  }
  const ab = r.afterBurst;
  if (ab.agent) {
    row(`RSS ${AFTER_BURST_MS / 1000} s after a burst (MB)`, ab.agent.rssMB, ab.fluentBit?.rssMB, undefined, 0, '≤ 60 MB', met(plain?.ok && ab.agent.rssMB <= 60));
    row(`Private memory ${AFTER_BURST_MS / 1000} s after a burst, RssAnon (MB)`, ab.agent.anonMB, ab.fluentBit?.anonMB, undefined, 0);
  }
  const rest = r.rest;
  if (rest.agent) {
    row(`RSS at rest, ${REST_FLOWS} flows of ${REST_FILES_PER_FLOW} files (MB)`, rest.agent.rssMB, rest.fluentBit?.rssMB, undefined, 0);
    row(`CPU at rest, ${REST_FLOWS} flows of ${REST_FILES_PER_FLOW} files (% of one core)`, rest.agent.cpuPercent, rest.fluentBit?.cpuPercent, undefined, 2);
  }
  const lat = r.latency;
  if (lat.agent) {
    const a = lat.agent;
    const f = lat.fluentBit;
    row(`At ${fmtInt(LATENCY_RATE)} lines/s: CPU s/GB`, a.cpuSecPerGB, f?.cpuSecPerGB, undefined, 1, '≤ 1.5x Fluent Bit', met(f ? a.run.ok && f.run.ok && a.cpuSecPerGB <= 1.5 * f.cpuSecPerGB : undefined));
    row(`At ${fmtInt(LATENCY_RATE)} lines/s: CPU (% of one core)`, a.cpuPercent, f?.cpuPercent, undefined, 2);
    row(`At ${fmtInt(LATENCY_RATE)} lines/s: latency p50 (ms)`, a.p50, f?.p50, undefined, 0);
    const limit = AGE_MS + 100;
    row(`At ${fmtInt(LATENCY_RATE)} lines/s: latency p99 (ms)`, a.p99, f?.p99, undefined, 0, `≤ ${limit} (maxBufferAgeMillis ${AGE_MS} + 100)`, met(a.run.ok && a.p99 <= limit));
  }
  if (r.idle) {
    row(`${data.sizes.smallFiles} idle tailed files: CPU (% of one core)`, r.idle.percent, r.idle.fluentBit?.percent, undefined, 2, '< 2%', met(r.idle.run.ok && r.idle.percent < 2));
  }
  if (r.outage) {
    const o = r.outage;
    row(`Long outage (${OUTAGE_SECONDS} s): peak RSS during the outage (MB)`, o.peakDuringOutageMB, undefined, undefined, 0, '≤ 150 MB', met(o.run.ok && o.peakDuringOutageMB <= 150));
    row('Long outage: peak RSS including the full-speed catch-up after it (MB)', o.run.peakRssMB, undefined, undefined, 0, '≤ 150 MB', met(o.run.ok && o.run.peakRssMB <= 150));
    rows.push(`| Long outage: distinct lines delivered | ${fmtInt(o.distinct)} of ${fmtInt(n)} | | | | | all | ${met(o.distinct === n)} |`);
  }
  for (const [m, base, name] of [
    [r.plainNpm, bp, 'Plain'],
    [r.kplNpm, bk, 'KPL'],
  ] as const) {
    if (!m) continue;
    row(`${name}, installed from npm (\`dist/cli.js\`, Node's default flags): lines/s`, m.linesPerSec, fb?.linesPerSec, base?.linesPerSec, 0);
    row(`${name}, installed from npm: peak RSS (MB)`, m.peakRssMB, fb?.peakRssMB, base?.peakRssMB, 0);
  }
  for (const [m, base, name] of [
    [r.plainGlibc, bp, 'Plain'],
    [r.kplGlibc, bk, 'KPL'],
  ] as const) {
    if (!m) continue;
    row(`${name}, on glibc malloc (\`${MALLOC_SETTING}=glibc\`): lines/s`, m.linesPerSec, fb?.linesPerSec, base?.linesPerSec, 0);
    row(`${name}, on glibc malloc: CPU s/GB`, m.cpuSecPerGB, fb?.cpuSecPerGB, base?.cpuSecPerGB, 1);
    row(`${name}, on glibc malloc: peak RSS (MB)`, m.peakRssMB, fb?.peakRssMB, base?.peakRssMB, 0);
  }
  if (ab.glibc) row(`Plain, on glibc malloc: RSS ${AFTER_BURST_MS / 1000} s after a burst (MB)`, ab.glibc.rssMB, ab.fluentBit?.rssMB, undefined, 0);
  const extraRuns = [r.json, r.multiline, r.small].filter((m): m is Measured => !!m);
  for (const m of extraRuns) {
    rows.push(`| ${m.label.replace(/^agent, /, '')}: records/s | ${fmtInt(m.linesPerSec)} (${fmt(m.mbPerSec)} MB/s, ${fmt(m.peakRssMB, 0)} MB RSS) | | | | | | ${m.ok ? 'all delivered' : `**${m.problem}**`} |`);
  }

  out.push(
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` (build, then \`node bench/run.ts${QUICK ? ' --quick' : ''}${argv.reps ? ` --reps ${REPS}` : ''}\`) on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC in ${(seconds / 60).toFixed(1)} min. ` +
      'Do not edit by hand: run the command again. How to read it: [docs/performance.md](docs/performance.md).',
    '',
    '## Machine',
    '',
    ...machine(),
    !EXECUTABLE
      ? `- Agent: Node ${process.versions.node} with \`${relative(ROOT, CLI)}\`${argv.cli ? ' (given with --cli)' : ''}, node ${AGENT_NODE_ARGS.join(' ')}`
      : `- Agent: as the .deb, .rpm and container ship it, the executable itself (\`${relative(ROOT, EXECUTABLE)}\`: Node ${process.versions.node} with the bundle and its code cache, Node flags \`${NODE_FLAGS.join(' ')}\`), in the environment its systemd unit and container set (\`${Object.entries(PACKAGED_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}\`); the "installed from npm" rows run \`dist/cli.js\` with Node's defaults`,
    JEMALLOC
      ? `- Malloc: jemalloc, which the agent re-executes itself on when installed (\`${JEMALLOC}\`, \`MALLOC_CONF=${JEMALLOC_CONF}\`; src/allocator.ts); the "on glibc malloc" rows set \`${MALLOC_SETTING}=glibc\``
      : `- Malloc: glibc's, with the settings above: **libjemalloc.so.2 is not installed** (Debian: libjemalloc2), so these are the figures of an install without it`,
    FLUENT_BIT
      ? `- Fluent Bit: \`${FLUENT_BIT}\` (${fluentBitVersion()}), tail → kinesis_streams, \`Log_Key log\`, \`Workers 2\`, \`Flush 1\`, 256k tail buffers, TLS verified with \`tls.ca_file\``
      : '- Fluent Bit: not found (give --fluent-bit PATH or FLUENT_BIT); its columns are empty',
    `- Endpoint: bench/endpoint.ts, TLS (a CA and certificate the bench made, trusted by the agent and the bare script through NODE_EXTRA_CA_CERTS and by Fluent Bit through tls.ca_file) with HTTP/2 and HTTP/1.1 by ALPN, HTTP/2 windows ${H2_SETTINGS.initialWindowSize! >> 10} KiB per stream; how each run's calls came is in "Every run"`,
    `- Load average (1, 5, 15 min) at start: ${startLoad.map((l) => l.toFixed(2)).join(', ')}; at end: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`,
    `- CPU used by other processes during the throughput runs (cores, median of runs): ${fmt(medianOf([bp, plain, fb, bk, kpl, l2j, kplL2j].filter((m): m is Measured => !!m).map((m) => m.otherCores)), 2)}`,
    '',
    '## Data',
    '',
    `- \`access.log\`: ${fmtInt(n)} Apache combined lines of ${ACCESS_LINE_BYTES} bytes (${fmt(data.bytes.access / 1e6)} MB)`,
    `- \`json.log\`: ${fmtInt(data.sizes.jsonLines)} JSON lines (${fmt(data.bytes.json / 1e6)} MB)`,
    `- \`stacktrace.log\`: ${fmtInt(data.sizes.stackEntries)} log entries in ${fmtInt(data.stackLines)} lines, a quarter of them stack traces (${fmt(data.bytes.stack / 1e6)} MB)`,
    `- \`small/\`: ${data.sizes.smallFiles} files of ${data.sizes.smallFileLines} access lines (${fmt(data.bytes.small / 1e6)} MB)`,
    '',
    '## Results',
    '',
    `Every throughput figure is over TLS (the agent and the bare script speak HTTP/2, Fluent Bit HTTP/1.1), but the one row marked plain HTTP. Throughput rows are the median of ${REPS} run${REPS === 1 ? '' : 's'} (peak RSS: the worst run). Ratios are agent ÷ Fluent Bit and agent ÷ bare script: above 1 is better for lines/s and MB/s, below 1 is better for CPU, memory and time.`,
    '',
    '| Figure | kinesis-agent | Fluent Bit | ÷ Fluent Bit | Bare script (bench/baseline.ts) | ÷ script | Target | Met |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ...rows,
    '',
  );

  out.push(
    '## Every run',
    '',
    '| Run | records | spawn → first ack (s) | spawn → last ack (s) | rate window (s) | lines/s | MB/s | CPU s | CPU s/GB | peak RSS MB | peak private MB | calls | protocol | endpoint CPU s | others (cores) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  );
  for (const [, runs] of Object.entries(r.reps)) for (const m of runs) out.push(runLine(m));
  // r.small is the idle run's shipping phase: one row for both.
  for (const m of [r.plainNpm, r.kplNpm, r.plainGlibc, r.kplGlibc, r.json, r.multiline, r.small, r.latency.agent?.run, r.latency.fluentBit?.run, r.rest.agent?.run, r.rest.fluentBit?.run, r.idle?.fluentBit?.run, r.outage?.run]) if (m) out.push(runLine(m));
  out.push(
    '',
    'Rates run from spawning the process to the endpoint\'s last acknowledgement. When the last call of the agent or Fluent Bit came after a pause longer than half of `maxBufferAgeMillis` (the final, partial batch waiting for its age or the next flush, which the bare script does not do) that call is left out, both its records and its wait, and the run is marked *. "others" is the CPU the rest of the machine (other engineers\' work) used meanwhile, in cores of 2.',
    '',
  );
  if (ab.agent) {
    const times = ab.agent.series.map(([t]) => t);
    const at = (a: AfterBurst | undefined, t: number) => fmt(a?.series.find(([s]) => s === t)?.[1], 0);
    out.push(
      '## After a burst',
      '',
      `RSS (MB) of the first plain run and the first Fluent Bit run, left running with nothing more to read, by seconds after the last acknowledgement.`,
      '',
      `| | ${times.map((t) => `${t} s`).join(' | ')} |`,
      `| --- | ${times.map(() => '---:').join(' | ')} |`,
      `| kinesis-agent | ${times.map((t) => at(ab.agent, t)).join(' | ')} |`,
      ...(ab.glibc ? [`| kinesis-agent on glibc malloc | ${times.map((t) => at(ab.glibc, t)).join(' | ')} |`] : []),
      ...(ab.fluentBit ? [`| Fluent Bit | ${times.map((t) => at(ab.fluentBit, t)).join(' | ')} |`] : []),
      '',
    );
  }
  if (lat.agent) {
    const line = (who: string, l: Steady) =>
      `- ${who}: p50 ${fmt(l.p50, 0)} ms, p90 ${fmt(l.p90, 0)} ms, p99 ${fmt(l.p99, 0)} ms, max ${fmt(l.max, 0)} ms over ${fmtInt(l.count)} lines; ${fmt(l.cpuSecPerGB)} CPU s/GB, ${fmt(l.cpuPercent, 2)} % of one core`;
    out.push(
      `## At ${fmtInt(LATENCY_RATE)} lines/s`,
      '',
      `Lines appended to an empty file at ${fmtInt(LATENCY_RATE)} lines/s for ${LATENCY_SECONDS} s, each starting with its append time; latency is the endpoint's arrival time minus that. CPU is the process's from the first append to the last acknowledgement, per GB appended. The agent's maxBufferAgeMillis is ${AGE_MS}; Fluent Bit's Flush is 1 s.`,
      '',
      line('kinesis-agent', lat.agent),
      ...(lat.fluentBit ? [line('Fluent Bit', lat.fluentBit)] : []),
      '',
    );
  }
  if (rest.agent) {
    out.push(
      '## At rest',
      '',
      `${REST_FLOWS} flows, each tailing ${REST_FILES_PER_FLOW} of the small files (${fmtInt(REST_FLOWS * REST_FILES_PER_FLOW * data.sizes.smallFileLines)} lines in all); once all were acknowledged, ${IDLE_SETTLE_MS / 1000} s of quiet, then RSS and CPU over ${REST_SECONDS} s of nothing being written. Fluent Bit: ${REST_FLOWS} tail inputs and ${REST_FLOWS} kinesis_streams outputs.`,
      '',
    );
  }
  if (r.idle) {
    out.push(
      '## Idle files',
      '',
      `The agent first shipped all ${fmtInt(data.sizes.smallFiles * data.sizes.smallFileLines)} lines of the ${data.sizes.smallFiles} files, waited ${IDLE_SETTLE_MS / 1000} s (files quiet for 5 s are polled once a second instead of every 100 ms, and where directory events are trusted less often the longer they stay quiet, up to every 10 s), then its CPU time was read over ${r.idle.seconds} s of nothing being written: ${fmt(r.idle.percent, 2)} % of one core, RSS ${fmt(r.idle.rssMB, 0)} MB.${r.idle.fluentBit ? ` Fluent Bit, the same way: ${fmt(r.idle.fluentBit.percent, 2)} % of one core, RSS ${fmt(r.idle.fluentBit.rssMB, 0)} MB.` : ''}`,
      '',
    );
  }
  if (r.outage) {
    const o = r.outage;
    out.push(
      '## Long outage',
      '',
      `The endpoint answered every PutRecords with 503 for ${OUTAGE_SECONDS / 2} s, then with ProvisionedThroughputExceededException for ${OUTAGE_SECONDS / 2} s (${fmtInt(o.refused)} calls refused), then recovered, while the agent had the whole ${fmt(data.bytes.access / 1e6)} MB file to read. Peak RSS during the outage ${fmt(o.peakDuringOutageMB, 0)} MB (${fmt(o.rssAtRecoveryMB, 0)} MB at recovery); ${fmt(o.run.peakRssMB, 0)} MB including the catch-up at full speed after it. After recovery, all lines arrived in ${fmt(o.drainMs / 1000)} s: ${fmtInt(o.distinct)} distinct of ${fmtInt(n)}, ${fmtInt(o.duplicates)} duplicates.`,
      '',
    );
  }
  if (r.profiles.length > 0) {
    out.push('## CPU profiles', '', `\`node --cpu-prof\` on \`dist/cli.js\`, one run each on access.log over TLS; summarized by \`bench/cpuprofile.ts\` (self time, idle excluded). The .cpuprofile files are in \`${relative(ROOT, join(BENCH_DIR, 'profiles'))}/\`.`, '');
    for (const p of r.profiles) out.push(`### ${p.label}`, '', markdown(p.summary), '');
  }
  return out.join('\n');
}

function fluentBitVersion(): string {
  try {
    return /Fluent Bit v[\d.]+/.exec(execFileSync(FLUENT_BIT!, ['--version'], { encoding: 'utf8' }))?.[0] ?? 'version unknown';
  } catch {
    return 'version unknown';
  }
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
}

function runLine(m: Measured): string {
  return `| ${m.label}${m.ok ? '' : ` **(${m.problem})**`} | ${fmtInt(m.records)} | ${fmt(m.firstAckMs / 1000, 2)} | ${fmt(m.totalMs / 1000, 2)} | ${fmt(m.measuredMs / 1000, 2)}${m.tailExcluded ? '*' : ''} | ${fmtInt(m.linesPerSec)} | ${fmt(m.mbPerSec)} | ${fmt(m.cpuMs / 1000, 2)} | ${fmt(m.cpuSecPerGB)} | ${fmt(m.peakRssMB, 0)} | ${fmt(m.peakAnonMB, 0)} | ${fmtInt(m.requests)} | ${protocols(m.stats)} | ${fmt(m.endpointCpuMs / 1000, 2)} | ${fmt(m.otherCores, 2)} |`;
}

// ---------------------------------------------------------------- main

const startedAt = new Date();
const startLoad = loadavg();
if (!argv.cli) await bundle();
/** The packaged executable (PACKAGED), built from the bundle above. */
const EXECUTABLE = PACKAGED ? await buildBinary(nativeArch() ?? 'x64') : undefined;
for (const cli of [CLI, NPM_CLI]) if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm run bench does)`);
const data = ensureData(join(BENCH_DIR, QUICK ? 'data-quick' : 'data-full'), SIZES, log);
const tls = ensureTls(join(BENCH_DIR, 'tls'));
// The agent and the bare script trust the bench CA as a user's NODE_EXTRA_CA_CERTS would make them.
childEnv.NODE_EXTRA_CA_CERTS = tls.ca;
const endpoint = await EndpointProcess.start(tls);
log(`endpoint at ${endpoint.tlsUrl} (TLS: HTTP/2, HTTP/1.1) and ${endpoint.url}; Fluent Bit: ${FLUENT_BIT ?? 'not found, its rows are left out'}`);
const results: Results = { profiles: [], reps: {}, afterBurst: {}, latency: {}, rest: {} };
let features: FeatureResults | undefined;
try {
  if (ONLY.has('throughput')) await throughput(data, results);
  if (ONLY.has('latency')) await latency(results);
  if (ONLY.has('rest')) await restPhase(data, results);
  if (ONLY.has('idle')) await idle(data, results);
  if (ONLY.has('outage')) await outage(data, results);
  if (ONLY.has('profile')) await profiles(data, results);
  if (ONLY.has('features')) features = await featureScenarios({ data, log, run: (label, name, flow, n, bytes) => runAgent(agentRun(label, name, {}, n, bytes), flow) });
} finally {
  endpoint.stop();
}
const seconds = (Date.now() - startedAt.getTime()) / 1000;
writeFileSync(OUT, `${[report(results, data, startLoad, startedAt, seconds), ...(features ? featureReport(features) : [])].join('\n')}\n`);
log(`wrote ${relative(ROOT, OUT)} in ${(seconds / 60).toFixed(1)} min`);
process.exit(0);
