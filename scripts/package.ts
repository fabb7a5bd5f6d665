/**
 * `npm run package`: the self-contained executable for each architecture,
 * and from it a .deb and an .rpm, all in out/packages/ with SHA256SUMS.
 *
 *   npm run package                         x64 and arm64 (arm64 when its Node can be fetched)
 *   npm run package -- --arch x64           one architecture
 *   npm run package -- --formats deb        only some package formats (deb, rpm, none)
 *   npm run package -- --fast               gzip -1 instead of xz -6 (tests, local builds)
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { buildDeb } from './package-deb.ts';
import { type Arch, ARCHES, type Compression, compressionFrom, log, nativeArch, OUT_DIR, ROOT } from './package-lib.ts';
import { buildRpm } from './package-rpm.ts';
import { buildBinary, bundle, NOTICES, nodeBinaryFor, parseArches } from './package-sea.ts';

type Format = 'deb' | 'rpm';

function parseFormats(argv: string[]): Format[] {
  const i = argv.indexOf('--formats');
  if (i < 0) return ['deb', 'rpm'];
  const list = (argv[i + 1] ?? '').split(',').filter((f) => f && f !== 'none');
  for (const f of list) if (f !== 'deb' && f !== 'rpm') throw new Error(`unknown format ${f} (deb, rpm, none)`);
  return list as Format[];
}

export async function packageAll(arches: Arch[] | undefined, formats: Format[], compression: Compression = 'small'): Promise<string[]> {
  const explicit = arches !== undefined;
  const wanted = arches ?? [...ARCHES].sort((a) => (a === nativeArch() ? -1 : 1));
  await bundle();
  const outputs: string[] = [];
  for (const arch of wanted) {
    if (!explicit && arch !== nativeArch()) {
      // The other architecture is a bonus: build it when its Node can be had.
      try {
        nodeBinaryFor(arch);
      } catch (err) {
        log(`skipping linux-${arch}: ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
    }
    const binary = await buildBinary(arch);
    outputs.push(binary);
    const packages: Array<Promise<string>> = [];
    if (formats.includes('deb')) packages.push(buildDeb(arch, binary, NOTICES, compression));
    if (formats.includes('rpm')) packages.push(buildRpm(arch, binary, NOTICES, compression));
    outputs.push(...(await Promise.all(packages)));
  }
  const sums = outputs.map((f) => `${createHash('sha256').update(readFileSync(f)).digest('hex')}  ${basename(f)}`);
  writeFileSync(join(OUT_DIR, 'SHA256SUMS'), `${sums.join('\n')}\n`);
  log(`done: ${relative(ROOT, OUT_DIR)}/ (${outputs.map((f) => basename(f)).join(', ')}, SHA256SUMS)`);
  return outputs;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const argv = process.argv.slice(2);
  await packageAll(parseArches(argv), parseFormats(argv), compressionFrom(argv));
}
