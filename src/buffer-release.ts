/**
 * Gives a Buffer's memory back at once, instead of when V8 next collects the
 * object that holds it.
 *
 * Why: a Buffer's memory is freed when V8 collects the Buffer, and one that
 * outlived a scavenge or two only at the next full collection. Measured on
 * the plain path over TLS (docs/performance.md, "Ninth round"): 35-55 MB of
 * dead read chunks and answers were resident before each full collection,
 * and the peak RSS fell from 154-181 MB to 123-130 MB once they were freed
 * when done.
 *
 * Detaching an ArrayBuffer (`ArrayBuffer.prototype.transfer(0)`, ES2024,
 * Node >= 22) frees its memory then and there, and every view of it reads as
 * empty afterwards: a bug that read such bytes again would read nothing,
 * never someone else's.
 */

interface Detachable {
  transfer?(length: number): ArrayBuffer;
  readonly detached?: boolean;
}

/**
 * True when `buf` spans its whole ArrayBuffer, so that freeing it frees no
 * one else's bytes: a Buffer.allocUnsafe or Buffer.concat larger than half
 * of Node's shared pool (`Buffer.poolSize`: 64 KiB in Node 24, so 32 KiB and
 * more). A slice of the pool, or a view into a larger chunk,
 * is not.
 */
export function ownsItsMemory(buf: Uint8Array): boolean {
  return buf.byteLength > 0 && buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength;
}

/**
 * Frees an ArrayBuffer's memory now; every view of it then reads as empty.
 * Returns false when it was already freed or cannot be detached (a
 * SharedArrayBuffer, WebAssembly memory): the collector frees those.
 */
export function freeArrayBuffer(buffer: ArrayBufferLike): boolean {
  const ab = buffer as ArrayBufferLike & Detachable;
  if (typeof ab.transfer !== 'function' || ab.detached) return false;
  try {
    ab.transfer(0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Frees the memory of `buf` now when it spans its whole ArrayBuffer (see
 * ownsItsMemory); the caller must be its only reader and done with it, and
 * no native write may still read it. Returns whether it was freed.
 */
export function freeBuffer(buf: Uint8Array): boolean {
  return ownsItsMemory(buf) && freeArrayBuffer(buf.buffer);
}
