import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/**
 * A file's fingerprint is its first bytes, up to this many. Live tailers keep
 * the bytes themselves (to compare a copy that is shorter than the original);
 * the checkpoint keeps a hash of them and how many there were.
 */
export const FINGERPRINT_MAX_BYTES = 1024;

export async function readPrefix(fh: FileHandle, size: number): Promise<Buffer> {
  const want = Math.min(size, FINGERPRINT_MAX_BYTES);
  if (want <= 0) return Buffer.alloc(0);
  const buf = Buffer.allocUnsafe(want);
  const { bytesRead } = await fh.read(buf, 0, want, 0);
  return bytesRead === want ? buf : buf.subarray(0, bytesRead);
}

export function hashPrefix(prefix: Buffer): string {
  if (prefix.length === 0) return '';
  return createHash('sha256').update(prefix).digest('hex').slice(0, 32);
}

/** Does a file whose first bytes are `prefix` match a stored (hash, length) fingerprint? */
export function matchesStored(prefix: Buffer, fingerprint: string, fingerprintBytes: number): boolean {
  if (fingerprintBytes === 0 || fingerprint === '') return false;
  if (prefix.length < fingerprintBytes) return false;
  return hashPrefix(prefix.subarray(0, fingerprintBytes)) === fingerprint;
}

/**
 * Do two files begin the same way? They are compared over the shorter of
 * the two prefixes (a copy may be shorter than the file it copied, and the
 * original may have grown since), which must hold at least one whole line,
 * or be a full fingerprint (FINGERPRINT_MAX_BYTES) when the first line is
 * longer than that, so that two files that merely start with the same few
 * bytes do not match.
 */
export function samePrefix(a: Buffer, b: Buffer): boolean {
  const n = Math.min(a.length, b.length);
  if (n === 0) return false;
  if (n < FINGERPRINT_MAX_BYTES && a.subarray(0, n).indexOf(0x0a) === -1) return false;
  return a.compare(b, 0, n, 0, n) === 0;
}

/**
 * What files that begin the same way (samePrefix) share for certain, as a
 * map key: the first line, `\n` included, or the whole fingerprint when the
 * first line is longer than it; undefined when the prefix holds neither yet.
 */
export function prefixKey(prefix: Buffer): string | undefined {
  const nl = prefix.indexOf(0x0a);
  if (nl !== -1) return prefix.toString('latin1', 0, nl + 1);
  return prefix.length >= FINGERPRINT_MAX_BYTES ? prefix.toString('latin1', 0, FINGERPRINT_MAX_BYTES) : undefined;
}

/** Enough of a file to know what it is: a whole first line, or a full fingerprint. */
export function hasWholeFirstLine(prefix: Buffer, size: number): boolean {
  return prefix.indexOf(0x0a) !== -1 || size >= FINGERPRINT_MAX_BYTES;
}
