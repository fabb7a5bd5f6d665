#!/usr/bin/env node
/*
 * The entry point does one thing before loading the agent: it takes the
 * signals the agent acts on, so a SIGTERM that arrives while modules load (a
 * fast restart by systemd or a test) stops the agent cleanly instead of
 * killing it, and a SIGHUP then (`systemctl reload` right after a start)
 * reloads it once it has started instead of killing it (exit 129).
 * No top-level await: the single-executable build runs this as CommonJS.
 */
const SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
const pending: NodeJS.Signals[] = [];
const handler = (signal: NodeJS.Signals): void => {
  pending.push(signal);
};
// A listener that stays while the agent runs: src/cli/main.ts replaces
// `handler` with the agent's own, and Node closes a signal's watcher when its
// last listener goes, dropping a signal caught but not yet handed to
// JavaScript (a SIGTERM as the first line was logged left the agent running).
const keep = (): void => {};
for (const signal of SIGNALS) {
  process.on(signal, handler);
  process.on(signal, keep);
}

// Before the agent's modules load: the `run` command may re-execute itself
// on jemalloc (src/allocator.ts), and the first image should cost little.
// A stop signal taken by then keeps it where it is; a SIGHUP does not: no
// config is read yet, and the next image reads the current one.
void import('./cli/malloc-switch.js')
  .then(({ switchMalloc }) => switchMalloc(process.argv.slice(2), { signals: SIGNALS, signalled: () => pending.some((s) => s !== 'SIGHUP') }))
  .then((malloc) => {
    // Commands other than `run` (no malloc to report) act on no signal:
    // give the signals their default action back, so that Ctrl-C ends a
    // `status` waiting on an agent that does not answer; one that came
    // while the modules loaded is raised again.
    if (malloc === undefined) {
      for (const signal of SIGNALS) {
        process.off(signal, handler);
        process.off(signal, keep);
      }
      if (pending[0]) process.kill(process.pid, pending[0]);
    }
    return import('./cli/main.js').then(({ main }) => main(process.argv.slice(2), { pending, handler, malloc }));
  })
  // Watchers, sockets and timers may still hold the loop after a drain; the
  // checkpoints are written by now, so leave at once, once stdout and stderr
  // are out: a pipe takes 64 KiB at a time and the rest is written later
  // (`kinesis-agent schema | jq` got a schema cut at 64 KiB).
  .then((code) => flushed(process.stdout).then(() => flushed(process.stderr)).then(() => process.exit(code)));

/** Resolves once everything written to `stream` before is written out (or the stream has failed: EPIPE). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    stream.write('', () => resolve());
  });
}
