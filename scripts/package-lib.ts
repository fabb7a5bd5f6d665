/**
 * Shared pieces of the packaging pipeline (scripts/package*.ts): where
 * things live, the version, architecture names and a few process helpers.
 */
import { execFile, execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { arch as hostArch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/**
 * Intermediate files (bundle, blob, staging trees, downloaded Node builds).
 * KINESIS_AGENT_PACKAGE_BUILD moves it (tests build in a temporary folder).
 */
export const BUILD_DIR = process.env.KINESIS_AGENT_PACKAGE_BUILD || join(ROOT, 'build', 'package');
/** Everything `npm run package` delivers: binaries, .deb and .rpm files, SHA256SUMS. */
export const OUT_DIR = process.env.KINESIS_AGENT_PACKAGE_OUT || join(ROOT, 'out', 'packages');
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
      { cause: err },
    );
  }
}

/** Runs a command without blocking, so the .deb and the .rpm compress side by side. */
export function runAsync(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

/**
 * Package compression: `small` (xz -6, the default, for releases) or `fast`
 * (gzip -1, for tests and quick local builds; several times faster, about
 * 50% larger). KINESIS_AGENT_PACKAGE_COMPRESSION or --fast selects it.
 */
export type Compression = 'small' | 'fast';

export function compressionFrom(argv: string[]): Compression {
  if (argv.includes('--fast')) return 'fast';
  return process.env.KINESIS_AGENT_PACKAGE_COMPRESSION === 'fast' ? 'fast' : 'small';
}

export function log(message: string): void {
  process.stderr.write(`package: ${message}\n`);
}

/**
 * The configuration installed as /etc/kinesis-agent/agent.yaml: the
 * repository's agent.example.yaml, or a placeholder when there is none.
 */
export function exampleConfig(): string {
  const example = join(ROOT, 'agent.example.yaml');
  return existsSync(example) ? example : join(PACKAGING_DIR, 'common', 'agent.placeholder.yaml');
}

export type Flavor = 'deb' | 'rpm';

/** Where each flavor reads the service environment from. */
export const ENV_FILE: Record<Flavor, string> = {
  deb: 'etc/default/kinesis-agent',
  rpm: 'etc/sysconfig/kinesis-agent',
};

export interface StagedFile {
  /** Path inside the package, without the leading slash. */
  path: string;
  /** The file to copy; none for an empty directory. */
  source?: string;
  mode: number;
}

/** The files a package installs (the state directory is made by its scripts). */
export function packageFiles(binary: string, flavor: Flavor, notices: string): StagedFile[] {
  return [
    { path: 'usr/bin/kinesis-agent', source: binary, mode: 0o755 },
    { path: 'usr/lib/systemd/system/kinesis-agent.service', source: join(PACKAGING_DIR, 'systemd', 'kinesis-agent.service'), mode: 0o644 },
    { path: 'etc/kinesis-agent/agent.yaml', source: exampleConfig(), mode: 0o644 },
    // Drop-in flows (every file in agent.d/) are read beside the main file.
    { path: 'etc/kinesis-agent/agent.d', mode: 0o755 },
    { path: ENV_FILE[flavor], source: join(PACKAGING_DIR, 'common', 'kinesis-agent.env'), mode: 0o600 },
    { path: 'usr/share/doc/kinesis-agent/copyright', source: join(PACKAGING_DIR, 'common', 'copyright'), mode: 0o644 },
    { path: 'usr/share/doc/kinesis-agent/THIRD-PARTY-NOTICES.txt', source: notices, mode: 0o644 },
  ];
}

/** Copies `files` into a fresh staging tree at `root`, directories 0755. */
export function stage(root: string, files: StagedFile[]): void {
  rmSync(root, { recursive: true, force: true });
  for (const f of files) {
    const target = join(root, f.path);
    if (f.source === undefined) {
      mkdirSync(target, { recursive: true, mode: 0o755 });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    copyFileSync(f.source, target);
    chmodSync(target, f.mode);
  }
  // mkdir honours the umask; packages must not inherit the builder's.
  run('find', [root, '-type', 'd', '-exec', 'chmod', '0755', '{}', '+']);
}

/** Timestamps in packages come from the last commit, so rebuilds match. */
export function sourceDateEpoch(): string {
  if (process.env.SOURCE_DATE_EPOCH) return process.env.SOURCE_DATE_EPOCH;
  try {
    return run('git', ['log', '-1', '--format=%ct'], { cwd: ROOT }).trim() || String(Math.floor(Date.now() / 1000));
  } catch {
    return String(Math.floor(Date.now() / 1000));
  }
}
