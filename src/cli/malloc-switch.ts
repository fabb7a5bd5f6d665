/**
 * Puts the `run` command on jemalloc when it is installed (src/allocator.ts
 * says why and decides): re-executes this same program, same PID, with
 * LD_PRELOAD naming the library. Runs before the agent's modules load, so
 * the first image costs only Node's start (about 40 ms of CPU).
 */
import { isSea } from 'node:sea';
import { environIsUtf8, environmentFacts, jemallocMapped, MALLOC_SETTING, planAllocator, restartArgs } from '../allocator.js';
import { isAgentError } from '../errors.js';
import { parseCliArgs } from './args.js';

/** What the agent runs on, for its first log line. */
export interface MallocInUse {
  allocator: 'jemalloc' | 'glibc';
  why: string;
}

/** Resolves after a full turn of the event loop, its poll phase included. */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Re-executes (never resolves) when the plan says so; otherwise resolves to
 * what the process runs on, or undefined for commands other than `run`. An
 * unknown KINESIS_AGENT_MALLOC ends the process with exit status 2, as a
 * configuration error does. `early.signals` are those src/cli.ts takes
 * before the agent loads; `early.signalled` says whether it has caught a
 * stop signal (SIGTERM, SIGINT) so far.
 */
export async function switchMalloc(
  argv: string[],
  early: { signals: readonly NodeJS.Signals[]; signalled: () => boolean },
): Promise<MallocInUse | undefined> {
  try {
    // `status` and `import-checkpoints` parse their own options: they throw here too.
    if (parseCliArgs(argv).command !== 'run') return undefined;
  } catch {
    return undefined; // main reports the usage error
  }
  const env = process.env;
  let plan;
  try {
    const facts = {
      ...environmentFacts(env),
      signalled: early.signalled(),
      mapped: jemallocMapped(),
      envUtf8: environIsUtf8(),
    };
    plan = planAllocator(facts);
    if (plan.kind === 'reexec') {
      // Node hands a caught signal to its JavaScript handler only from the
      // event loop's poll phase, and loading the modules so far need not
      // have passed through one: a SIGTERM that arrived meanwhile may be
      // caught but not yet handled, and the exec would drop it (the agent
      // ran on, on jemalloc, as if never told to stop). Two turns of the
      // loop, so that a full poll phase comes after everything caught so
      // far, then decide again.
      await turn();
      await turn();
      plan = planAllocator({ ...facts, signalled: early.signalled() });
    }
  } catch (err) {
    if (!isAgentError(err)) throw err;
    process.stderr.write(`kinesis-agent: ${err.toLine()}\n`);
    process.exit(2);
  }
  if (plan.kind === 'run') {
    if (plan.unmet) process.stderr.write(`kinesis-agent: ${MALLOC_SETTING}=jemalloc, but running on glibc's malloc: ${plan.why}\n`);
    return { allocator: plan.allocator, why: plan.why };
  }
  const args = restartArgs({ sea: isSea(), execPath: process.execPath, execArgv: process.execArgv, argv: process.argv });
  // From here to the exec, and in the exec itself (other threads can take a
  // signal until the kernel ends them), a caught signal would be lost:
  // give the signals their default action back, so that one arriving now
  // ends the process, as it would during the next image's own Node start,
  // instead of leaving an agent that was told to stop running.
  const listeners = early.signals.map((signal) => [signal, process.listeners(signal)] as const);
  for (const signal of early.signals) process.removeAllListeners(signal);
  try {
    process.execve!(process.execPath, args, { ...env, ...plan.env });
  } catch (err) {
    for (const [signal, fns] of listeners) for (const fn of fns) process.on(signal, fn);
    return { allocator: 'glibc', why: `re-executing with LD_PRELOAD=${plan.library} failed: ${(err as Error).message}` };
  }
  return undefined; // not reached: execve replaced the process
}
