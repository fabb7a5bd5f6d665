/**
 * A `filePattern` as the Kinesis Agent reads it: a Java glob
 * (FileSystem.getPathMatcher("glob:...")), in which `*`, `**`, `?`,
 * `[...]` and `{a,b}` are special, `[!...]` is a negated class, and every
 * other character stands for itself. picomatch, which matches patterns
 * here, also reads `(`, `)`, `+`, `@`, `!` and `|` as extglob and regex
 * syntax, so `/var/log/app(1)*.log` matched nothing and `[!a]` was not a
 * negation. This turns a Java glob into the picomatch pattern that means the
 * same: those characters escaped outside a class, `[!` written `[^`.
 */
export function javaGlobToPicomatch(glob: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) {
      out += c + glob[++i]!;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[' && glob.indexOf(']', i + 2) !== -1) {
      inClass = true;
      out += glob[i + 1] === '!' ? '[^' : '[';
      if (glob[i + 1] === '!') i++;
      continue;
    }
    out += LITERAL_IN_JAVA.has(c) ? `\\${c}` : c;
  }
  return out;
}

/** Characters a Java glob takes as themselves and picomatch does not. */
const LITERAL_IN_JAVA = new Set(['(', ')', '+', '@', '!', '|']);

/** A picomatch pattern's text with its escapes removed: the path a plain (non-glob) pattern names. */
export function unescapeGlob(pattern: string): string {
  return pattern.replace(/\\(.)/g, '$1');
}
