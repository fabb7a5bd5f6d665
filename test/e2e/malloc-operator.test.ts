/**
 * The jemalloc switch (src/allocator.ts, src/cli/malloc-switch.ts) and the
 * early signal handlers (src/cli.ts) as an operator meets them: signals at
 * each step of the start (before the switch, during the second image's own
 * start, as the agent takes them over), `status` stopped with Ctrl-C, an
 * LD_PRELOAD naming a libjemalloc that cannot be loaded, an environment that
 * is not UTF-8. Real processes; no Kinesis is needed (the endpoint refuses,
 * the file is empty), so each stops at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { findLibrary, jemallocMapped } from '../../src/allocator.ts';
import { catchesSighup, CLI, jemallocInEnvironment } from '../support/agent-process.ts';
import { LOCAL_AWS_ENV } from '../support/kinesis-local.ts';

const LIBRARY = findLibrary();
const canExec = typeof process.execve === 'function';
const maybe = (LIBRARY && canExec) || process.env.CI ? describe : describe.skip;

let dir: string;
let config: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ka-malloc-sig '));
  const log = join(dir, 'app.log');
  writeFileSync(log, '');
  config = join(dir, 'agent conf.yaml');
  writeFileSync(
    config,
    `kinesis.endpoint: http://127.0.0.1:9\ncloudwatch.emitMetrics: false\nshutdownTimeoutMillis: 500\n` +
      `checkpointFile: ${join(dir, 'cp')}\nflows:\n  - filePattern: ${log}\n    kinesisStream: s\n`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, [CLI, '-c', config], {
    env: { ...process.env, ...LOCAL_AWS_ENV, KINESIS_AGENT_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return { child, out: () => out, err: () => err, exited };
}

/**
 * Waits until the first image runs src/cli.ts: the CLI is in its command
 * line, it catches SIGHUP (Node itself does not) and no LD_PRELOAD naming
 * jemalloc is in its environment yet. A signal from then on is the agent's
 * to act on: to stop or to reload, never to be lost or to kill it.
 */
async function untilFirstImageCatches(run: Run, ctx: TestContext): Promise<void> {
  const pid = run.child.pid!;
  const deadline = Date.now() + 10_000;
  let seen: 'caught' | 'switched' | 'gone' | 'never' = 'never';
  while (Date.now() < deadline) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (jemallocInEnvironment(pid)) {
        seen = 'switched';
        break;
      }
      if (cmdline.includes(CLI) && catchesSighup(pid)) return;
    } catch {
      seen = 'gone';
      break;
    }
  }
  run.child.kill('SIGKILL');
  await run.exited;
  // This test process was too slow to see the first image (a loaded
  // machine): the window under test was not reached, which is no failure.
  if (seen === 'switched') ctx.skip();
  throw new Error(`the first image was not seen catching SIGHUP (${seen})`);
}

function within<T>(p: Promise<T>, ms: number, run: Run): Promise<T | 'timeout'> {
  return Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]).finally(() => {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  });
}

maybe('signals during the jemalloc switch', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`a ${signal} once the first image catches it stops the agent cleanly (exit 0), neither lost to the re-exec nor killing it`, async (ctx) => {
      const run = start();
      await untilFirstImageCatches(run, ctx);
      run.child.kill(signal);
      const exit = await within(run.exited, 8_000, run);
      expect(exit, `stdout:\n${run.out()}\nstderr:\n${run.err()}`).toEqual({ code: 0, signal: null });
      expect(run.out()).toContain('"msg":"stopping"');
    });
  }

  // KNOWN DEFECT, not fixed (no JavaScript can close it): the exec resets the
  // caught signals to their default action and Node's start unblocks them,
  // so from the exec until the second image runs src/cli.ts (20-35 ms here,
  // as long as the first image's own Node start) a SIGTERM kills the agent.
  // The switch doubles the window in which a stop kills instead of stopping.
  // it.fails keeps the suite green while the defect stands: make it `it`
  // once the switch happens before Node starts (or not by exec).
  it.fails('a SIGTERM during the second image\'s Node start stops the agent cleanly instead of killing it', async (ctx) => {
    const run = start();
    const pid = run.child.pid!;
    const deadline = Date.now() + 10_000;
    let landed = false;
    while (Date.now() < deadline) {
      let switched: boolean;
      try {
        switched = jemallocInEnvironment(pid);
      } catch {
        break;
      }
      if (!switched) continue;
      const caught = catchesSighup(pid);
      run.child.kill('SIGTERM');
      // Only a signal sent before the second image caught SIGHUP tests the window.
      landed = !caught;
      break;
    }
    const exit = await within(run.exited, 8_000, run);
    if (!landed) ctx.skip();
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('a SIGHUP once the first image catches it neither kills the agent nor keeps it off jemalloc: no config is read yet, the next image reads the current one', async (ctx) => {
    const run = start();
    await untilFirstImageCatches(run, ctx);
    run.child.kill('SIGHUP');
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline && !run.out().includes('agent started') && run.child.exitCode === null && run.child.signalCode === null) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 300));
    const alive = run.child.exitCode === null && run.child.signalCode === null;
    const line = run.out().split('\n').find((l) => l.includes('"msg":"malloc"'));
    const malloc = line ? (JSON.parse(line) as { malloc: string }).malloc : undefined;
    if (alive) run.child.kill('SIGTERM');
    const exit = await within(run.exited, 8_000, run);
    expect({ alive, malloc, exit }, `stdout:\n${run.out()}\nstderr:\n${run.err()}`).toEqual({ alive: true, malloc: 'jemalloc', exit: { code: 0, signal: null } });
  });
});

maybe('LD_PRELOAD naming a libjemalloc that is not loaded', () => {
  it('the first log line does not claim jemalloc when LD_PRELOAD names a libjemalloc that does not exist', async () => {
    const run = start({ LD_PRELOAD: join(dir, 'missing', 'libjemalloc.so.2') });
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline && !run.out().includes('"msg":"malloc"') && run.child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    const mapped = jemallocMapped(`/proc/${run.child.pid}/maps`);
    const line = run.out().split('\n').find((l) => l.includes('"msg":"malloc"'));
    run.child.kill('SIGTERM');
    await within(run.exited, 8_000, run);
    expect(line, `stdout:\n${run.out()}\nstderr:\n${run.err()}`).toBeDefined();
    const logged = JSON.parse(line!) as { malloc: string; why: string };
    // What the log says must be what the process runs on.
    expect(logged.malloc).toBe(mapped ? 'jemalloc' : 'glibc');
  });
});

describe('the hand-over from the early signal handlers (src/cli.ts) to the agent\'s', () => {
  // main() takes the signals over from src/cli.ts once the config is read
  // and the first line logged; a signal caught meanwhile (here: as that
  // line appears) must not be dropped when the early handler goes.
  for (const malloc of ['auto', 'glibc']) {
    it(`a SIGTERM sent as the first log line appears stops the agent (KINESIS_AGENT_MALLOC=${malloc}), every time`, async () => {
      const outcomes: unknown[] = [];
      for (let i = 0; i < 6; i++) {
        const run = start({ KINESIS_AGENT_MALLOC: malloc });
        run.child.stdout!.on('data', () => {
          if (run.out().includes('"msg":"malloc"') && run.child.signalCode === null && run.child.exitCode === null && !run.child.killed) run.child.kill('SIGTERM');
        });
        outcomes.push(await within(run.exited, 4_000, run));
      }
      expect(outcomes).toEqual(Array.from({ length: 6 }, () => ({ code: 0, signal: null })));
    }, 60_000);
  }
});

describe('signals to commands other than run', () => {
  let silent: Server;
  let url: string;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Takes connections and never answers: a status server that hangs.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  });
  // Requests it never answered hold their sockets open: close them too.
  afterAll(
    () =>
      new Promise<void>((r) => {
        silent.close(() => r());
        for (const socket of sockets) socket.destroy();
      }),
  );

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} ends a \`status\` that waits on an agent that does not answer, as it would any command`, async (ctx) => {
      const child = spawn(process.execPath, [CLI, 'status', '--url', url], { stdio: ['ignore', 'pipe', 'pipe'] });
      const run: Run = { child, out: () => '', err: () => '', exited: new Promise((r) => child.on('exit', (code, sig) => r({ code, signal: sig }))) };
      await untilFirstImageCatches(run, ctx);
      await new Promise((r) => setTimeout(r, 500)); // well into the request
      child.kill(signal);
      expect(await within(run.exited, 3_000, run)).toEqual({ code: null, signal });
    });
  }
});

maybe('the environment through the jemalloc switch', () => {
  it('an environment value that is not UTF-8 reaches the running agent byte for byte', async () => {
    // Node reads the environment as UTF-8: a re-exec from process.env would
    // hand the agent (and any credential_process it runs) U+FFFD instead.
    const child = spawn('/bin/sh', ['-c', `LATIN="$(printf 'caf\\351')" exec "$0" "$@"`, process.execPath, CLI, '-c', config], {
      env: { ...process.env, ...LOCAL_AWS_ENV, KINESIS_AGENT_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const run: Run = { child, out: () => out, err: () => '', exited: new Promise((r) => child.on('exit', (code, sig) => r({ code, signal: sig }))) };
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline && !out.includes('"msg":"malloc"') && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    const entry = readFileSync(`/proc/${child.pid}/environ`)
      .toString('latin1')
      .split('\0')
      .find((e) => e.startsWith('LATIN='));
    child.kill('SIGTERM');
    await within(run.exited, 8_000, run);
    expect(out).toContain('"msg":"malloc"');
    expect(entry).toBe('LATIN=caf\u00e9');
  });
});
