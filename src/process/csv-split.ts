import { RecordConversionError } from './processor.js';

/** Turns one record's text into its columns. */
export type ColumnSplitter = (line: string) => string[];

/** Java's rule for split(regex) with no limit: trailing empty columns are dropped. */
function dropTrailingEmpty(cols: string[]): string[] {
  let n = cols.length;
  while (n > 0 && cols[n - 1] === '') n--;
  if (n !== cols.length) cols.length = n;
  return cols;
}

/**
 * Java's String.split(delimiter) with no limit, the way CSVToJSONDataConverter.java
 * splits: no match gives the whole text as the only column, trailing empty
 * columns are dropped, and a zero-width match at the very start never yields
 * an empty first column. `delimiter` is a plain text (found with indexOf)
 * or a regular expression (already translated from Java's syntax).
 */
export function javaSplitter(delimiter: string | RegExp): ColumnSplitter {
  if (typeof delimiter === 'string' && delimiter.length > 0) {
    return (line) => {
      const cols = line.split(delimiter);
      return cols.length === 1 ? cols : dropTrailingEmpty(cols);
    };
  }
  const re = typeof delimiter === 'string' ? /(?:)/g : new RegExp(delimiter.source, delimiter.flags.includes('g') ? delimiter.flags : delimiter.flags + 'g');
  return (line) => {
    re.lastIndex = 0;
    const cols: string[] = [];
    let index = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(line)) !== null) {
      const start = m.index;
      const end = start + m[0].length;
      if (m[0].length === 0) re.lastIndex = start + 1;
      if (index === 0 && start === 0 && end === 0) continue;
      if (m[0].length === 0 && start >= line.length) break;
      cols.push(line.slice(index, start));
      index = end;
    }
    if (index === 0 && cols.length === 0) return [line];
    cols.push(line.slice(index));
    return dropTrailingEmpty(cols);
  };
}

/**
 * RFC 4180 columns (ours, `quoted: true`): a column in double quotes may hold
 * the delimiter, newlines and `""` for a quote. Empty columns stay "" and are
 * kept at the end. The delimiter is plain text. An unterminated quote makes
 * the record unconvertible.
 */
export function quotedSplitter(delim: string): ColumnSplitter {
  const dl = delim.length;
  return (line) => {
    const cols: string[] = [];
    let i = 0;
    for (;;) {
      if (line.charCodeAt(i) === 0x22) {
        let value = '';
        let from = i + 1;
        let j = from;
        for (;;) {
          const q = line.indexOf('"', j);
          if (q === -1) throw new RecordConversionError('unterminated quoted column');
          if (line.charCodeAt(q + 1) === 0x22) {
            value += line.slice(from, q + 1);
            from = j = q + 2;
            continue;
          }
          value += line.slice(from, q);
          i = q + 1;
          break;
        }
        // Text between the closing quote and the next delimiter is kept, leniently.
        const next = dl === 0 ? -1 : line.indexOf(delim, i);
        const stop = next === -1 ? line.length : next;
        value += line.slice(i, stop);
        cols.push(value);
        if (next === -1) return cols;
        i = next + dl;
      } else {
        const next = dl === 0 ? -1 : line.indexOf(delim, i);
        if (next === -1) {
          cols.push(line.slice(i));
          return cols;
        }
        cols.push(line.slice(i, next));
        i = next + dl;
      }
    }
  };
}
