/**
 * A put call (PutRecords, PutRecordBatch) whose request body we build and
 * whose answer we read ourselves: building the request (an object, a base64
 * string and a JSON string per record) and reading the answer through the
 * SDK's schema were about a third of the agent's CPU at full speed
 * (docs/performance.md). Two carriers, chosen per flow by
 * aws/transport.ts putPathFor:
 *
 * - own HTTP/2 (`own-h2`, aws/json-rpc-call.ts): our session, the SDK
 *   client's endpoint rules, credentials and SigV4 signer; no middleware
 *   stack per call.
 * - the SDK (`sdk`): the command is given no records. One step, before the
 *   content length is set and the request signed, puts our body in place;
 *   another, between the wire and the SDK's deserializer, takes a
 *   successful answer's bytes and leaves the SDK an empty object to parse.
 *   The SDK sends (HTTP/1.1, proxies) and raises its typed errors.
 *
 * Both resolve with a 2xx answer's bytes and reject with errors of the same
 * shape (`name` the AWS error code, `$metadata.httpStatusCode`), which
 * sink/errors.ts classifies.
 */
import type { BuildMiddleware, DeserializeMiddleware, MiddlewareStack } from '@smithy/types';
import type { AgentConfig } from '../config/types.js';
import { caFor, type PutPath } from '../aws/transport.js';
import { JsonRpcCall, type SdkClientLike } from '../aws/json-rpc-call.js';
import { freeBuffer } from '../buffer-release.js';
import { BodyPool } from './body-pool.js';
import { MalformedResponseError } from './malformed-response.js';
import { parseBody, type WireFormat } from '../aws/wire-format.js';

/**
 * What a flow's own HTTP/2 exchange keeps of request bodies: bodies up to
 * 1 MiB (plain PutRecords calls are ~113 KB for 500 lines of 170 bytes),
 * and free ones up to 2 MiB: the calls in flight at full speed, not more.
 */
const POOL = { maxBodyBytes: 1 << 20, maxFreeBytes: 2 << 20 };

interface HttpMessage {
  statusCode?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One destination's put calls. */
export interface PutExchange {
  /** A Buffer of `size` bytes to build the next request body in; send() takes it back once nothing reads it. */
  bodyBuffer(size: number): Buffer;
  /**
   * Sends a serialized request body; resolves with what `read` makes of the
   * 2xx answer's bytes, rejects as the call failed or `read` threw. The
   * bytes are freed once `read` returns (readAnswer): it must not keep them.
   */
  send<T>(body: Buffer, signal: AbortSignal, read: (answer: Buffer) => T): Promise<T>;
  close(): void;
}

/** How a flow's put calls travel: the path putPathFor chose, and the connection settings. */
export interface PutTransport {
  path: PutPath;
  endpoint: string | undefined;
  connection: AgentConfig['connection'];
  /** The environment allows CBOR bodies (aws/transport.ts cborAllowed); the destination decides whether it sends them. */
  cbor: boolean;
}

/** An SDK command of the put operation; its middleware stack takes our two steps. */
interface SdkCommand<I extends object, O extends object> {
  middlewareStack: MiddlewareStack<I, O>;
}

export interface PutExchangeOptions {
  /** `X-Amz-Target` of the operation: `Kinesis_20131202.PutRecords`. */
  target: string;
  /** Operation parameters of the service's endpoint rules (Kinesis PutRecords: OperationType data, StreamARN). */
  endpointParams?: Record<string, unknown>;
  /** The bodies' encoding on the own HTTP/2 path (the SDK path always sends JSON); JSON when absent. */
  format?: WireFormat;
  /** The SDK path: one call through the client (sdkPut with a command without records). */
  sdk: (body: Buffer, signal: AbortSignal) => Promise<Buffer>;
}

/** The exchange `transport.path` names; `client`'s config resolves the endpoint and credentials and signs. */
export function putExchange(client: SdkClientLike, transport: PutTransport, opts: PutExchangeOptions): PutExchange {
  if (transport.path.kind === 'own-h2') {
    const call = new JsonRpcCall(client, {
      target: opts.target,
      endpoint: transport.endpoint,
      ...(opts.endpointParams ? { endpointParams: opts.endpointParams } : {}),
      connectTimeoutMs: transport.connection.connectionTimeoutMillis,
      requestTimeoutMs: transport.connection.socketTimeoutMillis,
      ca: caFor(transport.connection),
      ...(opts.format ? { format: opts.format } : {}),
    });
    const pool = new BodyPool(POOL);
    return {
      bodyBuffer: (size) => pool.take(size),
      // The session says when the stream has written the body and closed: only then may it be lent again.
      send: async (body, signal, read) => readAnswer(await call.send(body, signal, () => pool.give(body)), read),
      close: () => {
        pool.clear();
        call.close();
      },
    };
  }
  // The SDK's handler gives no word on when it stopped reading a body: a new one each call.
  return { bodyBuffer: (size) => Buffer.allocUnsafe(size), send: async (body, signal, read) => readAnswer(await opts.sdk(body, signal), read), close() {} };
}

/**
 * One put call through the SDK client: `command` (given no records) carries
 * `body`, `send` sends it; resolves with the 2xx answer's bytes, rejects with
 * the SDK's error.
 */
export async function sdkPut<I extends object, O extends object>(command: SdkCommand<I, O>, body: Buffer, send: () => Promise<unknown>): Promise<Buffer> {
  const exchange = new RawExchange(body);
  exchange.attach(command);
  await send();
  return exchange.answer ?? Buffer.alloc(0);
}

/** The answer's bytes, copied: they are freed once read (PutExchange.send), and the SDK's buffers are not ours to free. */
async function collect(body: unknown): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.concat([body]);
  if (body === undefined || body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** The SDK path's two middleware steps for one call. */
class RawExchange {
  /** The body of a 2xx answer, once the call succeeded. */
  answer: Buffer | undefined;

  constructor(private readonly body: Buffer) {}

  attach<I extends object, O extends object>(command: { middlewareStack: MiddlewareStack<I, O> }): void {
    const body = this.body;
    const request: BuildMiddleware<I, O> = (next) => (args) => {
      const req = args.request as HttpMessage;
      req.body = body;
      if (req.headers) req.headers['content-length'] = String(body.length);
      return next(args);
    };
    const response: DeserializeMiddleware<I, O> = (next) => async (args) => {
      const out = await next(args);
      const res = out.response as HttpMessage;
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        this.answer = await collect(res.body);
        // A fresh array: the SDK adapts the one it is given in place.
        res.body = new Uint8Array([0x7b, 0x7d]);
      }
      return out;
    };
    command.middlewareStack.add(request, { step: 'build', priority: 'high', name: 'kinesisAgentRequestBody' });
    command.middlewareStack.add(response, { step: 'deserialize', priority: 'low', name: 'kinesisAgentRawAnswer' });
  }
}

/**
 * `read` applied to a put call's answer, whose bytes (a copy no one else
 * holds: aws/h2-session.ts, collect above) are then freed at once, whether
 * `read` returned or threw. An answer is
 * read once; left to the collector, answers (about 51 KB per plain call,
 * 100 MB per million lines) stayed resident until V8's next full
 * collection (buffer-release.ts). `read` must not keep `answer` or a view
 * of it.
 */
export function readAnswer<T>(answer: Buffer, read: (answer: Buffer) => T): T {
  try {
    return read(answer);
  } finally {
    freeBuffer(answer);
  }
}

/** A successful answer's bytes, parsed as `format` (JSON by default); a MalformedResponseError when they are not an object in it. */
export function answerObject(api: string, bytes: Buffer, format: WireFormat = 'json'): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseBody(bytes, format);
  } catch {
    throw new MalformedResponseError(`${api} answered a body that is not ${format === 'json' ? 'JSON' : 'CBOR'}`);
  }
  if (parsed === null || typeof parsed !== 'object') throw new MalformedResponseError(`${api} answered ${JSON.stringify(parsed)}, not an object`);
  return parsed as Record<string, unknown>;
}
