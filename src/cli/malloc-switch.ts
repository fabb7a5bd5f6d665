/**
 * Puts the `run` command on jemalloc when it is installed (src/allocator.ts
 * says why and decides): re-executes this same program, same PID, with
 * LD_PRELOAD naming the library. Runs before the agent's modules load, so
 * the first image costs only Node's start (about 40 ms of CPU).
 */
import { isSea } from 'node:sea';
import { findLibrary, jemallocMapped, MALLOC_SETTING, planAllocator, restartArgs } from '../allocator.js';
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
 * configuration error does. `signalled` says whether src/cli.ts has caught a
 * stop or reload signal so far.
 */
export async function switchMalloc(argv: string[], signalled: () => boolean): Promise<MallocInUse | undefined> {
  if (argv[0] === 'status' || argv[0] === 'import-checkpoints') return undefined;
  try {
    if (parseCliArgs(argv).command !== 'run') return undefined;
  } catch {
    return undefined; // main reports the usage error
  }
  // Node hands a caught signal to its JavaScript handler only from the event
  // loop's poll phase, and loading the modules so far need not have passed
  // through one: a SIGTERM that arrived meanwhile may be caught but not yet
  // handled, and an exec would drop it (the agent ran on, on jemalloc, as if
  // never told to stop). Two turns of the loop, so that a full poll phase
  // comes after everything caught so far. What arrives after them, in the
  // few synchronous steps to the exec (well under a millisecond), is still
  // lost; what arrives during the next image's own Node start ends it, as
  // it would end any Node process then.
  await turn();
  await turn();
  const env = process.env;
  let plan;
  try {
    plan = planAllocator({
      setting: env[MALLOC_SETTING],
      preload: env.LD_PRELOAD,
      conf: env.MALLOC_CONF,
      library: findLibrary(),
      canExec: typeof process.execve === 'function',
      signalled: signalled(),
      mapped: jemallocMapped(),
    });
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
  try {
    process.execve!(process.execPath, args, { ...env, ...plan.env });
  } catch (err) {
    return { allocator: 'glibc', why: `re-executing with LD_PRELOAD=${plan.library} failed: ${(err as Error).message}` };
  }
  return undefined; // not reached: execve replaced the process
}
