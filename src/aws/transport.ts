/**
 * How requests travel. Plain-HTTP endpoints (local Kinesis implementations,
 * test servers) speak HTTP/1.1 only, while the SDK's Kinesis client defaults
 * to HTTP/2: they get a keep-alive HTTP/1.1 handler. A proxy needs an
 * HTTP/1.1 agent too; Node's own agents (>= 24.5) send through it or tunnel
 * with CONNECT (`proxyEnv`, honouring NO_PROXY), so no proxy library is needed. Otherwise the SDK's default handler is kept, with
 * the agent's timeouts.
 *
 * `tls.caFile` (connection.caCertificates) adds CA certificates to the ones
 * Node trusts, on every TLS connection the agent opens: HTTP/2 sessions,
 * HTTPS agents, and the TLS inside a proxy's CONNECT tunnel.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import * as tls from 'node:tls';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AgentConfig } from '../config/types.js';

export interface TransportOptions {
  endpoint: string | undefined;
  /** The client's default handler is HTTP/2 (Kinesis) or HTTP/1.1 (Firehose). */
  defaultHttp2: boolean;
  connection: AgentConfig['connection'];
  /** The configured proxy (`proxy` key); when absent, HTTPS_PROXY or HTTP_PROXY by the endpoint's scheme. */
  proxy: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/**
 * The configured `proxy`. The environment's proxies (HTTPS_PROXY, HTTP_PROXY,
 * NO_PROXY) are read per endpoint scheme by requestHandlerFor, from its `env`.
 */
export function proxyFor(agent: AgentConfig, _env?: NodeJS.ProcessEnv): string | undefined {
  return agent.proxy;
}

const trusted = new Map<string, string[]>();

/**
 * The CA list for TLS connections when `tls.caFile` is given: Node's default
 * trust (its bundled roots, plus NODE_EXTRA_CA_CERTS and the system store
 * when Node is told to use them) and the file's certificates. Node's `ca`
 * option replaces the defaults, so they are listed too. Undefined: keep
 * Node's defaults.
 */
export function caFor(connection: AgentConfig['connection']): string[] | undefined {
  const extra = connection.caCertificates;
  if (!extra) return undefined;
  let list = trusted.get(extra);
  if (!list) {
    // getCACertificates is Node >= 22.15; before it, the bundled roots are the default.
    const defaults = typeof tls.getCACertificates === 'function' ? tls.getCACertificates('default') : tls.rootCertificates;
    list = [...defaults, extra];
    trusted.set(extra, list);
  }
  return list;
}

function envProxy(plainHttp: boolean, env: NodeJS.ProcessEnv): string | undefined {
  const value = plainHttp ? (env.HTTP_PROXY ?? env.http_proxy) : (env.HTTPS_PROXY ?? env.https_proxy);
  return value || undefined;
}

/**
 * Who carries a flow's put calls (PutRecords, PutRecordBatch):
 * - `own-h2`: our HTTP/2 session (json-rpc-call.ts), the SDK resolving the
 *   endpoint and credentials and signing: an https endpoint (the AWS one
 *   when none is configured), no proxy, and a client whose default is HTTP/2;
 * - `sdk`: the SDK's handler from requestHandlerFor: a plain http://
 *   endpoint (HTTP/1.1 only), a proxy (configured or HTTPS_PROXY, sent
 *   through Node's agent), or a client that speaks HTTP/1.1 (Firehose,
 *   whose endpoints are not known to negotiate HTTP/2).
 * Other calls (ListShards, DescribeStreamSummary, STS, CloudWatch) always
 * go through the SDK.
 */
export type PutPath = { kind: 'own-h2' } | { kind: 'sdk'; reason: 'plain-http' | 'proxy' | 'http1-client' };

/**
 * False when the environment turns CBOR off: `AWS_CBOR_DISABLE` set to
 * anything but `false` (any case), the variable the AWS SDK for Java reads,
 * and so the Kinesis Agent's. Source: aws-sdk-java
 * `SDKGlobalConfiguration.isCborDisabled` (set and not "false"). A service
 * reached through something that speaks only JSON (an older local
 * Kinesis, a JSON-only proxy rewriting bodies) needs it.
 */
export function cborAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.AWS_CBOR_DISABLE;
  return value === undefined || value.toLowerCase() === 'false';
}

export function putPathFor(opts: TransportOptions): PutPath {
  const plainHttp = opts.endpoint?.startsWith('http://') ?? false;
  if (plainHttp) return { kind: 'sdk', reason: 'plain-http' };
  if (opts.proxy ?? envProxy(false, opts.env ?? process.env)) return { kind: 'sdk', reason: 'proxy' };
  if (!opts.defaultHttp2) return { kind: 'sdk', reason: 'http1-client' };
  return { kind: 'own-h2' };
}

/** A request handler, or handler options for the SDK's default one. */
export function requestHandlerFor(opts: TransportOptions): NodeHttpHandler | Record<string, unknown> {
  const { connection } = opts;
  const env = opts.env ?? process.env;
  const plainHttp = opts.endpoint?.startsWith('http://') ?? false;
  const proxy = opts.proxy ?? envProxy(plainHttp, env);
  const noProxy = env.NO_PROXY ?? env.no_proxy;
  const timeouts = { connectionTimeout: connection.connectionTimeoutMillis, requestTimeout: connection.socketTimeoutMillis };
  const ca = caFor(connection);
  if (plainHttp) {
    return new NodeHttpHandler({
      ...timeouts,
      httpAgent: new HttpAgent({
        keepAlive: true,
        maxSockets: connection.maxConnections,
        ...(proxy ? { proxyEnv: { HTTP_PROXY: proxy, NO_PROXY: noProxy } } : {}),
      }),
    });
  }
  if (proxy) {
    return new NodeHttpHandler({
      ...timeouts,
      httpsAgent: new HttpsAgent({
        keepAlive: true,
        maxSockets: connection.maxConnections,
        proxyEnv: { HTTPS_PROXY: proxy, NO_PROXY: noProxy },
        ...(ca ? { ca } : {}),
      }),
    });
  }
  if (opts.defaultHttp2) {
    // The SDK's Kinesis default isolates every call in its own HTTP/2 session,
    // a TLS handshake per PutRecords (aws-sdk-js-v3 #8279); the handler's
    // pooled sessions are sound since @smithy/node-http-handler 4.6, so calls
    // share sessions, closed after a minute idle.
    return {
      requestTimeout: connection.socketTimeoutMillis,
      sessionTimeout: 60_000,
      disableConcurrentStreams: false,
      ...(ca ? { nodeHttp2ConnectOptions: { ca } } : {}),
    };
  }
  return { ...timeouts, httpsAgent: { keepAlive: true, maxSockets: connection.maxConnections, ...(ca ? { ca } : {}) } };
}
