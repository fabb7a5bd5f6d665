/**
 * Standard base64 (RFC 4648 §4, with `=` padding) written straight into a
 * Buffer. For a log line (tens to hundreds of bytes) this is as fast as
 * Node's native encoder and makes no string: the native one returns a new
 * string per record, which then has to be copied into the request body
 * (two native calls and ~250 bytes of garbage per 170-byte line). Long data
 * (KPL aggregates) goes through the native encoder, which is faster there.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 0x3d;
const CHARS = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));

/** Any 12 bits as their two base64 characters, first one in the low byte (little-endian stores). */
const PAIRS = new Uint16Array(4096);
for (let i = 0; i < 4096; i++) PAIRS[i] = CHARS[i >> 6]! | (CHARS[i & 63]! << 8);

/** Above this many bytes the native encoder (a string, then a copy) is faster than the loop below. */
const NATIVE_FROM = 384;

/** Characters of the base64 form of `bytes` bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/**
 * Writes the base64 form of src[from, to) (default: all of it) into `out`
 * at `at` (through `view`, a DataView of `out`) and returns the offset after
 * it. `out` must have base64Length(to - from) bytes of room there.
 */
export function writeBase64(src: Uint8Array, out: Buffer, view: DataView, at: number, from = 0, to = src.length): number {
  const n = to - from;
  if (n > NATIVE_FROM) return at + out.write(Buffer.from(src.buffer, src.byteOffset + from, n).toString('base64'), at, 'latin1');
  const whole = from + n - (n % 3);
  let i = from;
  for (; i < whole; i += 3) {
    const v = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
    view.setUint32(at, PAIRS[v >>> 12]! | (PAIRS[v & 4095]! << 16), true);
    at += 4;
  }
  const rest = to - whole;
  if (rest > 0) {
    const v = (src[i]! << 16) | (rest === 2 ? src[i + 1]! << 8 : 0);
    out[at] = CHARS[v >>> 18]!;
    out[at + 1] = CHARS[(v >>> 12) & 63]!;
    out[at + 2] = rest === 2 ? CHARS[(v >>> 6) & 63]! : PAD;
    out[at + 3] = PAD;
    at += 4;
  }
  return at;
}
