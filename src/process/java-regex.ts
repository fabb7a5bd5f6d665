/**
 * Java regular expressions (java.util.regex.Pattern, what the Kinesis Agent
 * compiles for `delimiter`, `matchPattern`, `multiLineStartPattern` and
 * `fileFooterPattern`) translated to JavaScript ones.
 *
 * JavaScript reads nearly all of Java's syntax the same. Translated here:
 * a leading inline flag group `(?i)`, `(?s)`, `(?m)` (as flags); `\Q...\E`
 * quoting; `\h`; `\A`, `\z`, `\Z`; the POSIX classes `\p{Alpha}`,
 * `\p{Digit}`, `\p{Alnum}`, `\p{Upper}`, `\p{Lower}`, `\p{Punct}`,
 * `\p{Space}`, `\p{Blank}` and their `\P{...}` negations outside a class;
 * possessive quantifiers (`*+`) and atomic groups (`(?>...)`), which become
 * their greedy and plain forms: they match the same text except where a
 * pattern relies on refusing to backtrack. A leading `(?x)` (comments
 * mode) has its whitespace and `#` comments removed first, as Java ignores
 * them. Refused: class intersections (`&&`), which JavaScript would read
 * differently without a word.
 */
export type Translated = { ok: true; source: string; flags: string } | { ok: false; message: string; hint: string };

const POSIX: Record<string, string> = {
  Lower: 'a-z',
  Upper: 'A-Z',
  Alpha: 'a-zA-Z',
  Digit: '0-9',
  Alnum: 'a-zA-Z0-9',
  Punct: '!-\\/:-@\\[-`{-~',
  Space: ' \\t\\n\\x0B\\f\\r',
  Blank: ' \\t',
};

const HORIZONTAL_SPACE = ' \\t\\xA0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000';

/** Characters that mean something in a JavaScript pattern outside a class. */
const META = /[\\^$.|?*+()[\]{}]/g;
/** ...and inside one. */
const CLASS_META = /[\\\]^-]/g;

export function translateJavaRegex(java: string): Translated {
  let body = java;
  let flags = '';
  const inline = /^\(\?([imsux]+)\)/.exec(body);
  if (inline) {
    const f = inline[1]!;
    flags = [...new Set(f.replace(/[ux]/g, ''))].join('');
    body = body.slice(inline[0].length);
    if (f.includes('x')) body = withoutComments(body);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      const n = body[i + 1];
      if (n === undefined) {
        out += c;
        continue;
      }
      if (n === 'Q') {
        const end = body.indexOf('\\E', i + 2);
        const text = body.slice(i + 2, end === -1 ? body.length : end);
        out += text.replace(inClass ? CLASS_META : META, '\\$&');
        i = end === -1 ? body.length : end + 1;
        continue;
      }
      if (n === 'h') {
        out += inClass ? HORIZONTAL_SPACE : `[${HORIZONTAL_SPACE}]`;
        i++;
        continue;
      }
      if ((n === 'p' || n === 'P') && body[i + 2] === '{') {
        const close = body.indexOf('}', i + 3);
        const name = close === -1 ? '' : body.slice(i + 3, close).replace(/^Is/, '');
        const cls = POSIX[name];
        if (cls === undefined || (n === 'P' && inClass)) {
          return { ok: false, message: `\\${n}{${name}} is not supported`, hint: `write the characters as a class, e.g. [a-zA-Z] for \\p{Alpha}` };
        }
        out += inClass ? cls : `[${n === 'P' ? '^' : ''}${cls}]`;
        i = close;
        continue;
      }
      if (!inClass && (n === 'A' || n === 'z')) {
        out += n === 'A' ? '^' : '$';
        i++;
        continue;
      }
      if (!inClass && n === 'Z') {
        out += '(?=\\n?$)';
        i++;
        continue;
      }
      out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '&' && body[i + 1] === '&') return { ok: false, message: 'class intersection (&&) is not supported', hint: 'list the characters the class should match' };
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A `]` or `^]` right after the opening bracket is a literal in Java.
      if (body[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (body[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && body.startsWith('(?>', i)) {
      out += '(?:';
      i += 2;
      continue;
    }
    out += c;
    if ((c === '*' || c === '+' || c === '?' || c === '}') && body[i + 1] === '+') i++;
  }
  return { ok: true, source: out, flags };
}

/**
 * A Java pattern in comments mode (Pattern.COMMENTS, `(?x)`) as the same
 * pattern without it: Java ignores whitespace and a `#` to the end of the
 * line everywhere but after a backslash and in `\Q...\E`, inside character
 * classes too. An escaped space or `#` is the character itself.
 */
/** The whitespace Java's comments mode ignores (ASCII only, Pattern.COMMENTS). */
const COMMENTS_SPACE = /[ \t\n\v\f\r]/;

function withoutComments(java: string): string {
  let out = '';
  for (let i = 0; i < java.length; i++) {
    const c = java[i]!;
    if (c === '\\') {
      const n = java[i + 1];
      if (n === 'Q') {
        const end = java.indexOf('\\E', i + 2);
        const stop = end === -1 ? java.length : end + 2;
        out += java.slice(i, stop);
        i = stop - 1;
      } else if (n !== undefined && (COMMENTS_SPACE.test(n) || n === '#')) {
        out += n === '#' ? '#' : `\\x${n.charCodeAt(0).toString(16).padStart(2, '0')}`;
        i++;
      } else {
        out += c + (n ?? '');
        i++;
      }
      continue;
    }
    if (c === '#') {
      while (i + 1 < java.length && java[i + 1] !== '\n') i++;
      continue;
    }
    if (COMMENTS_SPACE.test(c)) continue;
    out += c;
  }
  return out;
}

/**
 * The fixed text a pattern matches when it matches only that text (`,`,
 * `\t`, `\|`, `::`, `\Q|\E`), else undefined. Lets a plain delimiter split
 * with indexOf instead of a regular expression.
 */
export function literalOf(javaSource: string): string | undefined {
  let out = '';
  for (let i = 0; i < javaSource.length; i++) {
    const c = javaSource[i]!;
    if (c !== '\\') {
      if ('^$.|?*+()[]{}'.includes(c)) return undefined;
      out += c;
      continue;
    }
    const n = javaSource[i + 1];
    if (n === undefined) return undefined;
    i++;
    if (n === 'Q') {
      const end = javaSource.indexOf('\\E', i + 1);
      out += javaSource.slice(i + 1, end === -1 ? javaSource.length : end);
      i = end === -1 ? javaSource.length : end + 1;
    } else if (n === 't') out += '\t';
    else if (n === 'n') out += '\n';
    else if (n === 'r') out += '\r';
    else if (n === 'f') out += '\f';
    else if (/[A-Za-z0-9]/.test(n)) return undefined;
    else out += n;
  }
  return out;
}
