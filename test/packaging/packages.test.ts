/**
 * The packaging pipeline, end to end: `scripts/package.ts` builds the
 * self-contained executable and the .deb and .rpm (once per tree and machine,
 * shared with the other packaging tests: support/artifacts.ts), then
 *  - the executable runs with no Node.js and no PATH;
 *  - the systemd unit passes systemd-analyze verify and its security review;
 *  - the .deb installs (dpkg -i, as root), creates the user, files and modes,
 *    and the INSTALLED binary, run as the kinesis-agent user, ships a file to
 *    kinesis-local, on jemalloc where this machine has it (.ci/run installs
 *    it); reinstall keeps an edited config; remove keeps state; purge
 *    deletes it;
 *  - the .deb recommends libjemalloc2, the .rpm jemalloc (weak dependencies);
 *  - the .rpm lists the right files, modes, config files and scripts.
 * systemd.test.ts runs the .deb under a booted systemd, rpm-install.test.ts
 * installs the .rpm.
 *
 * Package tests skip (with the reason) when not root or when dpkg / rpm is
 * missing; KINESIS_AGENT_PACKAGE_TESTS=require turns those skips into
 * failures, for CI.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { TOP } from '../../src/config/agent-keys.ts';
import { exampleConfig, nativeArch, packageVersion, ROOT, version, which } from '../../scripts/package-lib.ts';
import { MALLOC_ENV, NODE_FLAGS } from '../../scripts/package-sea.ts';
import { JEMALLOC_CONF, JEMALLOC_PATHS } from '../../src/allocator.ts';
import { KinesisLocal, LOCAL_AWS_ENV } from '../support/kinesis-local.ts';
import { allocatorOf } from './support/allocator.ts';
import { type Artifacts, builtPackages } from './support/artifacts.ts';
import { IS_ROOT, machineLock, need, sh, tryRun } from './support/host.ts';

const ARCH = nativeArch();
const HAVE = {
  dpkgDeb: which('dpkg-deb') !== undefined,
  dpkg: which('dpkg') !== undefined && which('dpkg-query') !== undefined,
  rpmbuild: which('rpmbuild') !== undefined,
  rpm: which('rpm') !== undefined,
  systemdAnalyze: which('systemd-analyze') !== undefined,
  setpriv: which('setpriv') !== undefined,
};
const UNIT_SOURCE = join(ROOT, 'packaging', 'systemd', 'kinesis-agent.service');

let work = '';
let built: Artifacts | undefined;
let buildError: Error | undefined;

beforeAll(async () => {
  if (!ARCH) return;
  work = mkdtempSync(join(tmpdir(), 'ka-package-'));
  try {
    built = await builtPackages();
  } catch (err) {
    buildError = err as Error;
  }
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function artifact(kind: 'binary' | 'deb' | 'rpm'): string {
  if (buildError) throw buildError;
  const path = built?.[kind];
  if (!path) throw new Error(`no ${kind} built for ${process.arch}`);
  return path;
}

describe('the self-contained executable', () => {
  it('runs --version with no Node.js and no PATH (env -i PATH=/nonexistent)', (ctx) => {
    need(ctx, ARCH !== undefined, `no Node build for ${process.arch}`);
    const binary = artifact('binary');
    const printed = sh('env', ['-i', 'PATH=/nonexistent', binary, '--version']);
    expect(printed).toBe(`kinesis-agent ${version()}\n`);
    const mib = statSync(binary).size / 1024 / 1024;
    process.stderr.write(`kinesis-agent-linux-${ARCH}: ${mib.toFixed(1)} MiB\n`);
  });

  it('validates the configuration the packages install, reading nothing but that file', (ctx) => {
    need(ctx, ARCH !== undefined, `no Node build for ${process.arch}`);
    const binary = artifact('binary');
    const printed = sh(binary, ['validate', '-c', exampleConfig()], { env: { PATH: '/nonexistent' } });
    expect(printed).toContain('valid');
  });
});

describe('the systemd unit', () => {
  const unit = readFileSync(UNIT_SOURCE, 'utf8');
  const directives = (key: string) =>
    unit
      .split('\n')
      .filter((l) => l.startsWith(`${key}=`))
      .map((l) => l.slice(key.length + 1));

  it('runs the agent as kinesis-agent with its state directory, reload by SIGHUP and a drain-length stop timeout', () => {
    expect(directives('User')).toEqual(['kinesis-agent']);
    expect(directives('ExecStart')).toEqual(['/usr/bin/kinesis-agent -c /etc/kinesis-agent/agent.yaml']);
    expect(directives('ExecReload')).toEqual([`/bin/sh -c 'kill -HUP "$MAINPID"'`]);
    expect(directives('Restart')).toEqual(['on-failure']);
    // A configuration error (exit 2) is not retried in a loop.
    expect(directives('RestartPreventExitStatus')).toEqual(['2']);
    expect(directives('StateDirectory')).toEqual(['kinesis-agent']);
    expect(directives('StateDirectoryMode')).toEqual(['0700']);
    expect(directives('EnvironmentFile')).toEqual(['-/etc/default/kinesis-agent', '-/etc/sysconfig/kinesis-agent']);
    expect(directives('ReadWritePaths')).toEqual(['/var/lib/kinesis-agent']);
    // Longer than the default shutdownTimeoutMillis, the drain's budget.
    const stop = directives('TimeoutStopSec')[0] ?? '';
    expect(stop).toMatch(/^\d+s$/);
    expect(Number.parseInt(stop, 10) * 1000).toBeGreaterThan(TOP.shutdownTimeoutMillis.default);
  });

  it('starts the executable with the malloc environment the benchmark measures (MALLOC_ENV, defined once)', () => {
    const env = Object.entries(MALLOC_ENV).map(([k, v]) => `${k}=${v}`);
    expect(env.length).toBeGreaterThan(0);
    expect(directives('Environment')).toContain(env.join(' '));
  });

  it('is hardened, but keeps W+X memory for the V8 JIT and read access to logs', () => {
    for (const [key, value] of Object.entries({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'read-only',
      PrivateTmp: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectKernelLogs: 'yes',
      ProtectControlGroups: 'yes',
      ProtectClock: 'yes',
      ProtectHostname: 'yes',
      RestrictNamespaces: 'yes',
      RestrictRealtime: 'yes',
      RestrictSUIDSGID: 'yes',
      LockPersonality: 'yes',
      RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX',
      CapabilityBoundingSet: '',
      SystemCallArchitectures: 'native',
      UMask: '0077',
    })) {
      expect(directives(key), key).toEqual([value]);
    }
    expect(directives('SystemCallFilter')).toContain('@system-service');
    expect(directives('MemoryDenyWriteExecute')).toEqual(['no']);
  });

  it('passes systemd-analyze verify, complaining at most that the binary is not installed yet', (ctx) => {
    need(ctx, HAVE.systemdAnalyze, 'systemd-analyze not found (apt-get install systemd)');
    const { code, out: text } = tryRun('systemd-analyze', ['verify', UNIT_SOURCE]);
    const problems = text
      .split('\n')
      .filter((l) => l.includes('kinesis-agent') && !/Command \/usr\/bin\/kinesis-agent is not executable/.test(l));
    expect(problems, text).toEqual([]);
    if (existsSync('/usr/bin/kinesis-agent')) expect(code, text).toBe(0);
  });

  it('scores "OK" or better in systemd-analyze security', (ctx) => {
    need(ctx, HAVE.systemdAnalyze, 'systemd-analyze not found (apt-get install systemd)');
    const text = tryRun('systemd-analyze', ['security', '--offline=true', UNIT_SOURCE]).out;
    const exposure = /Overall exposure level for kinesis-agent\.service: ([\d.]+)/.exec(text);
    expect(exposure, text).not.toBeNull();
    expect(Number(exposure![1])).toBeLessThanOrEqual(2);
  });
});

function dpkgStatus(): string {
  const r = tryRun('dpkg-query', ['-W', '-f', '${Status}', 'kinesis-agent']);
  return r.code === 0 ? r.out.trim() : '';
}

function modeOf(path: string): { mode: string; uid: number; gid: number } {
  const s = statSync(path);
  return { mode: (s.mode & 0o7777).toString(8).padStart(4, '0'), uid: s.uid, gid: s.gid };
}

function passwd(name: string): { uid: number; gid: number; home: string; shell: string } | undefined {
  const r = tryRun('getent', ['passwd', name]);
  if (r.code !== 0) return undefined;
  const [, , uid, gid, , home, shell] = r.out.trim().split(':');
  return { uid: Number(uid), gid: Number(gid), home: home!, shell: shell! };
}

describe('the .deb control file', () => {
  it('recommends libjemalloc2 (the agent uses jemalloc when installed) without depending on it', (ctx) => {
    need(ctx, HAVE.dpkgDeb, 'dpkg-deb not found (apt-get install dpkg)');
    need(ctx, ARCH !== undefined, `no Node build for ${process.arch}`);
    const field = (name: string) => sh('dpkg-deb', ['--field', artifact('deb'), name]).trim();
    expect(field('Recommends')).toBe('libjemalloc2');
    expect(field('Depends')).not.toMatch(/jemalloc/);
  });
});

describe('the .deb on this machine (dpkg -i, as root)', () => {
  let release: (() => void) | undefined;
  let usable = false;
  let reason = '';
  let installed = false;

  beforeAll(async () => {
    if (!IS_ROOT) reason = 'not root: installing a .deb needs root (CI runs as root)';
    else if (!HAVE.dpkg || !HAVE.dpkgDeb) reason = 'dpkg not found: not a Debian-based system';
    else if (!ARCH) reason = `no Node build for ${process.arch}`;
    if (reason) return;
    release = await machineLock('/tmp/kinesis-agent-package-test.lock');
    const status = dpkgStatus();
    if (status !== '' && !status.includes('not-installed')) {
      reason = `kinesis-agent is already on this machine (${status}); leaving it alone (dpkg -P kinesis-agent lets this test run)`;
      return;
    }
    usable = true;
  }, 300_000);

  afterAll(() => {
    // Leave the machine as found, whatever failed.
    if (installed && dpkgStatus() !== '') tryRun('dpkg', ['--purge', 'kinesis-agent']);
    release?.();
  });

  it('installs: the kinesis-agent system user (no login, in adm), files, modes, nothing started', (ctx) => {
    need(ctx, usable, reason);
    const deb = artifact('deb');
    installed = true;
    sh('dpkg', ['-i', deb], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    expect(dpkgStatus()).toBe('install ok installed');

    const user = passwd('kinesis-agent');
    expect(user).toBeDefined();
    expect(user!.uid).toBeLessThan(1000);
    expect(user!.home).toBe('/var/lib/kinesis-agent');
    expect(user!.shell).toMatch(/\/nologin$/);
    expect(sh('id', ['-nG', 'kinesis-agent']).trim().split(/\s+/)).toEqual(expect.arrayContaining(['kinesis-agent', 'adm']));

    const root = { uid: 0, gid: 0 };
    expect(modeOf('/usr/bin/kinesis-agent')).toEqual({ mode: '0755', ...root });
    expect(modeOf('/usr/lib/systemd/system/kinesis-agent.service')).toEqual({ mode: '0644', ...root });
    expect(modeOf('/etc/kinesis-agent/agent.yaml')).toEqual({ mode: '0640', uid: 0, gid: user!.gid });
    expect(readFileSync('/etc/kinesis-agent/agent.yaml', 'utf8')).toBe(readFileSync(exampleConfig(), 'utf8'));
    expect(modeOf('/etc/default/kinesis-agent')).toEqual({ mode: '0600', ...root });
    expect(modeOf('/var/lib/kinesis-agent')).toEqual({ mode: '0700', uid: user!.uid, gid: user!.gid });
    expect(existsSync('/etc/kinesis-agent/agent.d')).toBe(true);
    expect(sh('dpkg-query', ['-W', '-f', '${Conffiles}', 'kinesis-agent'])).toMatch(
      /\/etc\/kinesis-agent\/agent\.yaml [0-9a-f]+\n.*\/etc\/default\/kinesis-agent [0-9a-f]+/s,
    );
    // Not configured yet: installed, neither enabled nor started.
    expect(existsSync('/etc/systemd/system/multi-user.target.wants/kinesis-agent.service')).toBe(false);
    expect(sh('env', ['-i', 'PATH=/nonexistent', '/usr/bin/kinesis-agent', '--version'])).toBe(`kinesis-agent ${version()}\n`);
  });

  it('the installed unit passes systemd-analyze verify', (ctx) => {
    need(ctx, usable && installed, reason || 'not installed');
    need(ctx, HAVE.systemdAnalyze, 'systemd-analyze not found (apt-get install systemd)');
    const { code, out: text } = tryRun('systemd-analyze', ['verify', '/usr/lib/systemd/system/kinesis-agent.service']);
    // Only what concerns this unit counts: a container's systemd may mutter about others.
    const about = text.split('\n').filter((l) => l.includes('kinesis-agent'));
    expect({ code, about }, text).toEqual({ code: 0, about: [] });
  });

  it('the installed binary, run as kinesis-agent, ships a log file it reads through group adm to kinesis-local', async (ctx) => {
    need(ctx, usable && installed, reason || 'not installed');
    need(ctx, HAVE.setpriv, 'setpriv not found (util-linux)');
    const local = await KinesisLocal.start();
    let agent: ChildProcess | undefined;
    let output = '';
    try {
      const stream = 'packaged';
      await local.createStream(stream);
      const dir = join(work, 'run');
      execFileSync('mkdir', ['-p', dir]);
      chmodSync(work, 0o755);
      chmodSync(dir, 0o755);
      const logFile = join(dir, 'app.log');
      const lines = Array.from({ length: 200 }, (_, i) => `packaged line ${i}\n`);
      writeFileSync(logFile, lines.join(''));
      // Readable only through the adm group, as /var/log files are.
      chownSync(logFile, 0, Number(sh('getent', ['group', 'adm']).split(':')[2]));
      chmodSync(logFile, 0o640);
      const config = join(dir, 'agent.yaml');
      writeFileSync(
        config,
        `kinesis:\n  endpoint: ${local.endpoint}\ncloudwatch.emitMetrics: false\n` +
          `flows:\n  - filePattern: ${join(dir, '*.log')}\n    kinesisStream: ${stream}\n` +
          `    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n`,
        { mode: 0o644 },
      );
      agent = spawn(
        'setpriv',
        ['--reuid=kinesis-agent', '--regid=kinesis-agent', '--init-groups', '--', '/usr/bin/kinesis-agent', '-c', config],
        {
          // No Node.js on PATH: only what systemd would give it.
          env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...LOCAL_AWS_ENV, KINESIS_AGENT_LOG_LEVEL: 'info' },
          stdio: ['ignore', 'pipe', 'pipe'],
          cwd: '/',
        },
      );
      agent.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      agent.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((r) => agent!.on('exit', (code) => r(code)));

      const records = await local.waitFor(stream, (r) => r.length >= lines.length);
      const got = records.map((r) => r.data.toString()).sort();
      expect(got, output).toEqual([...lines].sort());
      // The executable starts Node with its memory flags (sea-config execArgv), with no NODE_OPTIONS.
      expect(output).toContain(`"nodeFlags":${JSON.stringify(NODE_FLAGS)}`);
      // jemalloc where this machine has it (the .deb's Recommends; .ci/run installs it), glibc malloc otherwise.
      const allocator = allocatorOf(readFileSync(`/proc/${agent.pid}/maps`, 'utf8'), readFileSync(`/proc/${agent.pid}/environ`, 'utf8'));
      const jemalloc = JEMALLOC_PATHS.find((p) => existsSync(p));
      process.stderr.write(`packages: the installed agent runs on ${jemalloc ? `jemalloc (${jemalloc})` : 'glibc malloc (no libjemalloc2 here)'}\n`);
      if (jemalloc) {
        expect(allocator, output).toEqual({ jemalloc: [realpathSync(jemalloc)], env: { LD_PRELOAD: jemalloc, MALLOC_CONF: JEMALLOC_CONF } });
      } else {
        expect(allocator, output).toEqual({ jemalloc: [], env: {} });
      }

      agent.kill('SIGTERM');
      expect(await exited, output).toBe(0);
      // Progress lands in the state directory, owned by the service user.
      const checkpoint = modeOf('/var/lib/kinesis-agent/checkpoints');
      expect(checkpoint.uid).toBe(passwd('kinesis-agent')!.uid);
    } finally {
      if (agent && agent.exitCode === null) agent.kill('SIGKILL');
      await local.stop();
    }
  });

  it('reinstalling (an upgrade) keeps an edited agent.yaml', (ctx) => {
    need(ctx, usable && installed, reason || 'not installed');
    const edited = `${readFileSync('/etc/kinesis-agent/agent.yaml', 'utf8')}# edited by the administrator\n`;
    writeFileSync('/etc/kinesis-agent/agent.yaml', edited);
    sh('dpkg', ['-i', artifact('deb')], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    expect(readFileSync('/etc/kinesis-agent/agent.yaml', 'utf8')).toBe(edited);
    expect(modeOf('/etc/kinesis-agent/agent.yaml').mode).toBe('0640');
  });

  it('remove keeps state and configuration; purge deletes them and keeps the system user', (ctx) => {
    need(ctx, usable && installed, reason || 'not installed');
    sh('dpkg', ['--remove', 'kinesis-agent']);
    expect(existsSync('/usr/bin/kinesis-agent')).toBe(false);
    expect(existsSync('/usr/lib/systemd/system/kinesis-agent.service')).toBe(false);
    expect(existsSync('/var/lib/kinesis-agent/checkpoints')).toBe(true);
    expect(existsSync('/etc/kinesis-agent/agent.yaml')).toBe(true);

    sh('dpkg', ['--purge', 'kinesis-agent']);
    expect(dpkgStatus()).not.toContain('installed');
    expect(existsSync('/var/lib/kinesis-agent')).toBe(false);
    expect(existsSync('/etc/kinesis-agent')).toBe(false);
    expect(existsSync('/etc/default/kinesis-agent')).toBe(false);
    // The user stays: files it wrote elsewhere keep a known owner, and its
    // uid is never handed to another account (docs/operations.md).
    expect(passwd('kinesis-agent')).toBeDefined();
  });
});

describe('the .rpm', () => {
  function query(ctx: TestContext, args: string[]): string {
    need(ctx, HAVE.rpm && HAVE.rpmbuild, 'rpm/rpmbuild not found (apt-get install rpm)');
    need(ctx, ARCH !== undefined, `no Node build for ${process.arch}`);
    return sh('rpm', ['-qp', ...args, artifact('rpm')]);
  }

  it('lists the binary, unit, config, sysconfig environment and state directory with their modes and owners', (ctx) => {
    const files = query(ctx, ['--qf', '[%{FILENAMES}|%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags}\n]']);
    const byPath = new Map(
      files
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [path, attrs] = l.split('|');
          return [path!, attrs!] as const;
        }),
    );
    expect(Object.fromEntries(byPath)).toMatchObject({
      '/usr/bin/kinesis-agent': '-rwxr-xr-x root:root ',
      '/usr/lib/systemd/system/kinesis-agent.service': '-rw-r--r-- root:root ',
      '/etc/kinesis-agent/agent.yaml': '-rw-r----- root:kinesis-agent cn',
      '/etc/kinesis-agent/agent.d': 'drwxr-xr-x root:root ',
      '/etc/sysconfig/kinesis-agent': '-rw------- root:root cn',
      '/var/lib/kinesis-agent': 'drwx------ kinesis-agent:kinesis-agent ',
    });
    expect([...byPath.keys()].some((p) => p.startsWith('/etc/default'))).toBe(false);
  });

  it('creates the user in %pre, reloads systemd only when it runs, starts nothing on install', (ctx) => {
    const scripts = query(ctx, ['--scripts']);
    const section = (name: string) => {
      const m = new RegExp(`^${name} scriptlet[^\\n]*:\\n([\\s\\S]*?)(?=^\\w+ scriptlet|(?![\\s\\S]))`, 'm').exec(scripts);
      return m?.[1] ?? '';
    };
    const pre = section('preinstall');
    expect(pre).toMatch(/useradd --system --gid kinesis-agent \$groups/);
    expect(pre).toMatch(/groups="--groups adm"/);
    expect(pre).toMatch(/--shell \/sbin\/nologin/);
    expect(pre).toMatch(/getent passwd kinesis-agent/);
    const post = section('postinstall');
    expect(post).toMatch(/-d \/run\/systemd\/system/);
    expect(post).toMatch(/daemon-reload/);
    expect(post).not.toMatch(/systemctl (start|enable|restart)/);
    expect(section('preuninstall')).toMatch(/"\$1" -eq 0[\s\S]*disable --now kinesis-agent/);
    expect(section('postuninstall')).toMatch(/"\$1" -ge 1[\s\S]*try-restart kinesis-agent/);
    expect(scripts).not.toMatch(/userdel/);
  });

  it('is built for this architecture and needs useradd', (ctx) => {
    const info = query(ctx, ['--qf', '%{NAME} %{VERSION} %{ARCH}\n']);
    expect(info.trim()).toBe(`kinesis-agent ${packageVersion(version())} ${ARCH === 'arm64' ? 'aarch64' : 'x86_64'}`);
    expect(query(ctx, ['--requires'])).toMatch(/\/usr\/sbin\/useradd/);
  });

  it('recommends jemalloc (a weak dependency: the agent uses it when installed) without requiring it', (ctx) => {
    expect(query(ctx, ['--recommends']).trim()).toBe('jemalloc');
    expect(query(ctx, ['--requires'])).not.toMatch(/jemalloc/);
  });
});
