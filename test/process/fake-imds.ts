import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeImdsOptions {
  identity?: Record<string, string>;
  /** Instance tags; undefined means tags are not exposed (404). */
  tags?: Record<string, string>;
  /** Answer 404 to the token PUT, as an IMDSv1-only service would. */
  v1Only?: boolean;
}

/**
 * A loopback stand-in for the EC2 instance metadata service with IMDSv2
 * rules: a token from PUT /latest/api/token (which needs the TTL header), and
 * 401 for any GET that does not carry a token it issued.
 */
export class FakeImds {
  readonly requests: { method: string; url: string; token: string | undefined }[] = [];
  identity: Record<string, string>;
  tags: Record<string, string> | undefined;
  private readonly v1Only: boolean;
  private readonly tokens = new Set<string>();
  private server!: Server;
  endpoint = '';

  constructor(opts: FakeImdsOptions = {}) {
    this.identity = opts.identity ?? {
      accountId: '123456789012',
      architecture: 'x86_64',
      availabilityZone: 'eu-west-1a',
      imageId: 'ami-0abcdef1234567890',
      instanceId: 'i-0123456789abcdef0',
      instanceType: 'm5.large',
      pendingTime: '2026-11-25T10:00:00Z',
      privateIp: '10.0.1.23',
      region: 'eu-west-1',
      version: '2017-09-30',
    };
    this.tags = opts.tags;
    this.v1Only = opts.v1Only ?? false;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const token = req.headers['x-aws-ec2-metadata-token'] as string | undefined;
    const url = req.url ?? '/';
    this.requests.push({ method: req.method ?? '', url, token });
    const send = (status: number, body = ''): void => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    };
    if (url === '/latest/api/token') {
      if (req.method !== 'PUT') return send(405);
      if (this.v1Only) return send(404);
      if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return send(400);
      const t = `token-${this.tokens.size + 1}`;
      this.tokens.add(t);
      return send(200, t);
    }
    if (req.method !== 'GET') return send(405);
    if (!this.v1Only && (token === undefined || !this.tokens.has(token))) return send(401);
    if (url === '/latest/dynamic/instance-identity/document') return send(200, JSON.stringify(this.identity, null, 2));
    if (url === '/latest/meta-data/tags/instance') {
      if (!this.tags) return send(404);
      return send(200, Object.keys(this.tags).join('\n'));
    }
    const prefix = '/latest/meta-data/tags/instance/';
    if (url.startsWith(prefix) && this.tags) {
      const key = decodeURIComponent(url.slice(prefix.length));
      if (key in this.tags) return send(200, this.tags[key]);
    }
    send(404);
  }
}
