/**
 * The .deb's systemd unit under a real systemd: the built .deb is installed
 * (apt install ./kinesis-agent.deb, as the README says, so its recommended
 * libjemalloc2 comes too) into a Debian root booted with systemd-nspawn,
 * configured to ship to kinesis-local on the host, and driven with
 * systemctl as an administrator would: enable --now, reload, restart,
 * jemalloc turned off, a broken config, stop; the journal, the sandbox and
 * the malloc in use are inspected from inside.
 */
import { chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KinesisLocal, LOCAL_AWS_ENV } from '../support/kinesis-local.ts';
import { JEMALLOC_CONF, JEMALLOC_PATHS } from '../../src/allocator.ts';
import { allocatorOf } from './support/allocator.ts';
import { type Artifacts, builtPackages } from './support/artifacts.ts';
import { missing, need, until } from './support/host.ts';
import { BootedSystem } from './support/nspawn.ts';
import { debianRootfs, type Overlay, overlay, ROOTFS_TOOLS } from './support/rootfs.ts';

const UNIT = 'kinesis-agent.service';
const MAIN = 'systemd-main';
const EXTRA = 'systemd-extra';

const reason = missing({ ...ROOTFS_TOOLS, nsenter: 'util-linux', 'dpkg-deb': 'dpkg' });
let work = '';
let ov: Overlay | undefined;
let system: BootedSystem | undefined;
let local: KinesisLocal | undefined;
let artifacts: Artifacts | undefined;
let admGid = 0;
/** Every line written to each stream's file so far. */
const written: Record<string, string[]> = { [MAIN]: [], [EXTRA]: [] };

beforeAll(async () => {
  if (reason) return;
  const rootfs = await debianRootfs();
  artifacts = await builtPackages();
  work = mkdtempSync(join(tmpdir(), 'ka-systemd-'));
  ov = overlay(rootfs, join(work, 'overlay'));
  copyFileSync(artifacts.deb!, join(ov.root, 'root', 'kinesis-agent.deb'));
  admGid = Number(/^adm:x:(\d+):/m.exec(readFileSync(join(ov.root, 'etc', 'group'), 'utf8'))![1]);
  // Logs as Debian keeps them: root:adm 0640 in a directory others may enter.
  mkdirSync(join(ov.root, 'var', 'log', 'app'), { mode: 0o755 });
  for (const file of ['app.log', 'other.log']) logFile(file, []);
  local = await KinesisLocal.start();
  await local.createStream(MAIN);
  await local.createStream(EXTRA);
  system = await BootedSystem.boot(ov.root, `ka-test-${process.pid}`);
}, 600_000);

afterAll(async () => {
  await system?.poweroff();
  ov?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
  await local?.stop();
}, 120_000);

/** Appends `lines` to /var/log/app/<file> inside (root:adm 0640). */
function logFile(file: string, lines: string[]): void {
  const path = join(ov!.root, 'var', 'log', 'app', file);
  appendFileSync(path, lines.map((l) => `${l}\n`).join(''), { mode: 0o640 });
  chownSync(path, 0, admGid);
}

function append(stream: string, count: number, label: string): void {
  const lines = Array.from({ length: count }, (_, i) => `${stream} ${label} ${i}`);
  // A record is the line with its newline, as in the Kinesis Agent.
  written[stream]!.push(...lines.map((l) => `${l}\n`));
  logFile(stream === MAIN ? 'app.log' : 'other.log', lines);
}

interface FlowOptions {
  extra?: boolean;
  bufferAgeMs?: number;
}

/** Writes /etc/kinesis-agent/agent.yaml: the main flow, and the extra one when asked. */
function configure({ extra = false, bufferAgeMs = 1000 }: FlowOptions = {}): void {
  const flow = (file: string, stream: string) =>
    `  - filePattern: /var/log/app/${file}\n    kinesisStream: ${stream}\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: ${bufferAgeMs}\n`;
  writeFileSync(
    join(ov!.root, 'etc', 'kinesis-agent', 'agent.yaml'),
    `kinesis:\n  endpoint: ${local!.endpoint}\ncloudwatch.emitMetrics: false\n` +
      `checkpointFile: /var/lib/kinesis-agent/checkpoints\nflows:\n${flow('app.log', MAIN)}${extra ? flow('other.log', EXTRA) : ''}`,
  );
}

/** The records' data in `stream`, as text. */
async function shipped(stream: string): Promise<string[]> {
  return (await local!.readAll(stream)).map((r) => r.data.toString());
}

/** Waits until `stream` holds every line written to it, then checks each arrived exactly once. */
async function expectEveryLineOnce(stream: string, timeoutMs = 60_000): Promise<void> {
  const want = written[stream]!.length;
  const records = await local!.waitFor(stream, (r) => r.length >= want, timeoutMs);
  const got = records.map((r) => r.data.toString());
  expect(got.length, journal()).toBe(want);
  expect([...got].sort()).toEqual([...written[stream]!].sort());
}

function journal(): string {
  return system?.tryRun(['journalctl', '-b', '-u', UNIT, '--no-pager', '-n', '200']).out ?? '';
}

function mainPid(): number {
  return Number(system!.show(UNIT, 'MainPID').MainPID);
}

/** The malloc of the service's main process, read from /proc inside. */
function allocator(): ReturnType<typeof allocatorOf> {
  const pid = mainPid();
  return allocatorOf(system!.run(['cat', `/proc/${pid}/maps`]), system!.run(['cat', `/proc/${pid}/environ`]));
}

/** /etc/default/kinesis-agent: the AWS settings for kinesis-local, and `more`. */
function environmentFile(more: Record<string, string> = {}): void {
  writeFileSync(
    join(ov!.root, 'etc', 'default', 'kinesis-agent'),
    Object.entries({ ...LOCAL_AWS_ENV, ...more })
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
}

describe('the .deb under systemd (systemd-nspawn, Debian bookworm)', () => {
  const ready = (ctx: Parameters<typeof need>[0]) => need(ctx, reason === '' && system !== undefined, reason || 'not booted');

  it('installs with apt and its recommends (libjemalloc2): the unit loads, disabled and inactive (it is not configured yet)', (ctx) => {
    ready(ctx);
    // The root's package lists are debootstrap's, maybe days old: fresh ones first.
    system!.run(['apt-get', 'update', '-qq']);
    system!.run(['apt-get', 'install', '-y', '-qq', '/root/kinesis-agent.deb']);
    const status = (pkg: string) => system!.run(['dpkg-query', '-W', '-f', '${Status}', pkg]);
    expect({ agent: status('kinesis-agent'), jemalloc: status('libjemalloc2') }).toEqual({
      agent: 'install ok installed',
      jemalloc: 'install ok installed',
    });
    expect(system!.show(UNIT, 'LoadState', 'UnitFileState', 'ActiveState')).toEqual({
      LoadState: 'loaded',
      UnitFileState: 'disabled',
      ActiveState: 'inactive',
    });
  });

  it('systemctl enable --now: the service ships every line of a root:adm 0640 log once', async (ctx) => {
    ready(ctx);
    configure();
    environmentFile();
    append(MAIN, 300, 'first');
    const started = Date.now();
    system!.run(['systemctl', 'enable', '--now', UNIT]);
    await until('the first record', async () => ((await shipped(MAIN)).length > 0 ? true : undefined), 60_000, 100);
    process.stderr.write(`systemd: first record ${Date.now() - started} ms after systemctl enable --now\n`);
    await expectEveryLineOnce(MAIN);
    expect(system!.show(UNIT, 'ActiveState', 'UnitFileState')).toEqual({ ActiveState: 'active', UnitFileState: 'enabled' });
  });

  it('runs as kinesis-agent with no capabilities, no new privileges and a seccomp filter', (ctx) => {
    ready(ctx);
    const status = system!.run(['cat', `/proc/${mainPid()}/status`]);
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim();
    const uid = system!.run(['id', '-u', 'kinesis-agent']).trim();
    expect(field('Uid')?.split(/\s+/)).toEqual([uid, uid, uid, uid]);
    expect(field('CapEff')).toBe('0000000000000000');
    expect(field('CapBnd')).toBe('0000000000000000');
    expect(field('NoNewPrivs')).toBe('1');
    expect(field('Seccomp')).toBe('2');
  });

  it('runs on jemalloc, installed as the package recommends: libjemalloc.so.2 preloaded with the configuration the agent sets', (ctx) => {
    ready(ctx);
    const { jemalloc, env } = allocator();
    expect(jemalloc).toHaveLength(1);
    expect(JEMALLOC_PATHS).toContain(jemalloc[0]);
    expect(env).toEqual({ LD_PRELOAD: jemalloc[0], MALLOC_CONF: JEMALLOC_CONF });
  });

  it('the sandbox holds: even root in the service\'s mount namespace can write only its state directory', (ctx) => {
    ready(ctx);
    const pid = String(mainPid());
    // nsenter inside the container, where the service's PID means something.
    const write = (path: string) => system!.tryRun(['nsenter', '-t', pid, '-m', '--', 'sh', '-c', `echo probe > ${path} && rm ${path}`]);
    for (const path of ['/etc/kinesis-agent/probe', '/var/log/app/probe', '/usr/bin/probe', '/root/probe', '/home/probe', '/var/probe']) {
      const r = write(path);
      expect({ path, readOnly: r.code !== 0 && /Read-only file system/.test(r.out) }, r.out).toEqual({ path, readOnly: true });
    }
    expect(write('/var/lib/kinesis-agent/probe')).toMatchObject({ code: 0 });
    // Its /tmp is its own, not the system's.
    system!.run(['nsenter', '-t', pid, '-m', '--', 'sh', '-c', 'echo probe > /tmp/kinesis-agent-probe']);
    expect(system!.tryRun(['test', '-e', '/tmp/kinesis-agent-probe']).code).toBe(1);
  });

  it('logs JSON lines to the journal', (ctx) => {
    ready(ctx);
    const lines = system!
      .run(['journalctl', '-b', `_SYSTEMD_UNIT=${UNIT}`, '-o', 'cat', '--no-pager'])
      .split('\n')
      .filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    const entries = lines.map((l) => JSON.parse(l) as { level?: unknown; msg?: unknown });
    for (const e of entries) expect(e).toMatchObject({ level: expect.anything(), msg: expect.any(String) });
  });

  it('systemctl reload re-reads the config in the same process: a flow added ships', async (ctx) => {
    ready(ctx);
    const before = mainPid();
    configure({ extra: true });
    append(EXTRA, 100, 'after-reload');
    system!.run(['systemctl', 'reload', UNIT]);
    await expectEveryLineOnce(EXTRA);
    expect(mainPid()).toBe(before);
    append(MAIN, 50, 'after-reload');
    await expectEveryLineOnce(MAIN);
  });

  it('systemctl restart loses and repeats nothing, lines written across it included', async (ctx) => {
    ready(ctx);
    const before = mainPid();
    append(MAIN, 200, 'before-restart');
    system!.run(['systemctl', 'restart', UNIT]);
    append(MAIN, 200, 'after-restart');
    await expectEveryLineOnce(MAIN);
    await expectEveryLineOnce(EXTRA);
    expect(mainPid()).not.toBe(before);
  });

  it('KINESIS_AGENT_MALLOC=glibc in /etc/default/kinesis-agent turns jemalloc off: after a restart, glibc malloc, and every line ships', async (ctx) => {
    ready(ctx);
    environmentFile({ KINESIS_AGENT_MALLOC: 'glibc' });
    try {
      system!.run(['systemctl', 'restart', UNIT]);
      append(MAIN, 100, 'on-glibc');
      await expectEveryLineOnce(MAIN);
      expect(allocator()).toEqual({ jemalloc: [], env: {} });
    } finally {
      environmentFile();
    }
  });

  it('a configuration error: exit status 2, the unit fails and is not restarted in a loop', async (ctx) => {
    ready(ctx);
    const config = join(ov!.root, 'etc', 'kinesis-agent', 'agent.yaml');
    const good = readFileSync(config, 'utf8');
    writeFileSync(config, 'flows:\n  - filePattern: /var/log/app/app.log\n');
    system!.tryRun(['systemctl', 'restart', UNIT]);
    const failed = await until(
      'the unit to fail',
      () => {
        const s = system!.show(UNIT, 'ActiveState', 'Result', 'ExecMainStatus', 'NRestarts');
        return s.ActiveState === 'failed' ? s : undefined;
      },
      30_000,
    );
    expect(failed).toEqual({ ActiveState: 'failed', Result: 'exit-code', ExecMainStatus: '2', NRestarts: '0' });
    // Longer than RestartSec=5s: still failed, never restarted.
    await new Promise((r) => setTimeout(r, 7000));
    expect(system!.show(UNIT, 'ActiveState', 'NRestarts')).toEqual({ ActiveState: 'failed', NRestarts: '0' });
    writeFileSync(config, good);
    system!.run(['systemctl', 'restart', UNIT]);
    append(MAIN, 20, 'after-fix');
    await expectEveryLineOnce(MAIN);
  });

  it('systemctl stop drains what is buffered, exits 0 and leaves the checkpoint', async (ctx) => {
    ready(ctx);
    // Buffered for a minute unless the stop drains it.
    configure({ extra: true, bufferAgeMs: 60_000 });
    system!.run(['systemctl', 'reload', UNIT]);
    const before = (await shipped(MAIN)).length;
    append(MAIN, 40, 'before-stop');
    // Time for the tailer to read them (it follows the file as it grows).
    await new Promise((r) => setTimeout(r, 8000));
    expect((await shipped(MAIN)).length).toBe(before);
    system!.run(['systemctl', 'stop', UNIT]);
    expect(system!.show(UNIT, 'ActiveState', 'Result', 'ExecMainStatus')).toEqual({
      ActiveState: 'inactive',
      Result: 'success',
      ExecMainStatus: '0',
    });
    const got = await shipped(MAIN);
    expect(got.length, journal()).toBe(written[MAIN]!.length);
    expect([...got].sort()).toEqual([...written[MAIN]!].sort());
    const checkpoint = join(ov!.root, 'var', 'lib', 'kinesis-agent', 'checkpoints');
    expect(existsSync(checkpoint)).toBe(true);
  });

  it('scores OK in systemd-analyze security, as installed', (ctx) => {
    ready(ctx);
    const text = system!.tryRun(['systemd-analyze', 'security', '--no-pager', UNIT]).out;
    const exposure = /Overall exposure level for kinesis-agent\.service: ([\d.]+) (\S+)/.exec(text);
    expect(exposure, text).not.toBeNull();
    process.stderr.write(`systemd: systemd-analyze security ${exposure![1]} ${exposure![2]}\n`);
    expect(Number(exposure![1])).toBeLessThanOrEqual(2);
  });
});
