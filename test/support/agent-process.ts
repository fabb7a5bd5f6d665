/**
 * Runs the built CLI as a real process, the way systemd or a shell would,
 * and keeps what it prints for assertions and for failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { environmentFacts, planAllocator } from '../../src/allocator.ts';
import { LOCAL_AWS_ENV } from './kinesis-local.ts';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Whether process `pid` catches SIGHUP (/proc/<pid>/status SigCgt): src/cli.ts does, Node alone does not. Throws once it has ended. */
export function catchesSighup(pid: number): boolean {
  const caught = BigInt(`0x${/^SigCgt:\s*([0-9a-f]+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0'}`);
  return (caught & 1n) === 1n;
}

/** Whether process `pid`'s image was started with a libjemalloc in its environment (the switch's second image). Throws once it has ended. */
export function jemallocInEnvironment(pid: number): boolean {
  return readFileSync(`/proc/${pid}/environ`, 'utf8').includes('libjemalloc');
}

/** Runs the CLI to completion (validate, --version, ...). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...LOCAL_AWS_ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A long-running agent process. */
export class AgentProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  readonly child: ChildProcess;
  private readonly spawnedAt = Date.now();

  /**
   * Whether the agent will re-execute itself on jemalloc (src/allocator.ts):
   * then "started" means started again, in the second image.
   */
  private readonly switching: boolean;

  private constructor(child: ChildProcess, env: NodeJS.ProcessEnv = {}) {
    this.child = child;
    this.switching =
      planAllocator({ ...environmentFacts(env), signalled: false }).kind === 'reexec';
    child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(configPath: string, env: NodeJS.ProcessEnv = {}): AgentProcess {
    const childEnv = { ...process.env, ...LOCAL_AWS_ENV, KINESIS_AGENT_LOG_LEVEL: 'info', ...env };
    const child = spawn(process.execPath, [CLI, '-c', configPath], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AgentProcess(child, childEnv);
  }

  /**
   * Waits (up to 20 s) until the process has run past Node's own start:
   * 80 ms of CPU (Linux: /proc/<pid>/stat), where a bare Node takes ~40 and
   * the agent's modules ~300. CPU time, not wall time, so a loaded machine
   * moves nothing (Node's own early handler for SIGTERM makes the kernel's
   * caught-signal mask useless here). Elsewhere: 100 ms after spawning.
   * When the agent switches to jemalloc (src/allocator.ts), started means
   * its second image has taken the signals again: one during that image's
   * own start would end it as it would any Node process.
   */
  private async untilStarted(): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && this.child.exitCode === null && this.child.signalCode === null) {
      let cpuTicks: number;
      try {
        // Until exec, the child is a copy of this process.
        if (!readFileSync(`/proc/${this.child.pid}/cmdline`, 'utf8').includes(CLI)) {
          await new Promise((r) => setTimeout(r, 2));
          continue;
        }
        const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // utime and stime: fields 14 and 15 of proc(5), 12 and 13 after the name.
        cpuTicks = Number(fields[11]) + Number(fields[12]);
      } catch {
        const young = 100 - (Date.now() - this.spawnedAt);
        if (young > 0) await new Promise((r) => setTimeout(r, young));
        return;
      }
      if (this.switching) {
        // The second image has run src/cli.ts once LD_PRELOAD is in its
        // environment and it catches SIGHUP (Node itself does not; an exec
        // resets caught signals), so its own handlers are in place.
        let ready: boolean;
        try {
          ready = jemallocInEnvironment(this.child.pid!) && catchesSighup(this.child.pid!);
        } catch {
          return; // ended meanwhile
        }
        if (ready) return;
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      if (cpuTicks >= 8) return;
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Log lines parsed as JSON (the agent logs JSON when stdout is not a terminal). */
  logLines(): Array<Record<string, unknown>> {
    return this.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  async waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.logLines().some(predicate)) return;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`log line not seen; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
  }

  /** Sends `signal` once Node itself has started (see stop()), without waiting for the agent to act on it. */
  async signalOnceNodeStarted(signal: NodeJS.Signals): Promise<void> {
    await this.untilStarted();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    // A signal that lands before Node has started the program at all takes
    // the default action (death); no program can prevent that, so a test
    // that stops a just-spawned agent waits out Node's own start first.
    if (signal !== 'SIGKILL') await this.untilStarted();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
