import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { resolveInstanceId } from '../../src/metrics/instance-id.ts';

/**
 * A request's timeout for the endpoints that answer: the agent gives up on
 * IMDS after a second (right off EC2), which a loaded machine's first fetch
 * (loading the HTTP client) can take; these tests are about what is asked
 * and answered, not how fast.
 */
const ANSWERS_MS = 30_000;

describe('instance id', () => {
  it('asks IMDSv2 (token, then instance-id) at the configured loopback endpoint, through the one IMDS client', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-aws-ec2-metadata-token'] ?? req.headers['x-aws-ec2-metadata-token-ttl-seconds'] ?? ''}`);
      if (req.method === 'PUT' && req.url === '/latest/api/token') return res.end('tok');
      if (req.url === '/latest/meta-data/instance-id' && req.headers['x-aws-ec2-metadata-token'] === 'tok') return res.end('i-0123456789abcdef0');
      res.writeHead(401).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const id = await resolveInstanceId({ AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${port}/` }, ANSWERS_MS);
      expect(id).toBe('i-0123456789abcdef0');
      expect(seen).toEqual(['PUT /latest/api/token 21600', 'GET /latest/meta-data/instance-id tok']);
    } finally {
      server.close();
    }
  });

  it('falls back to IMDSv1 where the token PUT is unknown (the client ADDEC2METADATA uses)', async () => {
    const server = createServer((req, res) => {
      if (req.method === 'PUT') return res.writeHead(405).end();
      if (req.url === '/latest/meta-data/instance-id' && req.headers['x-aws-ec2-metadata-token'] === undefined) return res.end('i-00000000000000001');
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await resolveInstanceId({ AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${port}` }, ANSWERS_MS)).toBe('i-00000000000000001');
    } finally {
      server.close();
    }
  });

  it('uses the host name when metadata is disabled or unreachable', async () => {
    expect(await resolveInstanceId({ AWS_EC2_METADATA_DISABLED: 'true' })).toBe(hostname());
    const server = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await resolveInstanceId({ AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${port}` }, ANSWERS_MS)).toBe(hostname());
    } finally {
      server.close();
    }
  });
});
