/**
 * A forward proxy for tests: absolute-URI requests are passed on to their
 * (loopback) target, CONNECT opens a tunnel. Remembers what went through it.
 */
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';

export class ForwardProxy {
  /** `METHOD url` of every request, or `CONNECT host:port`. */
  readonly seen: string[] = [];
  url = '';
  private server: Server | undefined;

  static async start(): Promise<ForwardProxy> {
    const p = new ForwardProxy();
    await p.listen();
    return p;
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.seen.push(`${req.method} ${req.url}`);
      const target = new URL(req.url ?? '/');
      if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost') {
        res.writeHead(403).end('loopback only');
        return;
      }
      const upstream = request(
        { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    server.on('connect', (req, socket, head) => {
      this.seen.push(`CONNECT ${req.url}`);
      const [host, port] = (req.url ?? '').split(':');
      if (host !== '127.0.0.1' && host !== 'localhost') {
        socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      const up = connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        up.write(head);
        up.pipe(socket);
        socket.pipe(up);
      });
      up.on('error', () => socket.destroy());
      socket.on('error', () => up.destroy());
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
