/**
 * A call whose records we serialize and whose answer we read ourselves,
 * while the SDK still resolves the endpoint, signs, sends (HTTP/1.1 or
 * HTTP/2), and turns failures (4xx, 5xx) into its typed errors. Building the
 * request (an object, a base64 string and a JSON string per record) and
 * reading the answer through the SDK's schema were about a third of the
 * agent's CPU at full speed (docs/performance.md).
 *
 * The command is given no records. One step, before the content length is
 * set and the request signed, puts our body in place; another, between the
 * wire and the SDK's deserializer, takes a successful answer's bytes and
 * leaves the SDK an empty object to parse.
 */
import type { BuildMiddleware, DeserializeMiddleware, MiddlewareStack } from '@smithy/types';
import { MalformedResponseError } from './malformed-response.js';

interface HttpMessage {
  statusCode?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

async function collect(body: unknown): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body === undefined || body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

export class RawExchange {
  /** The body of a 2xx answer, once the call succeeded. */
  private answer: Buffer | undefined;

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

  /** The successful answer, parsed. */
  json(api: string): Record<string, unknown> {
    let parsed: unknown;
    try {
      parsed = JSON.parse((this.answer ?? Buffer.alloc(0)).toString('utf8'));
    } catch {
      throw new MalformedResponseError(`${api} answered a body that is not JSON`);
    }
    if (parsed === null || typeof parsed !== 'object') throw new MalformedResponseError(`${api} answered ${JSON.stringify(parsed)}, not an object`);
    return parsed as Record<string, unknown>;
  }
}
