/**
 * Gives a Buffer's memory back at once, instead of when V8 next collects the
 * object that holds it. A request body or an answer lives a few tens of ms,
 * long enough at full speed to be promoted to V8's old generation, and its
 * memory (outside V8's heap) is freed only by the next full collection,
 * which V8 starts after 64 MB more of such memory: measured on a plain run
 * over TLS, 30-60 MB of dead bodies, answers and file chunks were resident
 * at any moment (docs/performance.md, Memory). Detaching the ArrayBuffer
 * (`ArrayBuffer.prototype.transfer(0)`, ES2024, Node 22+) frees its memory
 * then and there.
 */

interface Detachable {
  transfer?(length: number): ArrayBuffer;
  readonly detached?: boolean;
}

/**
 * Frees the memory of `buf` now when `buf` spans its whole ArrayBuffer (a
 * Buffer.allocUnsafe or Buffer.concat too large for Node's pool, 32 KiB and
 * more in Node 24; a stream's own chunk): every view of it then reads as empty, so the caller must be
 * its only user and done with it, and no native write may still be reading
 * it. A Buffer that is a slice of a larger one (Node's pool, a file chunk)
 * is left alone, as is one whose ArrayBuffer cannot be detached.
 * Returns whether the memory was freed.
 */
export function freeBuffer(buf: Buffer): boolean {
  return ownsItsMemory(buf) && freeArrayBuffer(buf.buffer as ArrayBuffer);
}

/** True when `buf` spans its whole ArrayBuffer: freeing that frees nothing else's bytes. */
export function ownsItsMemory(buf: Buffer): boolean {
  return buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.byteLength > 0;
}

/**
 * Frees an ArrayBuffer's memory now; every view of it then reads as empty.
 * Returns false when it was already freed or cannot be detached.
 */
export function freeArrayBuffer(buffer: ArrayBuffer): boolean {
  const ab = buffer as ArrayBuffer & Detachable;
  if (typeof ab.transfer !== 'function' || ab.detached) return false;
  try {
    ab.transfer(0);
    return true;
  } catch {
    // A non-detachable buffer (Node's Buffer pool, WebAssembly memory): the collector frees it.
    return false;
  }
}
