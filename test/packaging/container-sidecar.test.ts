/**
 * The container image, built and run for real with podman: the image users
 * build (packaging/container/Dockerfile, base images given as build
 * arguments: here stand-ins made with debootstrap, no registry) runs the way
 * the Kubernetes sidecar example (kubernetes-sidecar.yaml) runs it: an
 * application container appends to app.log in a shared volume; the agent
 * container reads it with the example's ConfigMap agent.yaml, environment
 * and arguments, as uid 65532 on a read-only root with no capabilities, its
 * checkpoints in a state volume, and ships to kinesis-local on the host
 * (--network host), on the jemalloc the image carries. `podman stop` drains;
 * a new container on the same state volume, with jemalloc turned off
 * (KINESIS_AGENT_MALLOC=glibc), resumes where the last one stopped.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { ROOT } from '../../scripts/package-lib.ts';
import { JEMALLOC_CONF, JEMALLOC_PATHS } from '../../src/allocator.ts';
import { freePort } from '../support/free-port.ts';
import { KinesisLocal, LOCAL_AWS_ENV } from '../support/kinesis-local.ts';
import { allocatorOf } from './support/allocator.ts';
import { missing, need, sh, shAsync, tryRun, until } from './support/host.ts';
import { baseImages } from './support/images.ts';
import { debianRootfs, ROOTFS_TOOLS } from './support/rootfs.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes manifests are untyped YAML */
const SIDECAR = parseAllDocuments(readFileSync(join(ROOT, 'packaging', 'container', 'kubernetes-sidecar.yaml'), 'utf8')).map(
  (d) => d.toJS() as Record<string, any>,
);
const POD = SIDECAR.find((d) => d.kind === 'Pod')!;
const AGENT = [...(POD.spec.initContainers ?? []), ...POD.spec.containers].find((c: any) => c.name === 'kinesis-agent');
const ENV: Record<string, string> = Object.fromEntries(AGENT.env.map((e: any) => [e.name, e.value]));
const RUN_AS = `${AGENT.securityContext.runAsUser}:${AGENT.securityContext.runAsGroup}`;
const FS_GROUP = Number(POD.spec.securityContext.fsGroup);
const CONFIG_MAP: string = SIDECAR.find((d) => d.kind === 'ConfigMap')!.data['agent.yaml'];
/* eslint-enable @typescript-eslint/no-explicit-any */
const STREAM = ENV.KINESIS_STREAM!;

const reason = missing({ ...ROOTFS_TOOLS, podman: 'podman', ldd: 'libc-bin' });
const tag = `ka-${process.pid}`;
const IMAGE = `localhost/kinesis-agent-test/agent:${tag}`;
const STATE = `${tag}-state`;
let work = '';
let logs = '';
let configDir = '';
let appImage = '';
let local: KinesisLocal | undefined;
let built = false;
const written: string[] = [];
const containers: string[] = [];

beforeAll(async () => {
  if (reason) return;
  const images = await baseImages(await debianRootfs());
  appImage = images.app;
  const started = Date.now();
  await shAsync(
    'podman',
    [
      'build',
      '--file', join(ROOT, 'packaging', 'container', 'Dockerfile'),
      '--build-arg', `BUILD_IMAGE=${images.build}`,
      '--build-arg', `RUNTIME_IMAGE=${images.runtime}`,
      '--tag', IMAGE,
      ROOT,
    ],
  );
  built = true;
  const size = Number(sh('podman', ['image', 'inspect', '--format', '{{.Size}}', IMAGE]).trim());
  process.stderr.write(`container: image built in ${Math.round((Date.now() - started) / 1000)} s, ${(size / 1e6).toFixed(1)} MB\n`);

  work = mkdtempSync(join(tmpdir(), 'ka-container-run-'));
  chmodSync(work, 0o755);
  // The emptyDir under fsGroup: group-owned by it, set-group-ID, so every
  // file the application creates is the agent's group's.
  logs = join(work, 'logs');
  mkdirSync(logs);
  chownSync(logs, 0, FS_GROUP);
  chmodSync(logs, 0o2775);
  local = await KinesisLocal.start();
  await local.createStream(STREAM);
  // The ConfigMap's agent.yaml as the pod mounts it, pointed at
  // kinesis-local; its status port moved to a free one (the host's network
  // is shared) and a 1 s buffer age so a test need not wait a minute.
  const config = parseAllDocuments(CONFIG_MAP)[0]!.toJS() as {
    kinesis: { endpoint: string };
    http: { listen: string };
    flows: Array<Record<string, unknown>>;
  };
  config.kinesis.endpoint = local.endpoint;
  config.http.listen = `127.0.0.1:${await freePort()}`;
  config.flows[0]!.maxBufferAgeMillis = 1000;
  configDir = join(work, 'config');
  mkdirSync(configDir, { mode: 0o755 });
  writeFileSync(join(configDir, 'agent.yaml'), `cloudwatch.emitMetrics: false\n${stringify(config)}`, { mode: 0o644 });
  sh('podman', ['volume', 'create', STATE]);
}, 900_000);

afterAll(async () => {
  for (const c of containers) tryRun('podman', ['rm', '--force', '--time', '0', c]);
  tryRun('podman', ['volume', 'rm', '--force', STATE]);
  if (built) tryRun('podman', ['image', 'rm', IMAGE]);
  if (work) rmSync(work, { recursive: true, force: true });
  await local?.stop();
}, 120_000);

/**
 * The application: appends `count` lines as uid 1000 with umask 027, as the
 * example's app does; fsGroup is every container's supplementary group.
 */
function app(count: number, label: string): void {
  const lines = Array.from({ length: count }, (_, i) => `${label} request ${i}`);
  sh('podman', [
    'run', '--rm', '--user', '1000:1000', '--group-add', String(FS_GROUP), '--read-only', '--cap-drop', 'all', '--network', 'none',
    '-v', `${logs}:/var/log/app`, appImage,
    'sh', '-c', `umask 027; i=0; while [ $i -lt ${count} ]; do echo "${label} request $i" >> /var/log/app/app.log; i=$((i+1)); done`,
  ]);
  written.push(...lines.map((l) => `${l}\n`));
}

/**
 * Starts an agent container as the sidecar runs: the example's
 * securityContext, mounts, env and args (plus `env`).
 */
function agent(name: string, env: Record<string, string> = {}): void {
  containers.push(name);
  sh('podman', [
    'run', '--detach', '--name', name, '--network', 'host',
    '--user', RUN_AS, '--group-add', String(FS_GROUP), '--read-only', '--cap-drop', 'all', '--security-opt', 'no-new-privileges',
    '-v', `${logs}:/var/log/app:ro`,
    '-v', `${configDir}:/etc/kinesis-agent:ro`,
    '-v', `${STATE}:/var/lib/kinesis-agent`,
    ...Object.entries({ ...ENV, ...LOCAL_AWS_ENV, AWS_REGION: ENV.AWS_REGION ?? LOCAL_AWS_ENV.AWS_REGION, ...env }).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    IMAGE,
    ...AGENT.args,
  ]);
}

async function shipped(): Promise<string[]> {
  return (await local!.readAll(STREAM)).map((r) => r.data.toString());
}

async function expectEveryLineOnce(name: string): Promise<void> {
  const records = await local!.waitFor(STREAM, (r) => r.length >= written.length, 60_000);
  const got = records.map((r) => r.data.toString());
  expect(got.length, tryRun('podman', ['logs', name]).out.slice(-4000)).toBe(written.length);
  expect([...got].sort()).toEqual([...written].sort());
}

/** The malloc of the agent running in container `name`, read from the host's /proc. */
function allocatorIn(name: string): ReturnType<typeof allocatorOf> {
  const pid = Number(sh('podman', ['inspect', '--format', '{{.State.Pid}}', name]).trim());
  expect(pid).toBeGreaterThan(0);
  return allocatorOf(readFileSync(`/proc/${pid}/maps`, 'utf8'), readFileSync(`/proc/${pid}/environ`, 'utf8'));
}

function stateDir(): string {
  return sh('podman', ['volume', 'inspect', '--format', '{{.Mountpoint}}', STATE]).trim();
}

describe('the container image, built with podman and run as the Kubernetes sidecar example runs it', () => {
  const ready = (ctx: Parameters<typeof need>[0]) => need(ctx, reason === '' && built, reason || 'image not built');

  it('runs as 65532 on a read-only root and ships every line the application wrote, once', { timeout: 180_000 }, async (ctx) => {
    ready(ctx);
    app(300, 'before-start');
    const started = Date.now();
    agent(`${tag}-agent-1`);
    await until('the first record', async () => ((await shipped()).length > 0 ? true : undefined), 60_000, 100);
    process.stderr.write(`container: first record ${Date.now() - started} ms after podman run\n`);
    app(200, 'while-running');
    await expectEveryLineOnce(`${tag}-agent-1`);
    const inspect = JSON.parse(sh('podman', ['inspect', `${tag}-agent-1`]))[0];
    expect(inspect.Config.User).toBe(RUN_AS);
    expect(inspect.HostConfig.ReadonlyRootfs).toBe(true);
    expect(inspect.State.Running).toBe(true);
  });

  it('runs on the jemalloc the image carries, at a path the agent looks in, with its copyright file', (ctx) => {
    ready(ctx);
    const name = `${tag}-agent-1`;
    const { jemalloc, env } = allocatorIn(name);
    expect(jemalloc).toHaveLength(1);
    expect(JEMALLOC_PATHS).toContain(jemalloc[0]);
    expect(jemalloc[0]).toContain(process.arch === 'arm64' ? '/aarch64-linux-gnu/' : '/x86_64-linux-gnu/');
    expect(env).toEqual({ LD_PRELOAD: jemalloc[0], MALLOC_CONF: JEMALLOC_CONF });
    // The BSD licence's notice ships beside it.
    const copy = join(work, 'jemalloc-copyright');
    sh('podman', ['cp', `${name}:/usr/share/doc/libjemalloc2/copyright`, copy]);
    const copyright = readFileSync(copy, 'utf8');
    expect(copyright).toMatch(/^Upstream-Name: jemalloc$/m);
    expect(copyright).toMatch(/^License: BSD-2-Clause$/m);
    expect(copyright).toContain('Redistribution and use in source and binary forms');
  });

  it('podman stop drains and exits 0, leaving the checkpoint in the state volume', { timeout: 120_000 }, async (ctx) => {
    ready(ctx);
    const name = `${tag}-agent-1`;
    sh('podman', ['stop', '--time', String(POD.spec.terminationGracePeriodSeconds), name]);
    const state = JSON.parse(sh('podman', ['inspect', name]))[0].State;
    expect({ status: state.Status, exitCode: state.ExitCode }).toEqual({ status: 'exited', exitCode: 0 });
    const checkpoint = join(stateDir(), 'checkpoints');
    expect(existsSync(checkpoint)).toBe(true);
    expect(statSync(checkpoint).uid).toBe(Number(RUN_AS.split(':')[0]));
    const lines = sh('podman', ['logs', name]).split('\n').filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
  });

  it('a new container on the same state volume, on glibc malloc (-e KINESIS_AGENT_MALLOC=glibc), resumes: nothing written meanwhile is lost, nothing repeated', { timeout: 180_000 }, async (ctx) => {
    ready(ctx);
    app(200, 'while-stopped');
    agent(`${tag}-agent-2`, { KINESIS_AGENT_MALLOC: 'glibc' });
    app(100, 'after-restart');
    await expectEveryLineOnce(`${tag}-agent-2`);
    expect(allocatorIn(`${tag}-agent-2`)).toEqual({ jemalloc: [], env: {} });
    sh('podman', ['stop', '--time', String(POD.spec.terminationGracePeriodSeconds), `${tag}-agent-2`]);
    expect(JSON.parse(sh('podman', ['inspect', `${tag}-agent-2`]))[0].State.ExitCode).toBe(0);
    expect((await shipped()).length).toBe(written.length);
  });
});
