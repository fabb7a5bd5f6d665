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

export function rpmFileName(arch: Arch, release = RPM_RELEASE): string {
  return `${NAME}-${packageVersion(version())}-${release}.${RPM_ARCH[arch]}.rpm`;
}

export interface RpmbuildOptions {
  compression?: Compression;
  /** The RPM Release (default RPM_RELEASE); a higher one upgrades. */
  release?: string;
  /** Where the .rpm goes (default OUT_DIR). */
  outDir?: string;
}

/**
 * Runs rpmbuild on a tree staged by packageFiles() (plus the state
 * directory), with packaging/rpm/kinesis-agent.spec; `top` is rpmbuild's
 * work folder. Returns the .rpm's path. Throws when rpmbuild is missing or fails.
 */
export async function rpmbuildStaged(arch: Arch, stageDir: string, top: string, options: RpmbuildOptions = {}): Promise<string> {
  const rpmbuild = which('rpmbuild');
  if (!rpmbuild) throw new Error('rpmbuild not found: apt-get install rpm (or skip the .rpm)');
  const { compression = 'small', release = RPM_RELEASE, outDir = OUT_DIR } = options;
  mkdirSync(outDir, { recursive: true });
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
      ...define('_rpmdir', outDir),
      ...define('_build_name_fmt', '%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm'),
      ...define('ka_version', packageVersion(version())),
      ...define('ka_release', release),
      ...define('ka_stage', stageDir),
      ...define('use_source_date_epoch_as_buildtime', '1'),
      ...define('clamp_mtime_to_source_date_epoch', '1'),
      ...define('_binary_payload', compression === 'fast' ? 'w1.gzdio' : 'w6T.xzdio'),
      join(PACKAGING_DIR, 'rpm', 'kinesis-agent.spec'),
    ],
    { ...process.env, SOURCE_DATE_EPOCH: sourceDateEpoch() },
  );
  return join(outDir, rpmFileName(arch, release));
}

/** The directory buildRpm() stages the package's files in, for `arch`, under the work folder `buildDir`. */
export function rpmStageDir(arch: Arch, buildDir = BUILD_DIR): string {
  return join(buildDir, `rpm-${arch}`, 'stage');
}

export async function buildRpm(arch: Arch, binary: string, notices: string, compression: Compression = 'small'): Promise<string> {
  const stageDir = rpmStageDir(arch);
  stage(stageDir, packageFiles(binary, 'rpm', notices));
  mkdirSync(join(stageDir, 'var', 'lib', 'kinesis-agent'), { recursive: true, mode: 0o700 });
  const out = await rpmbuildStaged(arch, stageDir, join(BUILD_DIR, `rpm-${arch}`), { compression });
  log(`rpm ${relative(ROOT, out)}: ${(statSync(out).size / 1024 / 1024).toFixed(1)} MiB`);
  return out;
}
