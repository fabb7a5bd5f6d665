/**
 * A Debian root file system made with debootstrap from the archive this
 * machine's apt uses: the base of the test images (container), the booted
 * system (systemd) and the RPM root (rpm). Made once per machine and kept in
 * the OS temp directory under a hash of what it holds, so the three tests and
 * later runs share one debootstrap (about 90 s); each test writes only to an
 * overlay on top of it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineLock, sh, shAsync } from './host.ts';

export const SUITE = 'bookworm';
/** systemd as PID 1 (systemd test), rpm (rpm test), CA certificates (images). */
export const ROOTFS_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'rpm', 'ca-certificates'];
/** debootstrap's own tools and nspawn, which runs commands inside the roots. */
export const ROOTFS_TOOLS = { debootstrap: 'debootstrap', 'systemd-nspawn': 'systemd-container' };

/**
 * The Debian archive apt uses here (deb822 `URIs:` or one-line `deb` entries
 * in /etc/apt/sources.list*), skipping the security archive.
 * KINESIS_AGENT_DEBIAN_MIRROR overrides it.
 */
export function debianArchive(): string {
  if (process.env.KINESIS_AGENT_DEBIAN_MIRROR) return process.env.KINESIS_AGENT_DEBIAN_MIRROR;
  const files = ['/etc/apt/sources.list'];
  if (existsSync('/etc/apt/sources.list.d')) {
    files.push(...readdirSync('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f)));
  }
  for (const file of files.filter(existsSync)) {
    const text = readFileSync(file, 'utf8');
    const uris = [
      ...text.matchAll(/^URIs:\s*(\S+)/gm),
      ...text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gm),
    ].map((m) => m[1]!);
    const debian = uris.find((u) => /\/debian\/?$/.test(u));
    if (debian) return debian;
  }
  return 'http://deb.debian.org/debian';
}

/**
 * The shared root file system, made on first use under a machine-wide lock.
 * Returns its path; never write to it (use overlay()).
 * Throws when debootstrap fails (network, archive).
 */
export async function debianRootfs(): Promise<string> {
  const mirror = debianArchive();
  const key = createHash('sha256')
    .update(JSON.stringify({ SUITE, mirror, ROOTFS_PACKAGES, arch: process.arch }))
    .digest('hex')
    .slice(0, 12);
  const dir = join(tmpdir(), `kinesis-agent-rootfs-${key}`);
  const root = join(dir, 'root');
  const ready = join(dir, 'ready');
  if (existsSync(ready)) return root;
  const release = await machineLock(join(tmpdir(), 'kinesis-agent-rootfs.lock'));
  try {
    if (existsSync(ready)) return root;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await shAsync('debootstrap', ['--variant=minbase', `--include=${ROOTFS_PACKAGES.join(',')}`, SUITE, root, mirror]);
    writeFileSync(ready, `${new Date().toISOString()} ${mirror}\n`);
    return root;
  } finally {
    release();
  }
}

export interface Overlay {
  /** The merged, writable view of the root file system. */
  root: string;
  /** Unmounts it and deletes what was written. */
  remove(): void;
}

/** A writable overlay of `lower` under `work` (root only; nothing reaches `lower`). */
export function overlay(lower: string, work: string): Overlay {
  const upper = join(work, 'upper');
  const scratch = join(work, 'work');
  const root = join(work, 'root');
  for (const d of [upper, scratch, root]) mkdirSync(d, { recursive: true });
  sh('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${scratch}`, root]);
  return {
    root,
    remove() {
      sh('umount', ['--lazy', root]);
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Runs `command` inside `root` (nspawn sets up /proc, /dev and the rest), returning stdout. */
export function inRoot(root: string, command: string[], env: Record<string, string> = {}): string {
  const setenv = Object.entries(env).map(([k, v]) => `--setenv=${k}=${v}`);
  return sh('systemd-nspawn', ['--quiet', '--register=no', '--keep-unit', '--pipe', '-D', root, ...setenv, '--', ...command]);
}
