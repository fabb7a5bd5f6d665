/** Small byte helpers shared by the request-body writers (request-body.ts, kinesis/cbor-body.ts) and the packers. */

/** Copies a few fixed bytes into `out` at `at`; returns the offset after them. A loop beats a native copy at this size. */
export function putBytes(out: Buffer, at: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) out[at + i] = bytes[i]!;
  return at + bytes.length;
}

/** UTF-8 bytes of `s`, counted in JS when it is ASCII (random and hash keys always are). */
export function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s);
  return s.length;
}
