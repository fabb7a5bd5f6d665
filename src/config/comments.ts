/**
 * `//` and `/* *\/` comments in a JSON config, which the Kinesis Agent's
 * parser allows (Configuration.java enables Jackson's ALLOW_COMMENTS) and a
 * YAML parser does not: in a JSON-style document they are blanked out
 * before parsing, each comment character replaced by a space and newlines
 * kept, so every line and column stays where it was.
 *
 * Only a document whose first token is `{` or `[` is touched, and text in
 * double or single quotes never is. In unquoted YAML flow text, `//` right
 * after a URL scheme (`http://`) is not a comment.
 */
export function blankJsonComments(text: string): string {
  if (!/^(?:\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*[{[]/.test(text)) return text;
  if (!text.includes('//') && !text.includes('/*')) return text;
  const out = text.split('');
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      i = skipQuoted(text, i, c);
      continue;
    }
    if (c === '/' && text[i + 1] === '/' && !afterScheme(text, i)) {
      while (i < n && text[i] !== '\n') out[i++] = ' ';
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      for (; i < stop; i++) if (text[i] !== '\n') out[i] = ' ';
      continue;
    }
    i++;
  }
  return out.join('');
}

function skipQuoted(text: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\' && quote === '"') i += 2;
    else if (c === quote) return i + 1;
    else if (c === '\n') return i;
    else i++;
  }
  return i;
}

/** `scheme://` in unquoted text: a colon right before, a letter before that. */
function afterScheme(text: string, at: number): boolean {
  return text[at - 1] === ':' && /[A-Za-z]/.test(text[at - 2] ?? '');
}
