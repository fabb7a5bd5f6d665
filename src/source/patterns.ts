import picomatch from 'picomatch';
import { glob } from 'tinyglobby';
import { isCompressedName } from './compressed.js';

interface Root {
  /** The directory part without glob characters. */
  base: string;
  /** The rest, relative to base; '' for a plain path. */
  glob: string;
  /** How deep below base a match can be; undefined with `**`. */
  depth: number | undefined;
}

/**
 * A flow's filePatterns and excludePatterns, compiled once. `*` stays inside
 * one directory; `**` crosses any number of them.
 */
export class PatternSet {
  readonly roots: Root[];
  private readonly include: picomatch.Matcher;
  private readonly exclude: picomatch.Matcher | undefined;

  constructor(filePatterns: string[], excludePatterns: string[]) {
    this.roots = filePatterns.map((p) => {
      const s = picomatch.scan(p);
      if (!s.isGlob) return { base: p, glob: '', depth: 0 };
      const depth = s.glob.includes('**') ? undefined : s.glob.split('/').length - 1;
      return { base: s.base || '/', glob: s.glob, depth };
    });
    this.include = picomatch(filePatterns, { dot: true });
    this.exclude = excludePatterns.length > 0 ? picomatch(excludePatterns, { dot: true }) : undefined;
  }

  /** Would a file at this path be tailed? */
  matches(path: string): boolean {
    return this.include(path) && !(this.exclude?.(path) ?? false) && !isCompressedName(path);
  }

  /** Every existing path that matches, deduplicated, sorted. */
  async list(): Promise<string[]> {
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
    return [...found].filter((p) => this.matches(p)).sort();
  }
}
