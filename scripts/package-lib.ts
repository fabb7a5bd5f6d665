/**
 * Shared pieces of the packaging pipeline (scripts/package*.ts): where
 * things live, the version, architecture names and a few process helpers.
 */
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { arch as hostArch } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Intermediate files (bundle, blob, staging trees, downloaded Node builds). */
export const BUILD_DIR = join(ROOT, 'build', 'package');
/** Everything `npm run package` delivers: binaries, .deb and .rpm files. */
export const OUT_DIR = join(ROOT, 'out', 'packages');
export const PACKAGING_DIR = join(ROOT, 'packaging');

export const NAME = 'kinesis-agent';
export const MAINTAINER = 'kinesis-agent maintainers <kinesis-agent@users.noreply.github.com>';
export const SUMMARY = 'Ships log files to Amazon Kinesis Data Streams and Amazon Data Firehose';
export const DESCRIPTION = [
  'kinesis-agent tails log files and sends their lines to Amazon Kinesis Data',
  'Streams and Amazon Data Firehose, checkpointing only what was acknowledged,',
  'so no line is lost across restarts, rotation or outages. It runs the Amazon',
  'Kinesis Agent agent.json unchanged. A single self-contained executable:',
  'no Java or Node.js runtime needed.',
];

export type Arch = 'x64' | 'arm64';
export const ARCHES: readonly Arch[] = ['x64', 'arm64'];

export const DEB_ARCH: Record<Arch, string> = { x64: 'amd64', arm64: 'arm64' };
export const RPM_ARCH: Record<Arch, string> = { x64: 'x86_64', arm64: 'aarch64' };

export function isArch(value: string): value is Arch {
  return (ARCHES as readonly string[]).includes(value);
}

export function nativeArch(): Arch | undefined {
  const a = hostArch();
  return isArch(a) ? a : undefined;
}

interface PackageJson {
  version: string;
  license?: string;
  devDependencies?: Record<string, string>;
}

export function packageJson(): PackageJson {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
}

export function version(): string {
  return packageJson().version;
}

/**
 * A semver version as Debian and RPM spell it: a pre-release sorts before
 * the release with `~` in both (1.0.0-rc.1 -> 1.0.0~rc.1); `-` is not
 * allowed in an RPM Version and would start a Debian revision.
 */
export function packageVersion(semver: string): string {
  const [core, ...pre] = semver.split('+')[0]!.split('-');
  return pre.length > 0 ? `${core}~${pre.join('-').replace(/-/g, '.')}` : core!;
}

export function binaryName(arch: Arch): string {
  return `${NAME}-linux-${arch}`;
}

export function binaryPath(arch: Arch): string {
  return join(OUT_DIR, binaryName(arch));
}

/** The first of `names` found on PATH, or undefined. */
export function which(...names: string[]): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

/** Runs a command, failing with its output when it fails. */
export function run(cmd: string, args: string[], options: ExecFileSyncOptions = {}): string {
  try {
    const out = execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...options });
    return out ? out.toString() : '';
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(
      `${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`,
    );
  }
}

export function log(message: string): void {
  process.stderr.write(`package: ${message}\n`);
}
