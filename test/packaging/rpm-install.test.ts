/**
 * The .rpm installed for real: `rpm -i` into a Debian root with its own RPM
 * database (/var/lib/rpm, as on RHEL), where the scriptlets run with the
 * root's own shell, getent, groupadd and useradd (systemd-nspawn, not
 * booted: the scriptlets' "is systemd running" branches stay quiet, as in
 * an image build). Then an upgrade to a higher release whose packaged
 * agent.yaml changed, and erase.
 *
 * Dependencies are not resolved (--nodeps): this database knows nothing of
 * the Debian packages that provide glibc and the tools; the test checks
 * instead that every requirement the package does not provide itself is a
 * library or a file the root has.
 */
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfig } from '../../scripts/package-lib.ts';
import { rpmbuildStaged, rpmStageDir } from '../../scripts/package-rpm.ts';
import { type Artifacts, builtPackages } from './support/artifacts.ts';
import { missing, need } from './support/host.ts';
import { debianRootfs, inRoot, type Overlay, overlay, ROOTFS_TOOLS } from './support/rootfs.ts';

const reason = missing({ ...ROOTFS_TOOLS, rpmbuild: 'rpm' });
const CONFIG = '/etc/kinesis-agent/agent.yaml';
let work = '';
let ov: Overlay | undefined;
let artifacts: Artifacts | undefined;

beforeAll(async () => {
  if (reason) return;
  const rootfs = await debianRootfs();
  artifacts = await builtPackages();
  work = mkdtempSync(join(tmpdir(), 'ka-rpm-'));
  // Release 2: the same files, but the packaged agent.yaml changed, which is
  // when %config(noreplace) matters.
  const stage = join(work, 'stage');
  cpSync(rpmStageDir(artifacts.arch, artifacts.buildDir), stage, { recursive: true });
  appendFileSync(join(stage, CONFIG), '# changed in release 2\n');
  const upgrade = await rpmbuildStaged(artifacts.arch, stage, join(work, 'rpmbuild'), {
    compression: 'fast',
    release: '2',
    outDir: join(work, 'out'),
  });
  ov = overlay(rootfs, join(work, 'overlay'));
  copyFileSync(artifacts.rpm!, join(ov.root, 'root', 'kinesis-agent-1.rpm'));
  copyFileSync(upgrade, join(ov.root, 'root', 'kinesis-agent-2.rpm'));
  rpm('--initdb');
}, 600_000);

afterAll(() => {
  ov?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** rpm inside the root, on its own database. */
function rpm(...args: string[]): string {
  return inRoot(ov!.root, ['rpm', '--dbpath', '/var/lib/rpm', ...args]);
}

function inside(path: string): string {
  return join(ov!.root, path);
}

function owner(path: string): string {
  return inRoot(ov!.root, ['stat', '-c', '%a %U:%G', path]).trim();
}

describe('the .rpm, installed with rpm -i into a root of its own', () => {
  const ready = (ctx: Parameters<typeof need>[0]) => need(ctx, reason === '' && ov !== undefined, reason || 'no root');

  it('installs: %pre creates the system user (no login, in adm), files land with their modes and owners', (ctx) => {
    ready(ctx);
    rpm('-i', '--nodeps', '/root/kinesis-agent-1.rpm');
    expect(rpm('-q', 'kinesis-agent').trim()).toMatch(/^kinesis-agent-[\d.~]+-1\./);

    const [, , uid, gid, , home, shell] = inRoot(ov!.root, ['getent', 'passwd', 'kinesis-agent']).trim().split(':');
    expect(Number(uid)).toBeLessThan(1000);
    expect({ home, shell }).toEqual({ home: '/var/lib/kinesis-agent', shell: '/sbin/nologin' });
    expect(Number(gid)).toBe(Number(inRoot(ov!.root, ['getent', 'group', 'kinesis-agent']).split(':')[2]));
    expect(inRoot(ov!.root, ['id', '-nG', 'kinesis-agent']).trim().split(/\s+/).sort()).toEqual(['adm', 'kinesis-agent']);

    expect({
      binary: owner('/usr/bin/kinesis-agent'),
      unit: owner('/usr/lib/systemd/system/kinesis-agent.service'),
      config: owner(CONFIG),
      dropIns: owner('/etc/kinesis-agent/agent.d'),
      environment: owner('/etc/sysconfig/kinesis-agent'),
      state: owner('/var/lib/kinesis-agent'),
    }).toEqual({
      binary: '755 root:root',
      unit: '644 root:root',
      config: '640 root:kinesis-agent',
      dropIns: '755 root:root',
      environment: '600 root:root',
      state: '700 kinesis-agent:kinesis-agent',
    });
    expect(readFileSync(inside(CONFIG), 'utf8')).toBe(readFileSync(exampleConfig(), 'utf8'));
    expect(existsSync(inside('/etc/default/kinesis-agent'))).toBe(false);
    // Digests, sizes, modes and owners as the database recorded them.
    expect(rpm('-V', '--nodeps', 'kinesis-agent')).toBe('');
    expect(inRoot(ov!.root, ['/usr/bin/kinesis-agent', '--version']).trim()).toMatch(/^kinesis-agent /);
    // Nothing enabled: it is not configured yet.
    expect(existsSync(inside('/etc/systemd/system/multi-user.target.wants/kinesis-agent.service'))).toBe(false);
  });

  it('needs nothing it does not provide but libraries and files the system has', (ctx) => {
    ready(ctx);
    const provides = new Set(rpm('-q', '--provides', 'kinesis-agent').split('\n').map((l) => l.split(/\s/)[0]));
    const external = rpm('-q', '--requires', 'kinesis-agent')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/\s/)[0]!)
      .filter((name) => !provides.has(name) && !/^(rpmlib|rtld)\(/.test(name) && !/\.so[.(\d]/.test(name));
    for (const file of external) {
      expect(file, `requirement ${file}`).toMatch(/^\//);
      expect(existsSync(inside(file)), file).toBe(true);
    }
  });

  it('upgrading keeps the edited agent.yaml (%config(noreplace)) and puts the new one beside it as .rpmnew', (ctx) => {
    ready(ctx);
    const edited = `${readFileSync(inside(CONFIG), 'utf8')}# edited by the administrator\n`;
    appendFileSync(inside(CONFIG), '# edited by the administrator\n');
    const uid = inRoot(ov!.root, ['id', '-u', 'kinesis-agent']).trim();
    rpm('-U', '--nodeps', '/root/kinesis-agent-2.rpm');
    expect(rpm('-q', 'kinesis-agent').trim()).toMatch(/-2\.\w+$/);
    expect(readFileSync(inside(CONFIG), 'utf8')).toBe(edited);
    expect(readFileSync(inside(`${CONFIG}.rpmnew`), 'utf8')).toContain('# changed in release 2');
    expect(owner(CONFIG)).toBe('640 root:kinesis-agent');
    // The user is reused, not created again.
    expect(inRoot(ov!.root, ['id', '-u', 'kinesis-agent']).trim()).toBe(uid);
  });

  it('erase removes the files, keeps the edited config as .rpmsave, the state and the user', (ctx) => {
    ready(ctx);
    // Progress the agent would have written.
    inRoot(ov!.root, ['install', '-o', 'kinesis-agent', '-m', '0600', '/dev/null', '/var/lib/kinesis-agent/checkpoints']);
    rpm('-e', '--nodeps', 'kinesis-agent');
    expect(() => rpm('-q', 'kinesis-agent')).toThrow(/not installed/);
    expect(existsSync(inside('/usr/bin/kinesis-agent'))).toBe(false);
    expect(existsSync(inside('/usr/lib/systemd/system/kinesis-agent.service'))).toBe(false);
    expect(readFileSync(inside(`${CONFIG}.rpmsave`), 'utf8')).toContain('# edited by the administrator');
    expect(statSync(inside('/var/lib/kinesis-agent/checkpoints')).isFile()).toBe(true);
    expect(inRoot(ov!.root, ['getent', 'passwd', 'kinesis-agent'])).toContain('kinesis-agent');
  });
});
