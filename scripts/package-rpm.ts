/**
 * Builds out/packages/kinesis-agent-<version>-1.<arch>.rpm with rpmbuild
 * (Debian's `rpm` package provides it) from the executable built by
 * scripts/package-sea.ts and packaging/rpm/kinesis-agent.spec.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  type Arch,
  type Compression,
  BUILD_DIR,
  log,
  NAME,
  OUT_DIR,
  PACKAGING_DIR,
  packageFiles,
  packageVersion,
  ROOT,
  RPM_ARCH,
  runAsync,
  sourceDateEpoch,
  stage,
  version,
  which,
} from './package-lib.ts';

export const RPM_RELEASE = '1';

export function rpmFileName(arch: Arch): string {
  return `${NAME}-${packageVersion(version())}-${RPM_RELEASE}.${RPM_ARCH[arch]}.rpm`;
}

export async function buildRpm(arch: Arch, binary: string, notices: string, compression: Compression = 'small'): Promise<string> {
  const rpmbuild = which('rpmbuild');
  if (!rpmbuild) throw new Error('rpmbuild not found: apt-get install rpm (or skip the .rpm)');
  const top = join(BUILD_DIR, `rpm-${arch}`);
  const stageDir = join(top, 'stage');
  stage(stageDir, packageFiles(binary, 'rpm', notices));
  mkdirSync(join(stageDir, 'var', 'lib', 'kinesis-agent'), { recursive: true, mode: 0o700 });
  mkdirSync(OUT_DIR, { recursive: true });
  const define = (k: string, v: string) => ['--define', `${k} ${v}`];
  await runAsync(
    rpmbuild,
    [
      '-bb',
      '--nodeps',
      '--quiet',
      '--target',
      `${RPM_ARCH[arch]}-linux`,
      ...define('_topdir', top),
      ...define('_rpmdir', OUT_DIR),
      ...define('_build_name_fmt', '%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm'),
      ...define('ka_version', packageVersion(version())),
      ...define('ka_release', RPM_RELEASE),
      ...define('ka_stage', stageDir),
      ...define('use_source_date_epoch_as_buildtime', '1'),
      ...define('clamp_mtime_to_source_date_epoch', '1'),
      ...define('_binary_payload', compression === 'fast' ? 'w1.gzdio' : 'w6T.xzdio'),
      join(PACKAGING_DIR, 'rpm', 'kinesis-agent.spec'),
    ],
    { ...process.env, SOURCE_DATE_EPOCH: sourceDateEpoch() },
  );
  const out = join(OUT_DIR, rpmFileName(arch));
  log(`rpm ${relative(ROOT, out)}: ${(statSync(out).size / 1024 / 1024).toFixed(1)} MiB`);
  return out;
}
