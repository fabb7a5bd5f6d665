import type { Processor } from './processor.js';

/**
 * SINGLELINE: every line of a (multi-line) record trimmed and the lines joined
 * with nothing between them, then one `\n`. Trimming follows Java's
 * String.trim, which removes every character up to U+0020, so control
 * characters go too. UTF-8 never uses those byte values inside a multi-byte
 * character, so the work is done on bytes.
 */
export function createSingleLine(): Processor {
  return { process: singleLine };
}

function isTrimmed(b: number): boolean {
  return b <= 0x20;
}

export function singleLine(data: Buffer): Buffer {
  const n = data.length;
  // Already one trimmed line with its newline: nothing to do, no copy.
  if (n > 1 && data[n - 1] === 0x0a && !isTrimmed(data[0]!) && !isTrimmed(data[n - 2]!)) {
    const nl = data.indexOf(0x0a);
    if (nl === n - 1) return data;
  }
  const out = Buffer.allocUnsafe(n + 1);
  let w = 0;
  let start = 0;
  while (start <= n) {
    let end = data.indexOf(0x0a, start);
    if (end === -1) end = n;
    let a = start;
    let b = end;
    while (a < b && isTrimmed(data[a]!)) a++;
    while (b > a && isTrimmed(data[b - 1]!)) b--;
    if (b > a) w += data.copy(out, w, a, b);
    start = end + 1;
  }
  out[w++] = 0x0a;
  return out.subarray(0, w);
}
