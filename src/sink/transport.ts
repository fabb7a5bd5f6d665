/**
 * How requests travel. Plain-HTTP endpoints (local Kinesis implementations,
 * test servers) speak HTTP/1.1 only, while the SDK's Kinesis client defaults
 * to HTTP/2: they get a keep-alive HTTP/1.1 handler. A proxy needs an
 * HTTP/1.1 agent too; Node's own agents tunnel through it (`proxyEnv`), so no
 * proxy library is needed. Otherwise the SDK's default handler is kept, with
 * the agent's timeouts.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AgentConfig } from '../config/types.js';

export interface TransportOptions {
  endpoint: string | undefined;
  /** The client's default handler is HTTP/2 (Kinesis) or HTTP/1.1 (Firehose). */
  defaultHttp2: boolean;
  connection: AgentConfig['connection'];
  proxy: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/** `agent.proxy`, else HTTPS_PROXY / https_proxy from the environment. */
export function proxyFor(agent: AgentConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return agent.proxy ?? env.HTTPS_PROXY ?? env.https_proxy ?? undefined;
}

/** A request handler, or handler options for the SDK's default one. */
export function requestHandlerFor(opts: TransportOptions): NodeHttpHandler | Record<string, unknown> {
  const { connection } = opts;
  const timeouts = { connectionTimeout: connection.connectionTimeoutMillis, requestTimeout: connection.socketTimeoutMillis };
  if (opts.endpoint?.startsWith('http://')) {
    return new NodeHttpHandler({
      ...timeouts,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: connection.maxConnections }),
    });
  }
  if (opts.proxy) {
    const env = opts.env ?? process.env;
    return new NodeHttpHandler({
      ...timeouts,
      httpsAgent: new HttpsAgent({
        keepAlive: true,
        maxSockets: connection.maxConnections,
        proxyEnv: { HTTPS_PROXY: opts.proxy, NO_PROXY: env.NO_PROXY ?? env.no_proxy },
      }),
    });
  }
  if (opts.defaultHttp2) {
    // One request per HTTP/2 stream session, as the SDK does for Kinesis by default.
    return { requestTimeout: connection.socketTimeoutMillis, disableConcurrentStreams: true };
  }
  return { ...timeouts, httpsAgent: { keepAlive: true, maxSockets: connection.maxConnections } };
}
