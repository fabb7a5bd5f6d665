import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import picomatch from 'picomatch';
import { glob } from 'tinyglobby';
import { isCompressedName } from './compressed.js';
import type { FilePath } from './identity.js';
import { javaGlobToPicomatch, unescapeGlob } from '../config/java-glob.js';

const REPLACEMENT = '\uFFFD';

interface Root {
  /** The directory part without glob characters. */
  base: string;
  /** The rest, relative to base; '' for a plain path. */
  glob: string;
  /** How deep below base a match can be; undefined with `**`. */
  depth: number | undefined;
}

/**
 * A flow's filePatterns and excludePatterns, compiled once, read as the
 * Kinesis Agent's Java globs (javaGlobToPicomatch). `*` stays inside one
 * directory; `**` crosses any number of them.
 */
export class PatternSet {
  readonly roots: Root[];
  private readonly include: picomatch.Matcher;
  private readonly exclude: picomatch.Matcher | undefined;

  constructor(filePatterns: string[], excludePatterns: string[]) {
    const include = filePatterns.map(javaGlobToPicomatch);
    const exclude = excludePatterns.map(javaGlobToPicomatch);
    this.roots = include.map((p) => {
      const s = picomatch.scan(p);
      if (!s.isGlob) return { base: unescapeGlob(p), glob: '', depth: 0 };
      const depth = s.glob.includes('**') ? undefined : s.glob.split('/').length - 1;
      return { base: unescapeGlob(s.base) || '/', glob: s.glob, depth };
    });
    this.include = picomatch(include, { dot: true });
    this.exclude = exclude.length > 0 ? picomatch(exclude, { dot: true }) : undefined;
  }

  /** Would a file at this path be tailed? */
  matches(path: string): boolean {
    return this.include(path) && !(this.exclude?.(path) ?? false) && !isCompressedName(path);
  }

  /**
   * Every existing path that matches, deduplicated, sorted. A file name that
   * is not valid UTF-8 comes back as its raw bytes (a Buffer).
   */
  async list(): Promise<FilePath[]> {
    const found = new Set<string>();
    await Promise.all(
      this.roots.map(async (r) => {
        if (r.glob === '') {
          found.add(r.base);
          return;
        }
        try {
          const paths = await glob(r.glob, {
            cwd: r.base,
            absolute: true,
            dot: true,
            onlyFiles: true,
            followSymbolicLinks: true,
            expandDirectories: false,
          });
          for (const p of paths) found.add(p);
        } catch {
          // A base directory that does not exist (yet) matches nothing.
        }
      }),
    );
    const matched = [...found].filter((p) => this.matches(p)).sort();
    if (!matched.some((p) => p.includes(REPLACEMENT))) return matched;
    return this.recoverRawNames(matched);
  }

  /**
   * The listing decodes names as UTF-8; one that is not comes back with
   * U+FFFD in it and cannot be opened. Such names are read again as bytes
   * from their directory.
   */
  private async recoverRawNames(paths: string[]): Promise<FilePath[]> {
    const out: FilePath[] = [];
    const rawByDir = new Map<string, Buffer[]>();
    for (const p of paths) {
      if (!p.includes(REPLACEMENT)) {
        out.push(p);
        continue;
      }
      const dir = dirname(p);
      let names = rawByDir.get(dir);
      if (!names) {
        names = await readdir(dir, { encoding: 'buffer' }).catch(() => [] as Buffer[]);
        rawByDir.set(dir, names);
      }
      const prefix = Buffer.from(dir === '/' ? '/' : `${dir}/`);
      for (const name of names) {
        if (`${dir === '/' ? '' : dir}/${name.toString('utf8')}` === p) out.push(Buffer.concat([prefix, name]));
      }
    }
    return out;
  }
}
