/**
 * The executable, .deb and .rpm that `scripts/package.ts` builds from this
 * tree (this machine's architecture, fast compression), built once and
 * shared by every packaging test file: kept in the OS temp directory under a
 * hash of everything that goes into them, built under a machine-wide lock.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { debFileName } from '../../../scripts/package-deb.ts';
import { type Arch, binaryName, nativeArch, ROOT, which } from '../../../scripts/package-lib.ts';
import { rpmFileName } from '../../../scripts/package-rpm.ts';
import { machineLock } from './host.ts';

export interface Artifacts {
  arch: Arch;
  /** The self-contained executable. */
  binary: string;
  /** The .deb, when dpkg-deb is here. */
  deb?: string;
  /** The .rpm, when rpmbuild is here. */
  rpm?: string;
  /** scripts/package.ts's work folder (KINESIS_AGENT_PACKAGE_BUILD). */
  buildDir: string;
}

const INPUTS = ['src', 'scripts', 'packaging', 'package.json', 'package-lock.json', 'agent.example.yaml'];

function files(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((name) => files(join(path, name)));
}

/** Hash of every input file's path and content, and of the tools' presence. */
function inputsKey(formats: string): string {
  const hash = createHash('sha256').update(`${process.arch} ${formats}\n`);
  for (const file of INPUTS.flatMap((p) => files(join(ROOT, p)))) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

/**
 * Builds of other trees finished over two hours ago are of no further use
 * (a run in progress, here or in another checkout, is never that old).
 */
function pruneOldBuilds(): void {
  const cutoff = Date.now() - 2 * 3600_000;
  for (const name of readdirSync(tmpdir()).filter((f) => f.startsWith('kinesis-agent-packages-'))) {
    const ready = join(tmpdir(), name, 'ready');
    if (existsSync(ready) && statSync(ready).mtimeMs < cutoff) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

let pending: Promise<Artifacts> | undefined;

/**
 * The packages of this tree, built on first call (about a minute) and reused
 * after. Throws with the build's output when it fails, or when this
 * architecture has no Node build.
 */
export function builtPackages(): Promise<Artifacts> {
  pending ??= build();
  return pending;
}

async function build(): Promise<Artifacts> {
  const arch = nativeArch();
  if (!arch) throw new Error(`no Node build for ${process.arch}`);
  const formats = [which('dpkg-deb') ? 'deb' : '', which('rpmbuild') ? 'rpm' : ''].filter(Boolean).join(',') || 'none';
  const dir = join(tmpdir(), `kinesis-agent-packages-${inputsKey(formats)}`);
  const out = join(dir, 'out');
  const artifacts: Artifacts = {
    arch,
    binary: join(out, binaryName(arch)),
    ...(formats.includes('deb') ? { deb: join(out, debFileName(arch)) } : {}),
    ...(formats.includes('rpm') ? { rpm: join(out, rpmFileName(arch)) } : {}),
    buildDir: join(dir, 'build'),
  };
  const ready = join(dir, 'ready');
  if (existsSync(ready)) return artifacts;
  const release = await machineLock(join(tmpdir(), 'kinesis-agent-packages.lock'));
  try {
    if (existsSync(ready)) return artifacts;
    pruneOldBuilds();
    mkdirSync(dir, { recursive: true });
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        [join(ROOT, 'scripts', 'package.ts'), '--arch', arch, '--formats', formats, '--fast'],
        {
          cwd: ROOT,
          env: { ...process.env, KINESIS_AGENT_PACKAGE_OUT: out, KINESIS_AGENT_PACKAGE_BUILD: artifacts.buildDir },
          maxBuffer: 64 << 20,
        },
        (err, _stdout, stderr) => (err ? reject(new Error(`npm run package failed: ${err.message}\n${stderr}`)) : resolve()),
      );
    });
    writeFileSync(ready, new Date().toISOString());
    return artifacts;
  } finally {
    release();
  }
}
