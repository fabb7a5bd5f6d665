/**
 * Sends a body built by request-body.ts through an SDK command. The SDK
 * still resolves the endpoint, signs, sends (HTTP/1.1 or HTTP/2) and parses
 * the answer; only the serialization of the records is ours. The command is
 * given no records, and this step, run before the content length is set and
 * the request signed, puts the real body in place.
 */
import type { BuildMiddleware, MiddlewareStack } from '@smithy/types';

export function withBody<I extends object, O extends object>(command: { middlewareStack: MiddlewareStack<I, O> }, body: Buffer): void {
  const step: BuildMiddleware<I, O> = (next) => (args) => {
    const request = args.request as { body?: unknown; headers?: Record<string, string> };
    request.body = body;
    if (request.headers) request.headers['content-length'] = String(body.length);
    return next(args);
  };
  command.middlewareStack.add(step, { step: 'build', priority: 'high', name: 'kinesisAgentPrebuiltBody', override: true });
}
