/**
 * Runs the built CLI as a real process, the way systemd or a shell would,
 * and keeps what it prints for assertions and for failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LOCAL_AWS_ENV } from './kinesis-local.ts';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
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

  private constructor(child: ChildProcess) {
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(configPath: string, env: NodeJS.ProcessEnv = {}): AgentProcess {
    const child = spawn(process.execPath, [CLI, '-c', configPath], {
      env: { ...process.env, ...LOCAL_AWS_ENV, KINESIS_AGENT_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AgentProcess(child);
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

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    // A signal that lands before Node has started the program at all takes
    // the default action (death); no program can prevent that, so a test
    // that stops a just-spawned agent waits out Node's own start first.
    const young = 100 - (Date.now() - this.spawnedAt);
    if (signal !== 'SIGKILL' && young > 0) await new Promise((r) => setTimeout(r, young));
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
