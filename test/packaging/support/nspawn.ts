/**
 * A Debian root file system booted with systemd as PID 1 under
 * systemd-nspawn, sharing the host's network (so it reaches kinesis-local on
 * the host's loopback), driven from outside with nsenter.
 *
 * This machine has no systemd-machined: `--register=no --keep-unit` keep
 * nspawn from asking it for a scope.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sh, tryRun, until } from './host.ts';

/** What commands run inside get for an environment: nothing of the test's. */
const INSIDE_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive' };

function children(pid: number): number[] {
  const tasks = join('/proc', String(pid), 'task');
  if (!existsSync(tasks)) return [];
  return readdirSync(tasks).flatMap((tid) => {
    try {
      return readFileSync(join(tasks, tid, 'children'), 'utf8').split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
}

function descendants(pid: number): number[] {
  return children(pid).flatMap((c) => [c, ...descendants(c)]);
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

export class BootedSystem {
  private output = '';

  private constructor(
    readonly root: string,
    private readonly nspawn: ChildProcess,
    /** The container's systemd, as the host sees it. */
    readonly pid1: number,
  ) {}

  /**
   * Boots `root` as machine `name` and waits until systemd answers on its
   * private socket and the boot has finished (running or degraded).
   * Throws with the console output when it does not within `timeoutMs`.
   */
  static async boot(root: string, name: string, timeoutMs = 120_000): Promise<BootedSystem> {
    const nspawn = spawn(
      'systemd-nspawn',
      ['-D', root, '-M', name, '--register=no', '--keep-unit', '-b', '--console=pipe'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
    nspawn.stdout.on('data', keep);
    nspawn.stderr.on('data', keep);
    try {
      const pid1 = await until(
        'systemd to start in the container',
        () => {
          if (nspawn.exitCode !== null) throw new Error(`systemd-nspawn exited with ${nspawn.exitCode}`);
          const pid = descendants(nspawn.pid!).find((p) => comm(p) === 'systemd');
          return pid !== undefined && existsSync(`/proc/${pid}/root/run/systemd/private`) ? pid : undefined;
        },
        timeoutMs,
      );
      const system = new BootedSystem(root, nspawn, pid1);
      nspawn.stdout.off('data', keep);
      nspawn.stderr.off('data', keep);
      system.output = output;
      nspawn.stdout.on('data', (d: Buffer) => (system.output = (system.output + d.toString()).slice(-20_000)));
      nspawn.stderr.on('data', (d: Buffer) => (system.output = (system.output + d.toString()).slice(-20_000)));
      // Exit status 1 means "degraded": booted, some unrelated unit failed
      // (a container has no hardware for some of them).
      const state = system.tryRun(['systemctl', 'is-system-running', '--wait']).out.trim();
      if (!['running', 'degraded'].includes(state)) throw new Error(`system state ${state}`);
      return system;
    } catch (err) {
      nspawn.kill('SIGKILL');
      throw new Error(`booting ${root} failed: ${(err as Error).message}\n${output}`, { cause: err });
    }
  }

  /** Runs a command inside; its stdout. Throws with its output when it fails. */
  run(command: string[]): string {
    return sh('nsenter', ['-t', String(this.pid1), '-a', ...command], { env: INSIDE_ENV });
  }

  /** Runs a command inside that may fail; its exit code and output. */
  tryRun(command: string[]): { code: number; out: string } {
    return tryRun('nsenter', ['-t', String(this.pid1), '-a', ...command], INSIDE_ENV);
  }

  /** `systemctl show` properties of a unit, by name. */
  show(unit: string, ...properties: string[]): Record<string, string> {
    const text = this.run(['systemctl', 'show', unit, ...properties.map((p) => `--property=${p}`)]);
    return Object.fromEntries(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  }

  /** The console output (the boot's messages), for failure reports. */
  console(): string {
    return this.output;
  }

  /** Powers off and waits; kills nspawn after `timeoutMs`. */
  async poweroff(timeoutMs = 60_000): Promise<void> {
    if (this.nspawn.exitCode !== null) return;
    const exited = new Promise((r) => this.nspawn.once('exit', r));
    this.tryRun(['systemctl', '--no-block', 'poweroff']);
    await Promise.race([exited, new Promise((r) => setTimeout(r, timeoutMs))]);
    if (this.nspawn.exitCode === null) {
      this.nspawn.kill('SIGKILL');
      await exited;
    }
  }
}
