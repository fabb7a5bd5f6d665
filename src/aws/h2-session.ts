/**
 * One HTTP/2 session per endpoint origin, shared by every call to it, and
 * replaced when the server says goodbye (GOAWAY), the connection fails or it
 * was idle for a minute. A call writes its body Buffer once (`stream.end`)
 * and gets the whole answer back as one Buffer.
 *
 * Windows: the session announces 1 MiB per stream and 16 MiB for the
 * connection, so answers never wait for window updates; what the client may
 * send is the server's to announce (AWS and the bench endpoint: 1 MiB or
 * more per stream). `maxSessionMemory` is raised because Node counts data
 * queued to be sent against it and refuses new streams past it: eight calls
 * of 7 MB KPL bodies in flight are 56 MB.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';

export interface H2OriginOptions {
  /** `https://host[:port]`. */
  origin: string;
  /** A session not connected (TCP and TLS) within this is abandoned with ETIMEDOUT (ms). */
  connectTimeoutMs: number;
  /** A call with no activity (bytes either way) for this long fails with TimeoutError (ms). */
  requestTimeoutMs: number;
  /** A session without activity for this long is closed; the next call opens another (ms). */
  idleTimeoutMs: number;
  /** CA certificates replacing Node's defaults (transport.ts caFor); undefined keeps them. */
  ca?: string[] | undefined;
}

export interface H2Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** A copy of the answer's bytes that no one else holds: the caller may free it once read (buffer-release.ts). */
  body: Buffer;
}

const STREAM_WINDOW = 1 << 20;
const CONNECTION_WINDOW = 16 << 20;
const MAX_FRAME = 1 << 20;
const MAX_SESSION_MEMORY_MB = 128;

/** What one call in flight accumulates; kept on its stream so the listeners are shared functions, not closures per call. */
interface Pending {
  status: number;
  headers: IncomingHttpHeaders;
  chunks: Buffer[];
  bytes: number;
  settled: boolean;
  resolve: (answer: H2Answer) => void;
  reject: (err: Error) => void;
  origin: H2Origin;
  session: ClientHttp2Session;
  /** Told once the body is no longer read (request()). */
  released: (() => void) | undefined;
}

const PENDING = Symbol('pending');
type CallStream = ClientHttp2Stream & { [PENDING]: Pending };

function named(name: string, message: string, code?: string): Error {
  const err = new Error(message) as Error & { code?: string };
  err.name = name;
  if (code) err.code = code;
  return err;
}

function onResponse(this: CallStream, headers: IncomingHttpHeaders): void {
  const p = this[PENDING];
  p.status = Number(headers[constants.HTTP2_HEADER_STATUS] ?? 0);
  p.headers = headers;
}

function onData(this: CallStream, chunk: Buffer): void {
  const p = this[PENDING];
  p.chunks.push(chunk);
  p.bytes += chunk.length;
}

function onEnd(this: CallStream): void {
  const p = this[PENDING];
  if (p.settled) return;
  p.settled = true;
  // A copy even of one chunk: the DATA chunks are views into the session's
  // read buffers, shared with other streams' frames, and the answer is the
  // caller's own to free once read (H2Answer.body).
  const body = Buffer.concat(p.chunks, p.bytes);
  // The stream object outlives its answer (it closes later, and at full speed
  // is promoted to V8's old generation first): its chunks must not.
  p.chunks = [];
  p.resolve({ status: p.status, headers: p.headers, body });
}

function onError(this: CallStream, err: Error & { code?: string }): void {
  const p = this[PENDING];
  if (p.settled) return;
  p.settled = true;
  // A stream cancelled because its session failed says only that; the session's error says why (ECONNREFUSED, a certificate).
  const cause = err.code === 'ERR_HTTP2_STREAM_CANCEL' && err.cause instanceof Error ? err.cause : undefined;
  p.reject(p.origin.failureOf(p.session) ?? cause ?? err);
}

function onClose(this: CallStream): void {
  const p = this[PENDING];
  // Closed with every byte of the body written: neither the stream nor the session holds it any more.
  // Cut while writing, a part may still be queued for the socket: never say it is free.
  if (p.released && this.writableFinished) p.released();
  p.released = undefined;
  if (p.settled) return;
  p.settled = true;
  const code = this.rstCode;
  p.reject(
    p.origin.failureOf(p.session) ??
      named('Error', `HTTP/2 stream closed before its answer (${code === constants.NGHTTP2_REFUSED_STREAM ? 'refused' : `code ${code}`})`, 'ERR_HTTP2_STREAM_ERROR'),
  );
}

function onTimeout(this: CallStream): void {
  const p = this[PENDING];
  if (!p.settled) {
    p.settled = true;
    p.reject(named('TimeoutError', `no answer activity for ${p.origin.requestTimeoutMs} ms`, 'ETIMEDOUT'));
  }
  this.close(constants.NGHTTP2_CANCEL);
}

export class H2Origin {
  readonly requestTimeoutMs: number;
  private readonly opts: H2OriginOptions;
  private session: ClientHttp2Session | undefined;
  /** Why a session failed, for the calls it took down with it. */
  private readonly failures = new WeakMap<ClientHttp2Session, Error>();
  private closed = false;

  constructor(opts: H2OriginOptions) {
    this.opts = opts;
    this.requestTimeoutMs = opts.requestTimeoutMs;
  }

  /** The error a session died of, if it did. */
  failureOf(session: ClientHttp2Session): Error | undefined {
    return this.failures.get(session);
  }

  /**
   * One request: `headers` (pseudo-headers included) and `body` written at
   * once. Resolves with any status; rejects on a connection or stream failure,
   * TimeoutError after `requestTimeoutMs` without activity, and AbortError
   * when `signal` aborts. `released` is called once `body` is no longer
   * read: when the stream has closed after writing all of it, or when it
   * was never handed to a stream; never when the stream was cut while
   * writing it (part may still wait in the session's queue).
   */
  request(headers: OutgoingHttpHeaders, body: Buffer, signal?: AbortSignal, released?: () => void): Promise<H2Answer> {
    if (this.closed || signal?.aborted) released?.();
    if (this.closed) return Promise.reject(named('Error', 'HTTP/2 origin closed', 'ERR_HTTP2_INVALID_SESSION'));
    if (signal?.aborted) return Promise.reject(named('AbortError', String((signal.reason as Error | undefined)?.message ?? 'aborted')));
    const session = this.current();
    return new Promise<H2Answer>((resolve, reject) => {
      let stream: CallStream;
      try {
        stream = session.request(headers, signal ? { signal } : {}) as CallStream;
      } catch (err) {
        // The session went away between choosing it and using it: forget it, the next call opens another.
        this.drop(session);
        released?.();
        reject(err as Error);
        return;
      }
      stream[PENDING] = { status: 0, headers: {}, chunks: [], bytes: 0, settled: false, resolve, reject, origin: this, session, released };
      stream.on('response', onResponse);
      stream.on('data', onData);
      stream.on('end', onEnd);
      stream.on('error', onError);
      stream.on('close', onClose);
      stream.setTimeout(this.opts.requestTimeoutMs, onTimeout);
      stream.end(body);
    });
  }

  /** Closes the session; calls in flight finish, new ones are refused. */
  close(): void {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    s?.close();
  }

  private current(): ClientHttp2Session {
    const s = this.session;
    if (s && !s.closed && !s.destroyed) return s;
    return this.open();
  }

  private open(): ClientHttp2Session {
    const { origin, ca, connectTimeoutMs, idleTimeoutMs } = this.opts;
    const session = connect(origin, {
      // Answers in as few DATA frames (and 'data' events) as the server will send.
      settings: { initialWindowSize: STREAM_WINDOW, maxFrameSize: MAX_FRAME, enablePush: false },
      maxSessionMemory: MAX_SESSION_MEMORY_MB,
      ...(ca ? { ca } : {}),
    });
    this.session = session;
    const connectTimer = setTimeout(() => {
      this.failures.set(session, named('TimeoutError', `no connection to ${origin} within ${connectTimeoutMs} ms`, 'ETIMEDOUT'));
      session.destroy();
    }, connectTimeoutMs);
    connectTimer.unref();
    session.once('connect', () => {
      clearTimeout(connectTimer);
      session.setLocalWindowSize(CONNECTION_WINDOW);
    });
    // New calls go to a new session from the moment the server says goodbye; streams it accepted finish here.
    session.once('goaway', () => this.drop(session));
    session.on('error', (err: Error) => {
      if (!this.failures.has(session)) this.failures.set(session, err);
      this.drop(session);
    });
    session.once('close', () => {
      clearTimeout(connectTimer);
      this.drop(session);
    });
    session.setTimeout(idleTimeoutMs, () => session.close());
    // An idle session must not keep the process alive; calls in flight are held by delivery's deadline timers.
    session.unref();
    return session;
  }

  private drop(session: ClientHttp2Session): void {
    if (this.session === session) this.session = undefined;
  }
}

interface Shared {
  origin: H2Origin;
  users: number;
}

const shared = new Map<string, Shared>();
const caIds = new WeakMap<string[], number>();
let nextCaId = 1;

function keyOf(opts: H2OriginOptions): string {
  let ca = 0;
  if (opts.ca) {
    ca = caIds.get(opts.ca) ?? nextCaId++;
    caIds.set(opts.ca, ca);
  }
  return `${opts.origin} ${opts.connectTimeoutMs} ${opts.requestTimeoutMs} ${opts.idleTimeoutMs} ${ca}`;
}

/**
 * The H2Origin of `opts.origin`, shared by every flow that sends there with
 * the same settings (`ca` compared by identity: transport.ts caFor returns
 * one list per CA file): one session per endpoint, not per flow. `release`
 * once done; the last release closes it.
 */
export function sharedOrigin(opts: H2OriginOptions): { origin: H2Origin; release: () => void } {
  const key = keyOf(opts);
  let entry = shared.get(key);
  if (!entry) {
    entry = { origin: new H2Origin(opts), users: 0 };
    shared.set(key, entry);
  }
  entry.users++;
  const held = entry;
  let released = false;
  return {
    origin: held.origin,
    release: () => {
      if (released) return;
      released = true;
      if (--held.users > 0) return;
      held.origin.close();
      if (shared.get(key) === held) shared.delete(key);
    },
  };
}
