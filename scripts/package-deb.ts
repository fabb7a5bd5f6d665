/**
 * Builds out/packages/kinesis-agent_<version>-1_<arch>.deb with dpkg-deb
 * from the executable built by scripts/package-sea.ts.
 */
import { copyFileSync, createReadStream, mkdirSync, readdirSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { join, relative } from 'node:path';
import {
  type Arch,
  type Compression,
  BUILD_DIR,
  DEB_ARCH,
  DESCRIPTION,
  ENV_FILE,
  log,
  MAINTAINER,
  NAME,
  OUT_DIR,
  PACKAGING_DIR,
  packageFiles,
  packageVersion,
  ROOT,
  runAsync,
  sourceDateEpoch,
  stage,
  SUMMARY,
  version,
  which,
} from './package-lib.ts';

export const DEB_REVISION = '1';

export function debFileName(arch: Arch): string {
  return `${NAME}_${packageVersion(version())}-${DEB_REVISION}_${DEB_ARCH[arch]}.deb`;
}

async function md5(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path, base));
    else out.push(relative(base, path));
  }
  return out.sort();
}

function duKiB(dir: string): number {
  let bytes = 0;
  for (const f of listFiles(dir)) bytes += statSync(join(dir, f)).size;
  return Math.ceil(bytes / 1024);
}

/** A one-entry changelog.Debian.gz, as dpkg tools and policy expect. */
function writeChangelog(root: string): void {
  const date = new Date(Number(sourceDateEpoch()) * 1000).toUTCString().replace('GMT', '+0000');
  const text = [
    `${NAME} (${packageVersion(version())}-${DEB_REVISION}) stable; urgency=medium`,
    '',
    `  * kinesis-agent ${version()}.`,
    '',
    ` -- ${MAINTAINER}  ${date}`,
    '',
  ].join('\n');
  const file = join(root, 'usr', 'share', 'doc', NAME, 'changelog.Debian.gz');
  writeFileSync(file, gzipSync(text, { level: 9 }));
  chmodSync(file, 0o644);
}

export async function buildDeb(arch: Arch, binary: string, notices: string, compression: Compression = 'small'): Promise<string> {
  const dpkgDeb = which('dpkg-deb');
  if (!dpkgDeb) throw new Error('dpkg-deb not found: apt-get install dpkg (or skip the .deb)');
  const root = join(BUILD_DIR, `deb-${arch}`);
  stage(root, packageFiles(binary, 'deb', notices));

  writeChangelog(root);
  const data = listFiles(root);
  const debian = join(root, 'DEBIAN');
  mkdirSync(debian, { mode: 0o755 });
  const control = [
    `Package: ${NAME}`,
    `Version: ${packageVersion(version())}-${DEB_REVISION}`,
    `Architecture: ${DEB_ARCH[arch]}`,
    `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${duKiB(root)}`,
    // The embedded Node 24 links these dynamically (glibc 2.28, GLIBCXX 3.4.21).
    'Depends: libc6 (>= 2.28), libstdc++6 (>= 5), libgcc-s1 | libgcc1, passwd',
    // The agent runs on jemalloc when it finds it (src/allocator.ts), on glibc malloc otherwise.
    'Recommends: libjemalloc2',
    'Section: admin',
    'Priority: optional',
    `Description: ${SUMMARY}`,
    ...DESCRIPTION.map((l) => ` ${l}`),
    '',
  ].join('\n');
  writeFileSync(join(debian, 'control'), control, { mode: 0o644 });
  writeFileSync(join(debian, 'conffiles'), `/etc/kinesis-agent/agent.yaml\n/${ENV_FILE.deb}\n`, { mode: 0o644 });
  const sums: string[] = [];
  for (const f of data) sums.push(`${await md5(join(root, f))}  ${f}`);
  writeFileSync(join(debian, 'md5sums'), `${sums.join('\n')}\n`, { mode: 0o644 });
  for (const script of ['postinst', 'prerm', 'postrm']) {
    const target = join(debian, script);
    copyFileSync(join(PACKAGING_DIR, 'deb', script), target);
    chmodSync(target, 0o755);
  }

  mkdirSync(OUT_DIR, { recursive: true });
  const out = join(OUT_DIR, debFileName(arch));
  const compress = compression === 'fast' ? ['-Zgzip', '-z1'] : ['-Zxz', '-z6'];
  await runAsync(dpkgDeb, ['--root-owner-group', ...compress, '--build', root, out], {
    ...process.env,
    SOURCE_DATE_EPOCH: sourceDateEpoch(),
  });
  log(`deb ${relative(ROOT, out)}: ${(statSync(out).size / 1024 / 1024).toFixed(1)} MiB`);
  return out;
}
