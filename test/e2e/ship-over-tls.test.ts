import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsProtocolServer, TEST_CA_FILE } from '../servers/aws-protocol-server.ts';
import { AgentProcess } from '../support/agent-process.ts';
import { KinesisLocal } from '../support/kinesis-local.ts';
import { deaggregate } from '../sink/deaggregate.ts';

let local: KinesisLocal;
let dir: string;

beforeAll(async () => {
  local = await KinesisLocal.start();
  dir = mkdtempSync(join(tmpdir(), 'ka-e2e-tls-'));
}, 60_000);
afterAll(async () => {
  await local?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function lines(from: number, to: number, prefix: string): string {
  let s = '';
  for (let i = from; i < to; i++) s += `${prefix} ${i} ${'ü'.repeat(i % 7)}${'x'.repeat(i % 40)}\n`;
  return s;
}

/** A YAML config shipping `sub/*.log` to `stream` at `endpoint`, trusting the test CA (`tls.caFile`). */
function config(sub: string, endpoint: string, stream: string, extra = '', top = ''): string {
  const path = join(sub, 'agent.yaml');
  writeFileSync(
    path,
    `${top}kinesis.endpoint: ${endpoint}\ntls.caFile: ${TEST_CA_FILE}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(sub, 'cp')}\n` +
      `flows:\n  - filePattern: ${join(sub, '*.log')}\n    kinesisStream: ${stream}\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n${extra}`,
  );
  return path;
}

describe('the CLI shipping to kinesis-local over TLS (HTTP/2, the agent\'s own exchange)', () => {
  it.each<[string, NodeJS.ProcessEnv, string]>([
    ['in CBOR (the default)', {}, ''],
    ['in JSON (AWS_CBOR_DISABLE=true)', { AWS_CBOR_DISABLE: 'true' }, ''],
    ['with KPL aggregation, in CBOR', {}, '    aggregation: true\n'],
  ])('%s: every line, appended before and after start, arrives once', async (name, env, extra) => {
    const stream = `tls-${name.replace(/[^a-z]+/gi, '-').toLowerCase()}`.slice(0, 60);
    await local.createStream(stream, 2);
    const sub = mkdtempSync(join(dir, 'flow-'));
    const log = join(sub, 'app.log');
    const prefix = name.slice(3, 7);
    writeFileSync(log, lines(0, 300, prefix));
    const agent = AgentProcess.start(config(sub, local.tlsEndpoint, stream, extra), env);
    try {
      const count = async (n: number) => {
        const got: string[] = [];
        await local.waitFor(stream, (records) => {
          got.length = 0;
          for (const r of records) got.push(...(extra ? deaggregate(r.data, r.partitionKey).map((u) => u.data.toString()) : [r.data.toString()]));
          return got.length >= n;
        });
        return got;
      };
      await count(300);
      appendFileSync(log, lines(300, 600, prefix));
      const got = await count(600);
      expect(got.sort()).toEqual(lines(0, 600, prefix).split(/(?<=\n)/).sort());
    } finally {
      const exit = await agent.stop('SIGTERM');
      expect(exit.code, agent.stderr).toBe(0);
    }
    expect(agent.logLines().filter((l) => (l.level as number) >= 50), agent.stdout).toEqual([]);
  }, 90_000);
});

describe('the CLI over TLS: the bodies\' encoding as the protocol server records it', () => {
  let server: AwsProtocolServer;
  beforeAll(async () => {
    server = await AwsProtocolServer.start({ tls: 'trusted' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each<[string, string, NodeJS.ProcessEnv]>([
    ['unset', 'cbor', {}],
    ['true', 'json', { AWS_CBOR_DISABLE: 'true' }],
    ['false', 'cbor', { AWS_CBOR_DISABLE: 'false' }],
  ])('AWS_CBOR_DISABLE %s: PutRecords in %s', async (value, format, env) => {
    const stream = `enc-${value}`;
    server.createStream(stream, 1);
    const sub = mkdtempSync(join(dir, 'enc-'));
    writeFileSync(join(sub, 'app.log'), lines(0, 50, value));
    const agent = AgentProcess.start(config(sub, server.endpoint, stream), env);
    try {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && server.streams.get(stream)!.entries.length < 50) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await agent.stop('SIGTERM');
    }
    expect(server.streams.get(stream)!.entries.length, agent.stdout).toBe(50);
    const calls = server.calls('PutRecords').filter((c) => c.body.StreamName === stream);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.format === format)).toBe(true);
  }, 60_000);

  it.each<[string, string]>([
    ['a wrong secret (403 InvalidSignatureException)', 'not-the-secret'],
    ['an unknown key (400 UnrecognizedClientException)', ''],
  ])('%s: the same user error, code and hint in CBOR as in JSON (AWS_CBOR_DISABLE=true)', async (_, secret) => {
    server.signingKeys = new Map([[secret ? 'test' : 'someone-else', secret || 'x']]);
    const stream = `creds-${secret ? 'signature' : 'key'}`;
    server.createStream(stream, 1);
    const reported = async (env: NodeJS.ProcessEnv) => {
      const sub = mkdtempSync(join(dir, 'creds-'));
      writeFileSync(join(sub, 'app.log'), lines(0, 5, 'creds'));
      // Nothing can be delivered: stop without waiting out the default shutdown timeout.
      const agent = AgentProcess.start(config(sub, server.endpoint, stream, '    maxRecordSizeKiB: 1024\n', 'shutdownTimeoutMillis: 1000\n'), env);
      try {
        await agent.waitForLog((l) => typeof l.code === 'string' && typeof l.awsError === 'string', 30_000);
      } finally {
        await agent.stop('SIGTERM');
      }
      const line = agent.logLines().find((l) => typeof l.awsError === 'string')!;
      return { code: line.code, awsError: line.awsError, hint: line.hint, msg: line.msg, cbor: server.calls('PutRecords').at(-1)!.format };
    };
    try {
      const cbor = await reported({});
      const json = await reported({ AWS_CBOR_DISABLE: 'true' });
      expect(cbor).toMatchObject({ code: 'INVALID_CREDENTIALS', cbor: 'cbor' });
      expect(json).toMatchObject({ cbor: 'json' });
      expect({ ...cbor, cbor: undefined }).toEqual({ ...json, cbor: undefined });
    } finally {
      server.signingKeys = undefined;
    }
  }, 90_000);
});
