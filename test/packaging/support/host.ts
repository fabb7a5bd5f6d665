/**
 * What the packaging tests need from the machine they run on: root, tools
 * on the PATH, commands run with their output kept, and machine-wide locks.
 *
 * Tests skip (with the reason) where the machine cannot run them;
 * KINESIS_AGENT_PACKAGE_TESTS=require (set by .ci/run) turns every such skip
 * into a failure, so CI never passes by skipping.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { TestContext } from 'vitest';
import { which } from '../../../scripts/package-lib.ts';

export const REQUIRE = process.env.KINESIS_AGENT_PACKAGE_TESTS === 'require';
export const IS_ROOT = process.getuid?.() === 0;

/** Skips with the reason, or fails when CI requires every packaging test. */
export function need(ctx: TestContext, ok: boolean, reason: string): void {
  if (ok) return;
  if (REQUIRE) throw new Error(`required packaging test cannot run: ${reason}`);
  ctx.skip(reason);
}

/** Why the machine cannot run a test needing root and `tools`, or '' when it can. */
export function missing(tools: Record<string, string>): string {
  if (!IS_ROOT) return 'not root: this test needs root (CI runs as root)';
  const absent = Object.entries(tools).filter(([tool]) => which(tool) === undefined);
  if (absent.length === 0) return '';
  return `not found: ${absent.map(([t]) => t).join(', ')} (apt-get install ${[...new Set(absent.map(([, p]) => p))].join(' ')})`;
}

/** Runs a command and returns its stdout; throws with stdout and stderr when it fails. */
export function sh(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): string {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
      ...options,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

/** Runs a command that may fail; its exit code and all its output. */
export function tryRun(cmd: string, args: string[], env?: NodeJS.ProcessEnv): { code: number; out: string } {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, env });
    return { code: 0, out };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/**
 * Runs a long command without blocking the event loop (kinesis-local and
 * timers keep running); rejects with its output when it fails.
 */
export function shAsync(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 256 << 20, encoding: 'utf8', ...options }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

/**
 * An exclusive lock on `path`, held by a flock(1) child until the returned
 * function is called (or this process dies): one dpkg, one debootstrap, one
 * package build per machine at a time, whichever test file asks first.
 */
export async function machineLock(path: string): Promise<() => void> {
  const child = spawn('flock', ['-x', path, '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`flock exited with ${code}`)));
  });
  return () => child.stdin.end();
}

/** Polls `probe` every `intervalMs` until it returns a value, or throws after `timeoutMs`. */
export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
