import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import { scrubSecrets } from '../log.js';
import type { Problem } from '../events/conditions.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus, type AgentSamples, type ObservedFlow } from '../metrics/index.js';
import { StatusListenError } from './errors.js';
import { checkHealth } from './health.js';
import { statusReport } from './snapshot.js';

export interface StatusServerOptions {
  host: string;
  port: number;
  unhealthyAfterMillis: number;
  /** Every configured flow, running or not. */
  flows: () => ObservedFlow[];
  /** Conditions that last now (/status `problems`). */
  problems: () => Problem[];
  version: string;
  startedAt: number;
  log: Logger;
  /** Agent-wide samples for /metrics beyond the flows' (CloudWatch reporter state). */
  extraMetrics?: () => AgentSamples['extra'];
}

export interface StatusServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * GET /metrics (Prometheus text), /healthz (200, or 503 with the reason:
 * see checkHealth) and /status (JSON) on http.listen. Everything is computed from the flows'
 * counters at request time; nothing is kept between requests.
 */
export async function startStatusServer(opts: StatusServerOptions): Promise<StatusServer> {
  const server = createServer((req, res) => {
    try {
      route(req, res, opts);
    } catch (err) {
      opts.log.warn({ err: String(err), path: req.url }, 'status server request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
    }
  });
  // Probes and scrapers hold no long-lived connections worth waiting for.
  server.keepAliveTimeout = 5000;
  server.requestTimeout = 10_000;
  const address = `${opts.host}:${opts.port}`;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new StatusListenError(address, err.code ?? err.message, { cause: err })));
    server.listen(opts.port, opts.host, () => resolve());
  });
  const bound = server.address();
  const port = bound && typeof bound === 'object' ? bound.port : opts.port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  opts.log.info({ listen: `${opts.host}:${port}` }, 'status server listening (/metrics, /healthz, /status)');
  return {
    host: opts.host,
    port,
    url: `http://${hostForUrl}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function route(req: IncomingMessage, res: ServerResponse, opts: StatusServerOptions): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  const flows = opts.flows();
  switch (path) {
    case '/metrics':
      return send(res, 200, PROMETHEUS_CONTENT_TYPE, renderPrometheus(flows, { version: opts.version, startedAt: opts.startedAt, extra: opts.extraMetrics?.() }));
    case '/healthz': {
      const h = checkHealth(flows, opts.unhealthyAfterMillis);
      const body = h.healthy ? { status: 'ok', flows: h.flows } : { status: 'unhealthy', reason: h.reason, flows: h.flows, unhealthy: h.unhealthy };
      return send(res, h.healthy ? 200 : 503, 'application/json', `${JSON.stringify(body)}\n`);
    }
    case '/status':
      return send(res, 200, 'application/json', `${scrubSecrets(JSON.stringify(statusReport(flows, opts.problems(), opts), null, 2))}\n`);
    default:
      return send(res, 404, 'text/plain; charset=utf-8', 'not found; try /metrics, /healthz or /status\n');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
