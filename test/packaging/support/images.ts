/**
 * Stand-ins for the public base images packaging/container/Dockerfile
 * defaults to, made from the debootstrapped root with no registry (the
 * recipe docs/install.md gives users without one):
 *  - build:   Debian bookworm with Node.js 24 and npm in /usr/local, as in
 *             node:24-bookworm (the repository's Node 24, this machine's npm
 *             and its CA certificates, so npm reaches the registry the way
 *             this machine does);
 *  - runtime: distroless-style, as gcr.io/distroless/cc-debian12:nonroot:
 *             the libraries the Node binary links, /etc/passwd with root and
 *             nonroot (65532), CA certificates, /tmp; no shell;
 *  - app:     the whole root, a shell for the stand-in application.
 * Imported once per machine and root (podman import), under a lock.
 */
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT, which } from '../../../scripts/package-lib.ts';
import { machineLock, sh, shAsync, tryRun } from './host.ts';

export interface BaseImages {
  build: string;
  runtime: string;
  app: string;
}

const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');

function npmPackageDir(): string {
  const npm = which('npm');
  if (!npm) throw new Error('npm not found on PATH');
  // .../node_modules/npm/bin/npm-cli.js
  return dirname(dirname(realpathSync(npm)));
}

function exists(image: string): boolean {
  return tryRun('podman', ['image', 'exists', image]).code === 0;
}

/** tar of `dir` (plus `extra`, relative to `extraDir`) into `podman import`. */
async function importTree(image: string, dir: string, extraDir?: string, extra: string[] = [], exclude: string[] = []): Promise<void> {
  const excludes = exclude.map((e) => `--exclude=${e}`).join(' ');
  const more = extraDir ? `-C '${extraDir}' ${extra.map((e) => `'${e}'`).join(' ')}` : '';
  await shAsync('sh', ['-c', `tar -c ${excludes} -C '${dir}' . ${more} | podman import - '${image}' >/dev/null`]);
}

/** The distroless-style tree: `ldd`'s libraries of the Node binary, resolved inside `rootfs`. */
function runtimeTree(rootfs: string, dir: string): void {
  const libs = sh('ldd', [NODE])
    .split('\n')
    .map((l) => /(\S+\.so[^\s]*)\s+(?:=>\s+(\S+))?/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => m[2] ?? m[1]!)
    .filter((p) => p.startsWith('/'));
  for (const lib of libs) {
    // usr-merged: /lib/x86_64-linux-gnu/x is /usr/lib/x86_64-linux-gnu/x.
    const path = lib.replace(/^\/(lib|lib64)\//, '/usr/$1/');
    mkdirSync(join(dir, dirname(path)), { recursive: true });
    copyFileSync(realpathSync(join(rootfs, path)), join(dir, path));
  }
  for (const l of ['lib', 'lib64', 'bin', 'sbin']) symlinkSync(`usr/${l}`, join(dir, l));
  mkdirSync(join(dir, 'etc', 'ssl', 'certs'), { recursive: true });
  copyFileSync(join(rootfs, 'etc', 'ssl', 'certs', 'ca-certificates.crt'), join(dir, 'etc', 'ssl', 'certs', 'ca-certificates.crt'));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nnonroot:x:65532:\n');
  mkdirSync(join(dir, 'tmp'));
  chmodSync(join(dir, 'tmp'), 0o1777);
  mkdirSync(join(dir, 'home', 'nonroot'), { recursive: true });
  chownSync(join(dir, 'home', 'nonroot'), 65532, 65532);
}

/** The Node 24 + npm additions to the build image, under `dir`. */
function buildTree(dir: string): string[] {
  mkdirSync(join(dir, 'usr', 'local', 'bin'), { recursive: true });
  mkdirSync(join(dir, 'usr', 'local', 'etc'), { recursive: true });
  copyFileSync(NODE, join(dir, 'usr', 'local', 'bin', 'node'));
  chmodSync(join(dir, 'usr', 'local', 'bin', 'node'), 0o755);
  cpSync(npmPackageDir(), join(dir, 'usr', 'local', 'lib', 'node_modules', 'npm'), { recursive: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(dir, 'usr', 'local', 'bin', 'npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(dir, 'usr', 'local', 'bin', 'npx'));
  // npm trusts what this machine trusts (a TLS-inspecting proxy's CA included).
  writeFileSync(join(dir, 'usr', 'local', 'etc', 'npmrc'), 'cafile=/etc/ssl/certs/ca-certificates.crt\n');
  mkdirSync(join(dir, 'etc', 'ssl', 'certs'), { recursive: true });
  copyFileSync('/etc/ssl/certs/ca-certificates.crt', join(dir, 'etc', 'ssl', 'certs', 'ca-certificates.crt'));
  return ['usr/local/bin/node', 'usr/local/bin/npm', 'usr/local/bin/npx', 'usr/local/lib/node_modules', 'usr/local/etc/npmrc', 'etc/ssl/certs/ca-certificates.crt'];
}

/**
 * The three base images for `rootfs`, imported on first use.
 * Throws when podman fails.
 */
export async function baseImages(rootfs: string): Promise<BaseImages> {
  const key = createHash('sha256')
    .update(rootfs)
    .update(readFileSync(join(npmPackageDir(), 'package.json')))
    .update(sh(NODE, ['--version']))
    .update(readFileSync('/etc/ssl/certs/ca-certificates.crt'))
    .digest('hex')
    .slice(0, 12);
  const images: BaseImages = {
    build: `localhost/kinesis-agent-test/node:24-bookworm-${key}`,
    runtime: `localhost/kinesis-agent-test/cc-debian12:nonroot-${key}`,
    app: `localhost/kinesis-agent-test/bookworm:${key}`,
  };
  if (Object.values(images).every(exists)) return images;
  const release = await machineLock(join(tmpdir(), 'kinesis-agent-images.lock'));
  const work = mkdtempSync(join(tmpdir(), 'ka-images-'));
  try {
    if (!exists(images.app)) await importTree(images.app, rootfs);
    if (!exists(images.build)) {
      const extra = join(work, 'build');
      const paths = buildTree(extra);
      await importTree(images.build, rootfs, extra, paths, ['./etc/ssl/certs/ca-certificates.crt']);
    }
    if (!exists(images.runtime)) {
      const tree = join(work, 'runtime');
      mkdirSync(tree);
      runtimeTree(rootfs, tree);
      await importTree(images.runtime, tree);
    }
    return images;
  } finally {
    rmSync(work, { recursive: true, force: true });
    release();
  }
}
