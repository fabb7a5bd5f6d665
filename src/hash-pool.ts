/**
 * Hashing on a worker thread, for digests of large buffers that would
 * otherwise hold the event loop: the MD5 of each KPL aggregate, which the
 * format requires. In a KPL run at full speed it was 14 % of the main
 * thread's CPU (docs/performance.md, seventh round), time in which the
 * thread could neither read, frame nor answer the session.
 *
 * The bytes are not copied: the buffer's memory (an ArrayBuffer of its own,
 * `Buffer.allocUnsafeSlow`) is transferred to the worker, which writes the
 * digest into it and transfers it back; until then the caller's Buffer is
 * empty. What the main thread pays is a message each way, 15-20 µs, against
 * 870 µs for the MD5 of 650 KB (this machine kind, Node 24). Two other ways
 * were measured and not kept: a SharedArrayBuffer per aggregate (V8 frees a
 * dead one's memory late: KPL peaked at 235 MB RSS instead of 110), and
 * copying into pooled shared buffers (V8 copies into shared memory with
 * relaxed atomic moves, at about half memcpy's speed: the copies cost a
 * third of what moving the hash saved). Inputs shorter than `minBytes`, or
 * whose memory cannot be transferred, are hashed on the calling thread: the
 * digest is node:crypto's either way.
 *
 * One worker, started at the first digest that needs it and stopped by
 * `close()` (the agent's stop); a later digest starts it again. It keeps the
 * process alive only while digests are pending. A worker that fails or exits
 * rejects every digest pending on it (their memory is gone with it), and the
 * next digest starts a new worker.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export type HashAlgorithm = 'md5' | 'sha256';

/** Bytes of each algorithm's digest. */
export const DIGEST_BYTES: Readonly<Record<HashAlgorithm, number>> = { md5: 16, sha256: 32 };

/**
 * The worker's code, run with `eval` so that it travels inside the bundle
 * and the single executable, where there is no file to start a worker from.
 * It runs as a CommonJS script, or as a module when the process was started
 * with `--input-type=module` (workers inherit it), where only
 * `process.getBuiltinModule` loads Node's modules. A request brings the
 * memory, the range to hash and where to write the digest; the memory goes
 * back with the answer.
 */
const WORKER_SOURCE = `
const load = typeof require === 'function' ? require : process.getBuiltinModule;
const { parentPort } = load('node:worker_threads');
const { createHash } = load('node:crypto');
parentPort.on('message', (m) => {
  try {
    const bytes = new Uint8Array(m.memory);
    const digest = createHash(m.algorithm).update(bytes.subarray(m.start, m.end)).digest();
    bytes.set(digest, m.at);
    parentPort.postMessage({ id: m.id, memory: m.memory }, [m.memory]);
  } catch (err) {
    parentPort.postMessage({ id: m.id, memory: m.memory, error: String((err && err.message) || err) }, [m.memory]);
  }
});
`;

interface Pending {
  resolve(memory: Buffer): void;
  reject(err: Error): void;
}

interface Reply {
  id: number;
  memory: ArrayBuffer;
  error?: string;
}

export interface HashPoolOptions {
  /** Ranges shorter than this are hashed on the calling thread (bytes). */
  minBytes: number;
}

/** Whether `memory` is the whole of an ArrayBuffer that may be transferred (not Node's shared pool of small Buffers). */
function ownsItsMemory(memory: Buffer): boolean {
  return memory.byteOffset === 0 && memory.length === memory.buffer.byteLength && memory.buffer instanceof ArrayBuffer;
}

export class HashPool {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private readonly minBytes: number;

  constructor(opts: HashPoolOptions) {
    this.minBytes = opts.minBytes;
  }

  /** Whether a range of `length` bytes is hashed on the worker (memory permitting). */
  offThread(length: number): boolean {
    return length >= this.minBytes;
  }

  /**
   * Writes the digest of `memory[start, end)` into `memory` at `at`
   * (DIGEST_BYTES long) and resolves with the Buffer that now holds the
   * memory. On the worker (`offThread`, and `memory` the whole of its own
   * ArrayBuffer, as `Buffer.allocUnsafeSlow` makes it): `memory` is empty
   * from the call on, and the result is a new Buffer over the same bytes.
   * Else on this thread, and the result is `memory` itself. Rejects with the
   * worker's error (an unknown algorithm), or when the worker failed, exited
   * or was closed before answering: the bytes are then lost to the caller,
   * who must make them again.
   */
  digestInPlace(algorithm: HashAlgorithm, memory: Buffer, start: number, end: number, at: number): Promise<Buffer> {
    if (!this.offThread(end - start) || !ownsItsMemory(memory)) {
      createHash(algorithm).update(memory.subarray(start, end)).digest().copy(memory, at);
      return Promise.resolve(memory);
    }
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    const buffer = memory.buffer as ArrayBuffer;
    return new Promise<Buffer>((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, algorithm, memory: buffer, start, end, at }, [buffer]);
    });
  }

  /** Digests pending on the worker. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Whether a worker thread is running. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Stops the worker; digests pending on it reject. A later digest starts a new one. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.forget(worker, new Error('the hashing worker was closed'));
    await worker.terminate();
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, name: 'kinesis-agent hashing' });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0 && this.worker === worker) worker.unref();
      if (reply.error !== undefined) p.reject(new Error(reply.error));
      else p.resolve(Buffer.from(reply.memory));
    });
    worker.on('error', (err) => this.forget(worker, err));
    worker.on('exit', (code) => this.forget(worker, new Error(`the hashing worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  /** `worker` is gone or going: what waits on it fails, and the next digest starts another. */
  private forget(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(err);
  }
}

/**
 * The process's hashing worker. 64 KiB: below it the two messages and the
 * worker's wake-up cost about what hashing on the event loop does (MD5 of
 * 64 KiB: 100 µs).
 */
export const hashPool = new HashPool({ minBytes: 64 * 1024 });
