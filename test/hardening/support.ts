/**
 * Shared pieces of the hardening suite: temporary directories, agent configs
 * against the protocol server, numbered lines and the counts that prove
 * nothing was lost or sent twice.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { AwsProtocolServer } from '../servers/aws-protocol-server.ts';
import { AgentProcess, CLI } from '../support/agent-process.ts';
import { LOCAL_AWS_ENV } from '../support/kinesis-local.ts';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `ka-hard-${name}-`));
}

/** `prefix 0000012\n` ... : every line unique, so counts at the destination say everything. */
export function numbered(prefix: string, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += `${prefix} ${String(i).padStart(7, '0')}\n`;
  return s;
}

export interface ProtocolSuite {
  /** The protocol server, started before the file's first test. */
  readonly server: AwsProtocolServer;
  /** A temporary directory for the file's tests. */
  readonly dir: string;
  /** A new stream of `shards` shards and a directory of its own. */
  newCase(shards?: number): { stream: string; sub: string };
  /** Keeps an agent to be killed once the file's tests are done. */
  track(agent: AgentProcess): AgentProcess;
}

/**
 * A test file's protocol server, temporary directory and agents: started
 * before its tests, faults cleared after each, all stopped and removed after
 * the last.
 */
export function useProtocolServer(name: string, opts: { dirMode?: number } = {}): ProtocolSuite {
  let server: AwsProtocolServer | undefined;
  let dir = '';
  let n = 0;
  const agents: AgentProcess[] = [];
  beforeAll(async () => {
    server = await AwsProtocolServer.start();
    dir = tempDir(name);
    if (opts.dirMode !== undefined) chmodSync(dir, opts.dirMode);
  });
  afterEach(() => server?.clearFaults());
  afterAll(async () => {
    for (const a of agents) await a.stop('SIGKILL');
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get server() {
      return server!;
    },
    get dir() {
      return dir;
    },
    newCase(shards = 1) {
      const stream = `${name}-${++n}`;
      server!.createStream(stream, shards);
      const sub = join(dir, stream);
      mkdirSync(sub, { recursive: true });
      return { stream, sub };
    },
    track(agent) {
      agents.push(agent);
      return agent;
    },
  };
}

/** An agent's output, for assertion messages. */
export const agentOutput = (a: AgentProcess) => () => `stdout:\n${a.stdout.slice(-5000)}\nstderr:\n${a.stderr}`;

export function splitLines(text: string): string[] {
  return text.split(/(?<=\n)/).filter(Boolean);
}

/** Polls until `predicate` holds; throws `what` (and `detail()`) at the deadline. */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, detail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${detail ? `\n${detail()}` : ''}`);
}

export function countBy(items: Iterable<{ data: Buffer }>): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of items) {
    const k = r.data.toString('latin1');
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

export interface Tally {
  missing: number;
  duplicated: number;
  unexpected: number;
  total: number;
}

export function tally(records: Iterable<{ data: Buffer }>, expected: string[]): Tally & { counts: Map<string, number> } {
  const counts = countBy(records);
  const want = new Set(expected);
  let total = 0;
  for (const n of counts.values()) total += n;
  return {
    counts,
    missing: expected.filter((l) => !counts.has(l)).length,
    duplicated: [...counts.values()].filter((n) => n > 1).length,
    unexpected: [...counts.keys()].filter((k) => !want.has(k)).length,
    total,
  };
}

/** Every expected line arrived exactly once and nothing else did. */
export function expectExactlyOnce(records: Iterable<{ data: Buffer }>, expected: string[], context = ''): void {
  const { missing, duplicated, unexpected, total } = tally(records, expected);
  expect({ missing, duplicated, unexpected, total }, context).toEqual({ missing: 0, duplicated: 0, unexpected: 0, total: expected.length });
}

export interface FlowSpec {
  filePattern: string;
  stream: string;
  firehose?: boolean;
  /** Extra YAML lines for the flow, without indentation. */
  extra?: string[];
}

/**
 * An agent config: small batches, short backoff, no CloudWatch, the given
 * endpoint for both services. `top` adds top-level YAML lines.
 */
export function agentYaml(opts: { endpoint: string; checkpointFile: string; flows: FlowSpec[]; top?: string[] }): string {
  const out = [
    `kinesis.endpoint: ${JSON.stringify(opts.endpoint)}`,
    `firehose.endpoint: ${JSON.stringify(opts.endpoint)}`,
    'cloudwatch.emitMetrics: false',
    `checkpointFile: ${JSON.stringify(opts.checkpointFile)}`,
    ...(opts.top ?? []),
    'flows:',
  ];
  for (const f of opts.flows) {
    out.push(`  - filePattern: ${JSON.stringify(f.filePattern)}`);
    out.push(`    ${f.firehose ? 'deliveryStream' : 'kinesisStream'}: ${f.stream}`);
    const extra = [
      'initialPosition: START_OF_FILE',
      'maxBufferAgeMillis: 1000',
      'retryInitialBackoffMillis: 20',
      'retryMaxBackoffMillis: 200',
      ...(f.extra ?? []),
    ];
    const keys = new Set<string>();
    // Later lines override earlier ones with the same key.
    for (const line of extra.reverse()) {
      const key = line.split(':')[0]!;
      if (keys.has(key)) continue;
      keys.add(key);
      out.push(`    ${line}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** A log line of the agent with this message (or message part). */
export function hasMsg(part: string): (l: Record<string, unknown>) => boolean {
  return (l) => typeof l.msg === 'string' && l.msg.includes(part);
}

/**
 * The agent run through a wrapper command (setpriv to drop privileges):
 * the same surface as AgentProcess.
 */
export function startAgentVia(wrapper: string[], configPath: string, env: NodeJS.ProcessEnv = {}): AgentProcess {
  const [cmd, ...args] = wrapper;
  const childEnv = { ...process.env, ...LOCAL_AWS_ENV, KINESIS_AGENT_LOG_LEVEL: 'info', ...env };
  const child = spawn(cmd!, [...args, process.execPath, CLI, '-c', configPath], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // AgentProcess only wraps a child; its constructor is private to keep start() the usual way in.
  return new (AgentProcess as unknown as new (c: ChildProcess, e: NodeJS.ProcessEnv) => AgentProcess)(child, childEnv);
}

export const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('hardening: not running as root, so the tests as an unprivileged user and with a tmpfs are skipped');

/** The unprivileged user the permission tests run the agent as (uid, gid). */
export const NOBODY = isRoot ? { uid: Number(execFileSync('id', ['-u', 'nobody']).toString()), gid: Number(execFileSync('id', ['-g', 'nobody']).toString()) } : { uid: -1, gid: -1 };

/** A wrapper that runs the agent as `nobody` (for a test running as root). */
export const DROP_TO_NOBODY = ['setpriv', `--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups'];

/**
 * Is the Debian package `logrotate` installed? Tests that run it are skipped
 * without it locally; under CI its absence is an error.
 */
export const logrotate = (() => {
  try {
    execFileSync('logrotate', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI) throw new Error('logrotate is not installed: apt-get install -y logrotate');
    return false;
  }
})();
