/**
 * Gives memory back once a burst is over. V8 sizes its heap for the burst
 * and, once nothing allocates, has no reason to collect: measured on a plain
 * run over TLS, the heap stayed at 93 MB (49 MB "used", most of it dead
 * request bodies and file chunks, 47 MB of ArrayBuffers still counted) and
 * RSS at 240 MB for as long as the agent ran (docs/performance.md, "Memory").
 * When the process has been quiet for QUIET_CHECKS checks in a row after its
 * heap grew by GROWTH_BYTES or more, one memory-reducing full collection
 * (V8's "last resort" collection, as under memory pressure: it also shrinks
 * the young generation) frees it, and the Buffers' memory goes back to
 * malloc. Whether malloc returns it to the system is malloc's setting: the
 * .deb/.rpm unit and the container set MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_
 * and MALLOC_TRIM_THRESHOLD_ for that.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from './log.js';

/** How often the process is looked at (ms). */
export const CHECK_EVERY_MS = 5_000;
/** CPU below this share of one core over a check counts as quiet (%). A thousand idle tailed files use 1-2 %. */
export const QUIET_CPU_PERCENT = 5;
/** Consecutive quiet checks before releasing. */
export const QUIET_CHECKS = 2;
/** Growth of V8's heap and ArrayBuffers since the last release that is worth a collection (bytes). */
export const GROWTH_BYTES = 16 * 1024 * 1024;

export type ReleaseState = { kind: 'watching'; quietChecks: number; floorBytes: number };

export interface Check {
  /** CPU of the process over the check's interval, % of one core. */
  cpuPercent: number;
  /** V8's committed heap plus ArrayBuffer memory now (bytes). */
  heldBytes: number;
}

export type Decision = { release: boolean; next: ReleaseState };

/** A state whose floor is `heldBytes`: growth is counted from there. */
export function initialState(heldBytes: number): ReleaseState {
  return { kind: 'watching', quietChecks: 0, floorBytes: heldBytes };
}

/**
 * The state the agent starts watching in: measured from nothing, not from
 * what it holds once started. Start-up itself (the SDK's clients, one per
 * flow, and a young generation grown while loading) leaves 15-25 MB to
 * collect, which the first quiet spell releases (at rest with 10 flows:
 * RSS 106 -> 85 MB); from then on growth counts from what that left.
 */
export function startState(): ReleaseState {
  return initialState(0);
}

/**
 * One check: release when the process has been quiet QUIET_CHECKS times in a
 * row and holds GROWTH_BYTES more than after the last release. The floor
 * follows the held memory down, so a later burst is measured from there.
 */
export function decide(state: ReleaseState, check: Check): Decision {
  const quiet = check.cpuPercent < QUIET_CPU_PERCENT;
  const quietChecks = quiet ? state.quietChecks + 1 : 0;
  const floorBytes = Math.min(state.floorBytes, check.heldBytes);
  if (quietChecks >= QUIET_CHECKS && check.heldBytes - floorBytes >= GROWTH_BYTES) {
    return { release: true, next: { kind: 'watching', quietChecks: 0, floorBytes } };
  }
  return { release: false, next: { kind: 'watching', quietChecks, floorBytes } };
}

type GcFunction = (options?: { type?: string; execution?: string; flavor?: string }) => void;
let gcFunction: GcFunction | undefined | null = null;

/** V8's collector, reached as `--expose-gc` would (the flag set at run time, the function taken from a new context). */
function collector(): GcFunction | undefined {
  if (gcFunction === null) {
    try {
      setFlagsFromString('--expose-gc');
      const fn: unknown = runInNewContext('gc');
      gcFunction = typeof fn === 'function' ? (fn as GcFunction) : undefined;
    } catch {
      gcFunction = undefined;
    }
  }
  return gcFunction;
}

function heldBytes(): number {
  const m = process.memoryUsage();
  return m.heapTotal + m.arrayBuffers;
}

/**
 * A full, memory-reducing collection now, synchronously (tens of ms on a
 * 100 MB heap; called only when the process is quiet). Returns the bytes
 * held before and after (heap plus ArrayBuffers), or undefined when V8's
 * collector cannot be reached.
 */
export function releaseMemory(): { beforeBytes: number; afterBytes: number } | undefined {
  const gc = collector();
  if (!gc) return undefined;
  const beforeBytes = heldBytes();
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return { beforeBytes, afterBytes: heldBytes() };
}

/** Starts the checks; returns a function that stops them. The timer never keeps the process alive. */
export function startMemoryRelease(log: Logger): () => void {
  let state = startState();
  let cpu = process.cpuUsage();
  let at = performance.now();
  const timer = setInterval(() => {
    const used = process.cpuUsage(cpu);
    const now = performance.now();
    const cpuPercent = ((used.user + used.system) / 1000 / Math.max(1, now - at)) * 100;
    cpu = process.cpuUsage();
    at = now;
    const decision = decide(state, { cpuPercent, heldBytes: heldBytes() });
    state = decision.next;
    if (!decision.release) return;
    const started = performance.now();
    const released = releaseMemory();
    if (!released) return;
    state = { ...state, floorBytes: released.afterBytes };
    const mb = (b: number) => Math.round(b / 1048576);
    log.debug({ heldMB: mb(released.beforeBytes), afterMB: mb(released.afterBytes), ms: Math.round(performance.now() - started) }, 'quiet after a burst: memory released');
  }, CHECK_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
