/**
 * Builds the self-contained `kinesis-agent` executable: the agent bundled
 * into one CommonJS file (esbuild), turned into a Node single-executable
 * preparation blob (node --experimental-sea-config) and injected (postject)
 * into a stripped copy of the Node 24 binary from the npm `node` package
 * (or `node-linux-<arch>` at the same version for another architecture).
 *
 *   npx node scripts/package-sea.ts [--arch x64,arm64]
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { build, type Metafile } from 'esbuild';
import {
  type Arch,
  BUILD_DIR,
  binaryPath,
  log,
  nativeArch,
  OUT_DIR,
  ROOT,
  run,
  version,
  which,
} from './package-lib.ts';

const require = createRequire(import.meta.url);

/** The fuse every official Node binary carries; postject flips it on injection. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const ENTRY = join(ROOT, 'src', 'cli.ts');
const SEA_DIR = join(BUILD_DIR, 'sea');
export const BUNDLE = join(SEA_DIR, 'kinesis-agent.cjs');
export const NOTICES = join(SEA_DIR, 'THIRD-PARTY-NOTICES.txt');

/**
 * Node flags the executable always starts with (NODE_OPTIONS can add to or
 * override them). V8 sizes the young generation from the machine's memory:
 * on a 24 GB host it grew to 128 MB at full speed, most of the agent's peak
 * RSS, while the live heap stayed near 20 MB. A 16 MB semi-space cut peak
 * RSS by a quarter at no measurable throughput cost; once the queue counted
 * each record's bookkeeping (sink/delivery.ts), 8 MB took 10-25 MB more off
 * the peak (plain, KPL, outage catch-up over TLS), CPU per GB within the
 * noise of alternating runs (BENCHMARKS.md; docs/performance.md). The
 * benchmark runs the agent with these same flags.
 *
 * `--no-memory-reducer`: the agent gives memory back itself once it is
 * quiet (src/memory-release.ts). V8's own reducer, left on, answered each
 * such release 8 s later with one or two more memory-reducing full
 * collections that found next to nothing (3 MB and 0.2 MB of a 20 MB heap
 * after the 1,000 small files' burst), and their marking and the recompiling
 * of the code they flushed cost about as much CPU as everything else the
 * idle agent did in the bench's 20 s window (docs/performance.md, "Idle
 * files, again"). A flag read when the heap is set up: it cannot be set
 * from inside the process.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--no-memory-reducer'];

/**
 * The environment the systemd unit (`Environment=`) and the container
 * (`ENV`) start the executable with: glibc malloc settings read at process
 * start, which an executable cannot set for itself. Node's Buffers are
 * malloc'd; by default glibc raises its mmap threshold as large blocks are
 * freed and then keeps freed memory in its arenas, so after a burst ~80 MB
 * stayed resident though V8 had freed it. A fixed mmap threshold (256 KiB
 * file chunks, request bodies, answers and socket reads are mapped and
 * unmapped), a 128 KiB trim threshold and two arenas return it
 * (docs/performance.md, Memory). At 64 KiB, RSS 30 s after a burst was
 * 96-177 MB (blocks of 16-64 KiB left in the heap kept it from shrinking);
 * at 16 KiB 82-85 MB, CPU per GB the same; at 4 KiB 79 MB for 20-50 % more
 * CPU. The benchmark runs the agent with these too. Where jemalloc is
 * installed the agent runs on it instead (src/allocator.ts) and these
 * settings only apply when it is not, or with KINESIS_AGENT_MALLOC=glibc.
 */
export const MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '16384',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

/** Bundles src/cli.ts into one CommonJS file with no file-system dependencies. */
export async function bundle(): Promise<void> {
  mkdirSync(SEA_DIR, { recursive: true });
  const result = await build({
    entryPoints: [ENTRY],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    // Dead-code removal, but names and lines stay readable in stack traces.
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    define: {
      KINESIS_AGENT_VERSION: JSON.stringify(version()),
      // Nothing next to the executable is read at run time; a module that
      // asks where it lives is told: the executable.
      'import.meta.url': '__kinesisAgentModuleUrl',
      'process.env.NODE_ENV': '"production"',
    },
    banner: { js: 'var __kinesisAgentModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  });
  writeFileSync(NOTICES, thirdPartyNotices(result.metafile));
  log(`bundle ${relative(ROOT, BUNDLE)}: ${(statSync(BUNDLE).size / 1024).toFixed(0)} KiB`);
}

/** License texts of every npm package that ended up in the bundle. */
function thirdPartyNotices(metafile: Metafile): string {
  const roots = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const parts = input.split(/[\\/]/);
    const i = parts.lastIndexOf('node_modules');
    if (i < 0) continue;
    const scoped = parts[i + 1]?.startsWith('@');
    roots.add(parts.slice(0, i + (scoped ? 3 : 2)).join(sep));
  }
  const sections: string[] = [
    'kinesis-agent bundles the following npm packages. Their licenses follow.\n',
  ];
  for (const root of [...roots].sort()) {
    const dir = join(ROOT, root);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
    const licenseFile = readdirSync(dir).find((f) => /^(licen[cs]e|copying|notice)/i.test(f));
    const text = licenseFile ? readFileSync(join(dir, licenseFile), 'utf8').trim() : `License: ${pkg.license ?? 'see package'}`;
    sections.push(`${'='.repeat(72)}\n${pkg.name}@${pkg.version} (${pkg.license ?? 'unknown'})\n${'='.repeat(72)}\n${text}\n`);
  }
  return sections.join('\n');
}

function hostNodeBinary(): string {
  const path = join(ROOT, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm ci (the node devDependency provides Node 24)`);
  return path;
}

function hostNodeVersion(): string {
  return run(hostNodeBinary(), ['--version']).trim().replace(/^v/, '');
}

/**
 * The Node binary for `arch`: the devDependency's for the machine's own
 * architecture, otherwise the npm registry's node-linux-<arch> at the same
 * version (cached under build/). KINESIS_AGENT_NODE_<ARCH> overrides both.
 */
export function nodeBinaryFor(arch: Arch): string {
  const override = process.env[`KINESIS_AGENT_NODE_${arch.toUpperCase()}`];
  if (override) return override;
  if (arch === nativeArch()) return hostNodeBinary();
  const nodeVersion = hostNodeVersion();
  const dir = join(BUILD_DIR, 'node', `${nodeVersion}-linux-${arch}`);
  const binary = join(dir, 'package', 'bin', 'node');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  log(`fetching node-linux-${arch}@${nodeVersion} from the npm registry`);
  const npm = which('npm');
  if (!npm) throw new Error('npm not found on PATH');
  const tarball = JSON.parse(
    run(npm, ['pack', `node-linux-${arch}@${nodeVersion}`, '--json', '--pack-destination', dir], { cwd: dir }),
  ) as Array<{ filename: string }>;
  const file = join(dir, tarball[0]!.filename);
  run('tar', ['-xzf', file, '-C', dir, 'package/bin/node']);
  rmSync(file);
  return binary;
}

/** Strips symbols and debug info (about 15% of the binary) when a strip tool can handle the architecture. */
function strip(file: string, arch: Arch): boolean {
  // The target's own GNU strip (binutils-<triplet>) serves the native
  // architecture too: the container's build stage installs only those.
  const gnu = arch === 'arm64' ? 'aarch64-linux-gnu-strip' : 'x86_64-linux-gnu-strip';
  const tools = arch === nativeArch() ? ['strip', 'llvm-strip', gnu] : ['llvm-strip', gnu];
  const tool = which(...tools);
  if (!tool) {
    log(`no strip tool for ${arch} (${tools.join(', ')}): the binary keeps its symbols`);
    return false;
  }
  // GNU strip warns about Node's unusual note sections; only failure matters.
  run(tool, ['--strip-all', file]);
  return true;
}

function blobFor(useCodeCache: boolean): string {
  const blob = join(SEA_DIR, useCodeCache ? 'sea-cached.blob' : 'sea.blob');
  const config = join(SEA_DIR, useCodeCache ? 'sea-cached.json' : 'sea.json');
  writeFileSync(
    config,
    JSON.stringify({
      main: BUNDLE,
      output: blob,
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      // V8's code cache only fits the architecture that produced it.
      useCodeCache,
      execArgv: NODE_FLAGS,
    }),
  );
  run(hostNodeBinary(), ['--experimental-sea-config', config]);
  return blob;
}

/** Builds out/packages/kinesis-agent-linux-<arch> from the bundle. */
export async function buildBinary(arch: Arch): Promise<string> {
  const source = nodeBinaryFor(arch);
  const out = binaryPath(arch);
  mkdirSync(OUT_DIR, { recursive: true });
  const work = join(SEA_DIR, `node-${arch}`);
  copyFileSync(source, work);
  chmodSync(work, 0o755);
  const stripped = strip(work, arch);
  const blob = blobFor(arch === nativeArch());
  const { inject } = require('postject') as {
    inject(file: string, name: string, data: Buffer, options: { sentinelFuse: string; overwrite?: boolean }): Promise<void>;
  };
  // postject's ELF writer warns about Node's many note sections; harmless.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!/string offset for section name/.test(String(args[0]))) warn(...args);
  };
  try {
    await inject(work, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
  } finally {
    console.warn = warn;
  }
  rmSync(out, { force: true });
  copyFileSync(work, out);
  chmodSync(out, 0o755);
  rmSync(work);
  const size = statSync(out).size;
  log(`binary ${relative(ROOT, out)}: ${(size / 1024 / 1024).toFixed(1)} MiB${stripped ? ' (stripped)' : ''}`);
  if (arch === nativeArch()) selfTest(out);
  return out;
}

/** The executable must run with no Node.js and no PATH at all. */
function selfTest(binary: string): void {
  const out = run(binary, ['--version'], { env: { PATH: '/nonexistent' } }).trim();
  const expected = `kinesis-agent ${version()}`;
  if (out !== expected) throw new Error(`${binary} --version printed ${JSON.stringify(out)}, expected ${JSON.stringify(expected)}`);
}

export function parseArches(argv: string[]): Arch[] | undefined {
  const i = argv.indexOf('--arch');
  if (i < 0) return undefined;
  const list = (argv[i + 1] ?? '').split(',').filter(Boolean);
  for (const a of list) if (a !== 'x64' && a !== 'arm64') throw new Error(`unknown --arch ${a} (x64, arm64)`);
  return list as Arch[];
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const arches = parseArches(process.argv.slice(2)) ?? [nativeArch() ?? 'x64'];
  await bundle();
  for (const arch of arches) await buildBinary(arch);
}
