/**
 * Which malloc the daemon runs on. Node's Buffers, OpenSSL's record buffers
 * and nghttp2's frames are all malloc'd, and glibc's malloc is a poor fit for
 * what the agent does at full speed over TLS: OpenSSL sets up a 16.2-16.3 KiB
 * buffer for each SSL_write and SSL_read and frees it after, and with the
 * packaged MALLOC_MMAP_THRESHOLD_ each is an mmap, page faults and an munmap
 * with a TLB shootdown, thousands a second (a quarter to a third of the
 * agent's CPU); every glibc setting that keeps them in the heap instead
 * leaves 20-40 MB of holes there after a burst, which glibc returns only on
 * malloc_trim(), which nothing in Node calls (docs/performance.md, "Eighth
 * round"). jemalloc reuses those buffers and gives pages back on its own
 * (`background_thread`), so the agent runs on it when it is installed:
 * the `run` command re-executes itself, same PID, with LD_PRELOAD naming
 * the library. `KINESIS_AGENT_MALLOC=glibc` keeps glibc.
 */
import { existsSync, readFileSync } from 'node:fs';
// `.ts`: bench/run.ts loads this module under Node's type stripping, which resolves no `.js` to `.ts` (tsc rewrites it).
import { AgentError } from './errors.ts';

/** The environment variable a user sets: `auto` (the default), `jemalloc` or `glibc`. */
export const MALLOC_SETTING = 'KINESIS_AGENT_MALLOC';

/**
 * Where distributions put jemalloc 5's shared library, searched in order:
 * Debian and Ubuntu (libjemalloc2, per architecture), Fedora, RHEL and
 * Amazon Linux (jemalloc), others, and a source build. The container image
 * ships it at the first two.
 */
export const JEMALLOC_PATHS: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/lib64/libjemalloc.so.2',
  '/usr/lib/libjemalloc.so.2',
  '/usr/local/lib/libjemalloc.so.2',
];

/**
 * jemalloc's settings (MALLOC_CONF). `background_thread:true`: a thread of
 * jemalloc's own returns unused dirty pages after `dirty_decay_ms` (10 s by
 * default) even when nothing allocates, which is what an idle agent after a
 * burst is; without it pages are returned only on later allocations.
 * `narenas:1`: one arena instead of four per core; the agent's malloc
 * traffic is the main thread's, and fewer arenas hold fewer idle pages.
 * Measured (`node bench/run.ts --only throughput --runs plain --agent-env
 * "LD_PRELOAD=... MALLOC_CONF=..."`): docs/performance.md, "Eighth round".
 */
export const JEMALLOC_CONF = 'background_thread:true,narenas:1';

export type MallocSetting = 'auto' | 'jemalloc' | 'glibc';

/** What the process knows when it starts. */
export interface AllocatorFacts {
  /** `KINESIS_AGENT_MALLOC` as set, or undefined. */
  setting: string | undefined;
  /** `LD_PRELOAD` as set, or undefined. */
  preload: string | undefined;
  /** The first of JEMALLOC_PATHS that exists, or undefined. */
  library: string | undefined;
  /** Whether this Node can replace its own image (process.execve: Node 22.15, 23.11 and later, on POSIX). */
  canExec: boolean;
  /**
   * Whether a stop signal already arrived (src/cli.ts): it must not be lost
   * to a re-exec. A reload signal needs no such care: no config is read
   * before the switch, and the next image reads the current one.
   */
  signalled: boolean;
  /** `MALLOC_CONF` as set, or undefined: a user's own jemalloc settings win over JEMALLOC_CONF. */
  conf: string | undefined;
  /**
   * Whether a libjemalloc is mapped into this process (/proc/self/maps), or
   * undefined where that cannot be read. LD_PRELOAD naming a library is not
   * the library loaded: ld.so skips, with a line on stderr, one it cannot
   * open (missing, unreadable to the agent's user, another architecture).
   */
  mapped?: boolean | undefined;
  /**
   * Whether the environment is all UTF-8 (/proc/self/environ), or undefined
   * where that cannot be read. Node reads it as UTF-8 and process.execve
   * writes UTF-8: any other byte would reach the next image as U+FFFD.
   */
  envUtf8?: boolean | undefined;
}

export type AllocatorPlan =
  /** Re-execute with these variables added: LD_PRELOAD and MALLOC_CONF. */
  | { kind: 'reexec'; library: string; env: Record<string, string> }
  /** Run on, on `allocator`; `why` says why; `unmet` when the setting asked for jemalloc and this is glibc. */
  | { kind: 'run'; allocator: 'jemalloc' | 'glibc'; why: string; unmet: boolean };

export class MallocSettingError extends AgentError {
  constructor(value: string) {
    super('USAGE', `${MALLOC_SETTING}=${value} is not a malloc this agent knows`, `set ${MALLOC_SETTING} to auto, jemalloc or glibc, or leave it unset`);
  }
}

/** `value` as a setting; throws MallocSettingError for anything but auto, jemalloc, glibc (any case) or empty. */
export function parseMallocSetting(value: string | undefined): MallocSetting {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'jemalloc' || v === 'glibc') return v;
  throw new MallocSettingError(value ?? '');
}

/**
 * The decision, a pure function of `facts` (tested as a table). Throws
 * MallocSettingError for an unknown setting. jemalloc counts as loaded
 * when LD_PRELOAD names a libjemalloc: set by the re-exec, or by the user.
 */
export function planAllocator(facts: AllocatorFacts): AllocatorPlan {
  const setting = parseMallocSetting(facts.setting);
  const preloaded = (facts.preload ?? '').split(/[:\s]+/).find((p) => /(^|\/)libjemalloc\.so(\.\d+)*$/.test(p));
  const glibc = (why: string): AllocatorPlan => ({ kind: 'run', allocator: 'glibc', why, unmet: setting === 'jemalloc' });
  // Named but not loaded: run on glibc and say so. Never re-execute then:
  // the next image would find the same LD_PRELOAD and the same failure.
  if (preloaded && facts.mapped === false) return glibc(`LD_PRELOAD=${preloaded}, but the dynamic linker did not load it (see its message on stderr)`);
  if (preloaded) return { kind: 'run', allocator: 'jemalloc', why: `LD_PRELOAD=${preloaded}`, unmet: false };
  if (setting === 'glibc') return glibc(`${MALLOC_SETTING}=glibc`);
  if (facts.library === undefined) return glibc(`no libjemalloc.so.2 in ${JEMALLOC_PATHS.join(', ')}`);
  if (!facts.canExec) return glibc('this Node.js cannot re-execute itself (process.execve: Node.js 22.15 or later)');
  if (facts.envUtf8 === false) return glibc('the environment holds bytes that are not UTF-8, which re-executing would change');
  if (facts.signalled) return glibc('a stop signal arrived before the switch');
  const preload = facts.preload ? `${facts.library}:${facts.preload}` : facts.library;
  return { kind: 'reexec', library: facts.library, env: { LD_PRELOAD: preload, MALLOC_CONF: facts.conf ?? JEMALLOC_CONF } };
}

/**
 * The facts `env` and this host give (the setting, LD_PRELOAD, MALLOC_CONF,
 * the library found, process.execve); the running process's own
 * (`signalled`, `mapped`, `envUtf8`) are the caller's to add.
 */
export function environmentFacts(env: NodeJS.ProcessEnv): Pick<AllocatorFacts, 'setting' | 'preload' | 'conf' | 'library' | 'canExec'> {
  return { setting: env[MALLOC_SETTING], preload: env.LD_PRELOAD, conf: env.MALLOC_CONF, library: findLibrary(), canExec: typeof process.execve === 'function' };
}

/** Whether a libjemalloc is mapped into this process; undefined where /proc/self/maps cannot be read. */
export function jemallocMapped(maps = '/proc/self/maps'): boolean | undefined {
  try {
    return /\/libjemalloc\.so[^/\n]*$/m.test(readFileSync(maps, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether `environ` (this process's initial environment) is valid UTF-8; undefined where it cannot be read. */
export function environIsUtf8(environ = '/proc/self/environ'): boolean | undefined {
  try {
    const raw = readFileSync(environ);
    return Buffer.from(raw.toString('utf8'), 'utf8').equals(raw);
  } catch {
    return undefined;
  }
}

/** The first of `paths` that exists. */
export function findLibrary(paths: readonly string[] = JEMALLOC_PATHS): string | undefined {
  return paths.find((p) => existsSync(p));
}

/**
 * The argument vector that starts this same program again. A single
 * executable takes its own Node flags from inside itself and puts its path
 * in argv[1] on its own, so only the user's arguments follow; `node
 * script` needs the flags it was started with (`execArgv`) and the script.
 */
export function restartArgs(p: { sea: boolean; execPath: string; execArgv: readonly string[]; argv: readonly string[] }): string[] {
  const user = p.argv.slice(2);
  return p.sea ? [p.execPath, ...user] : [p.execPath, ...p.execArgv, p.argv[1] ?? '', ...user];
}
