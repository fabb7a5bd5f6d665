/**
 * The container image and its examples, checked by reading: the
 * Dockerfile's stages (jemalloc for the target architecture where the agent
 * looks for it), and the configurations the image, the Kubernetes
 * sidecar and the compose file carry, validated by the agent itself.
 * container-sidecar.test.ts builds and runs the image.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { checkConfig, formatProblem } from '../../src/config/index.ts';
import { MALLOC_ENV } from '../../scripts/package-sea.ts';
import { JEMALLOC_PATHS } from '../../src/allocator.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CONTAINER = join(ROOT, 'packaging', 'container');
const dir = mkdtempSync(join(tmpdir(), 'ka-container-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Instruction {
  op: string;
  args: string;
}

/**
 * Dockerfile instructions (continuations joined, comments dropped), by
 * stage; FROM lines with the defaults of the ARGs declared before the first
 * FROM filled in, as a build without --build-arg sees them.
 */
function dockerfileStages(text: string): Instruction[][] {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Instruction[][] = [];
  const globalArgs = new Map<string, string>();
  for (const line of logical) {
    const [op, ...rest] = line.split(/\s+/);
    const ins = { op: op!.toUpperCase(), args: rest.join(' ') };
    if (ins.op === 'ARG' && stages.length === 0) {
      const [name, value = ''] = ins.args.split('=');
      globalArgs.set(name!, value);
      continue;
    }
    if (ins.op === 'FROM') {
      ins.args = ins.args.replace(/\$\{(\w+)\}/g, (m, name: string) => globalArgs.get(name) ?? m);
      stages.push([]);
    }
    stages.at(-1)?.push(ins);
  }
  return stages;
}

/** `kinesis-agent validate` in process, with exactly `env` as the environment; code 0 valid, 2 not. */
async function validate(configText: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const file = join(dir, `agent-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, configText);
  const { config, problems } = await checkConfig(file, { env });
  return { code: config && problems.length === 0 ? 0 : 2, out: problems.map(formatProblem).join('\n') };
}

describe('the Dockerfile', () => {
  const stages = dockerfileStages(readFileSync(join(CONTAINER, 'Dockerfile'), 'utf8'));
  const runtime = stages.at(-1)!;
  const find = (op: string) => runtime.filter((i) => i.op === op).map((i) => i.args);

  it('builds in one stage with the npm/SEA pipeline and runs from a small image in another', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages[0]!;
    expect(build[0]!.args).toMatch(/^--platform=\$BUILDPLATFORM node:24-bookworm AS build$/);
    expect(build.some((i) => i.op === 'RUN' && /npm ci/.test(i.args))).toBe(true);
    expect(build.some((i) => i.op === 'RUN' && /scripts\/package-sea\.ts/.test(i.args))).toBe(true);
    expect(existsSync(join(ROOT, 'scripts', 'package-sea.ts'))).toBe(true);
    expect(runtime[0]!.args).toBe('gcr.io/distroless/cc-debian12:nonroot');
  });

  it('runs the binary as a non-root user with the state directory as a volume', () => {
    const user = find('USER').at(-1) ?? '';
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(user).not.toBe('');
    expect(find('VOLUME').join(' ')).toContain('/var/lib/kinesis-agent');
    // COPY makes files root's unless told: the state directory must be the runtime user's.
    const uid = user.split(':')[0];
    expect(find('COPY').some((a) => a.includes(`--chown=${uid}:`) && /\/var\/lib\/?$/.test(a))).toBe(true);
    expect(find('ENTRYPOINT')).toEqual(['["/usr/bin/kinesis-agent"]']);
    expect(find('CMD')).toEqual(['["-c", "/etc/kinesis-agent/agent.yaml"]']);
  });

  it('starts the executable with the malloc environment the benchmark measures (MALLOC_ENV, defined once)', () => {
    const env = Object.entries(MALLOC_ENV).map(([k, v]) => `${k}=${v}`);
    expect(env.length).toBeGreaterThan(0);
    expect(find('ENV')).toContain(env.join(' '));
  });

  it("carries the target architecture's libjemalloc.so.2 where the agent looks for it (JEMALLOC_PATHS), with its copyright file", () => {
    const build = stages[0]!;
    const fetch = build.find((i) => i.op === 'RUN' && /apt-get download "libjemalloc2:\$arch"/.test(i.args));
    expect(fetch, 'a RUN that downloads libjemalloc2 for the target').toBeDefined();
    const run = fetch!.args;
    // Debian's architecture is TARGETARCH (amd64, arm64); downloaded and
    // unpacked for it, never installed, so no emulation is needed.
    expect(run).toMatch(/arch="\$\{TARGETARCH:-\$\(dpkg --print-architecture\)\}"/);
    expect(run).toContain('dpkg --add-architecture "$arch"');
    expect(run).toMatch(/dpkg-deb -x libjemalloc2_\S+ tree/);
    const lib = Object.fromEntries([...run.matchAll(/(\w+)\) lib=(\S+) ;;/g)].map((m) => [m[1], m[2]]));
    expect(lib).toEqual({
      amd64: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
      arm64: '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
    });
    for (const path of Object.values(lib)) expect(JEMALLOC_PATHS).toContain(path);
    expect(run).toContain('install -D -m 0644 "tree$lib" "/rootfs$lib"');
    expect(run).toContain('install -D -m 0644 tree/usr/share/doc/libjemalloc2/copyright /rootfs/usr/share/doc/libjemalloc2/copyright');
    // The build stage's /rootfs/usr is the runtime's /usr.
    expect(find('COPY')).toContain('--from=build /rootfs/usr/ /usr/');
  });

  it("keeps the build context small (BuildKit's Dockerfile.dockerignore)", () => {
    const ignore = readFileSync(join(CONTAINER, 'Dockerfile.dockerignore'), 'utf8').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', '.git', 'out', 'build']));
  });
});

describe("the image's default agent.yaml", () => {
  const config = readFileSync(join(CONTAINER, 'agent.yaml'), 'utf8');

  it('is valid once KINESIS_AGENT_STREAM names the stream', async () => {
    const r = await validate(config, { KINESIS_AGENT_STREAM: 'app-logs' });
    expect(r, r.out).toMatchObject({ code: 0 });
  });

  it('says which variable is missing when it does not', async () => {
    const r = await validate(config, {});
    expect(r.code).toBe(2);
    expect(r.out).toContain('KINESIS_AGENT_STREAM');
  });
});

describe('the Kubernetes sidecar example', () => {
  const docs = parseAllDocuments(readFileSync(join(CONTAINER, 'kubernetes-sidecar.yaml'), 'utf8')).map(
    (d) => d.toJS() as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  );
  const configMap = docs.find((d) => d.kind === 'ConfigMap')!;
  const pod = docs.find((d) => d.kind === 'Pod')!;
  const containers = [...(pod.spec.initContainers ?? []), ...pod.spec.containers] as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const agent = containers.find((c) => c.name === 'kinesis-agent')!;
  const app = containers.find((c) => c.name !== 'kinesis-agent')!;

  it("carries a valid agent.yaml in its ConfigMap, with the sidecar's environment", async () => {
    const env = Object.fromEntries((agent.env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
    const r = await validate(configMap.data['agent.yaml'], env);
    expect(r, r.out).toMatchObject({ code: 0 });
  });

  it('shares an emptyDir of logs (read-only for the agent), mounts the ConfigMap, runs non-root on a read-only root', () => {
    const logs = (pod.spec.volumes as Array<Record<string, any>>).find((v) => v.emptyDir && v.name === 'logs'); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(logs).toBeDefined();
    const mount = (c: Record<string, any>, name: string) => (c.volumeMounts as Array<Record<string, any>>).find((m) => m.name === name); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(mount(agent, 'logs')).toMatchObject({ readOnly: true });
    expect(mount(app, 'logs')).toBeDefined();
    expect(mount(agent, 'logs')!.mountPath).toBe(mount(app, 'logs')!.mountPath);
    expect(mount(agent, 'config')!.mountPath).toBe('/etc/kinesis-agent');
    expect(mount(agent, 'state')!.mountPath).toBe('/var/lib/kinesis-agent');
    expect(agent.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(agent.securityContext.runAsUser).not.toBe(0);
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(10);
  });
});

describe('the docker-compose example', () => {
  const compose = parse(readFileSync(join(CONTAINER, 'docker-compose.yaml'), 'utf8')) as {
    services: Record<string, Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const agent = compose.services['kinesis-agent']!;

  it('builds the image from the repository, read-only, with logs read-only and state in a volume', () => {
    expect(agent.build).toMatchObject({ context: '../..', dockerfile: 'packaging/container/Dockerfile' });
    expect(existsSync(join(CONTAINER, agent.build.context, agent.build.dockerfile))).toBe(true);
    expect(agent.read_only).toBe(true);
    expect(agent.volumes).toEqual(expect.arrayContaining(['logs:/var/log/app:ro', 'state:/var/lib/kinesis-agent']));
    expect(Object.values(compose.services).some((s) => (s.volumes as string[] | undefined)?.includes('logs:/var/log/app'))).toBe(true);
  });

  it("configures the image's default agent.yaml through the environment", async () => {
    const r = await validate(readFileSync(join(CONTAINER, 'agent.yaml'), 'utf8'), {
      KINESIS_AGENT_STREAM: 'app-logs',
      KINESIS_AGENT_FILES: agent.environment.KINESIS_AGENT_FILES,
    });
    expect(r, r.out).toMatchObject({ code: 0 });
  });
});
