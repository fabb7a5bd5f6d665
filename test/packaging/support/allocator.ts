/**
 * Which malloc a running agent uses, read from its /proc files the way an
 * operator would check: the libjemalloc.so.2 it has mapped (paths as the
 * process sees them, in its own mount namespace) and the environment its
 * executable was started with (after src/allocator.ts re-executed it).
 */

export interface Allocator {
  /** The paths of the libjemalloc.so.2 it has mapped (none on glibc malloc). */
  jemalloc: string[];
  /** Its LD_PRELOAD and MALLOC_CONF, where set. */
  env: { LD_PRELOAD?: string; MALLOC_CONF?: string };
}

/** From the text of /proc/<pid>/maps and /proc/<pid>/environ. */
export function allocatorOf(maps: string, environ: string): Allocator {
  const jemalloc = new Set<string>();
  for (const line of maps.split('\n')) {
    // address perms offset dev inode path
    const path = line.trim().split(/\s+/)[5];
    if (path && /\/libjemalloc\.so\.2$/.test(path)) jemalloc.add(path);
  }
  const env: Allocator['env'] = {};
  for (const entry of environ.split('\0')) {
    const eq = entry.indexOf('=');
    const name = entry.slice(0, eq);
    if (name === 'LD_PRELOAD' || name === 'MALLOC_CONF') env[name] = entry.slice(eq + 1);
  }
  return { jemalloc: [...jemalloc], env };
}
