/**
 * Starts kinesis-local (the npm package: the Kinesis implementation
 * LocalStack runs) on free loopback ports, for tests and the demo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './free-port.ts';

const require = createRequire(import.meta.url);

export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;
export const TEST_REGION = 'us-east-1';

/** Environment for any process that talks to local endpoints: no AWS account, no IMDS. */
export const LOCAL_AWS_ENV = {
  AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  AWS_REGION: TEST_REGION,
  AWS_EC2_METADATA_DISABLED: 'true',
} as const;

export interface StoredRecord {
  data: Buffer;
  partitionKey: string;
  sequenceNumber: string;
  shardId: string;
}

/** kinesis-local's TLS port serves the test certificate for 127.0.0.1 (test/servers/tls/), which clients verify against its CA. */
const TLS_DIR = fileURLToPath(new URL('../servers/tls/', import.meta.url));

export class KinesisLocal {
  /** Plain HTTP/1.1. */
  readonly endpoint: string;
  /** TLS, HTTP/2 or HTTP/1.1 by ALPN, with the certificate of test/servers/tls/ (CA: TEST_CA_FILE). */
  readonly tlsEndpoint: string;
  readonly client: KinesisClient;
  private readonly child: ChildProcess;
  private readonly certDir: string;
  private output = '';

  private constructor(endpoint: string, tlsEndpoint: string, child: ChildProcess, certDir: string) {
    this.endpoint = endpoint;
    this.tlsEndpoint = tlsEndpoint;
    this.child = child;
    this.certDir = certDir;
    child.stdout?.on('data', (d: Buffer) => this.keep(d));
    child.stderr?.on('data', (d: Buffer) => this.keep(d));
    this.client = new KinesisClient({
      endpoint,
      region: TEST_REGION,
      credentials: TEST_CREDENTIALS,
      requestHandler: new NodeHttpHandler({ httpAgent: { keepAlive: true } }),
    });
  }

  static async start(): Promise<KinesisLocal> {
    const main = require.resolve('kinesis-local/main.js');
    const [plain, tls] = [await freePort(), await freePort()];
    const certDir = mkdtempSync(join(tmpdir(), 'kinesis-local-cert-'));
    const certPath = join(certDir, 'server.json');
    const key = readFileSync(join(TLS_DIR, 'server.key'), 'utf8');
    const cert = readFileSync(join(TLS_DIR, 'server.pem'), 'utf8');
    writeFileSync(certPath, JSON.stringify({ server: { key, cert } }));
    const child = spawn(process.execPath, [main], {
      cwd: dirname(main),
      env: {
        ...process.env,
        KINESIS_MOCK_PLAIN_PORT: String(plain),
        KINESIS_MOCK_TLS_PORT: String(tls),
        KINESIS_MOCK_CERT_PATH: certPath,
        LOG_LEVEL: 'WARN',
        CREATE_STREAM_DURATION: '0ms',
        SHARD_LIMIT: '1000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const local = new KinesisLocal(`http://127.0.0.1:${plain}`, `https://127.0.0.1:${tls}`, child, certDir);
    await local.waitReady();
    return local;
  }

  private keep(d: Buffer): void {
    this.output = (this.output + d.toString()).slice(-20_000);
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`kinesis-local exited: ${this.output}`);
      try {
        await fetch(this.endpoint, { method: 'GET' });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`kinesis-local did not start: ${this.output}`);
  }

  async createStream(name: string, shards = 1): Promise<void> {
    await this.client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const d = await this.client.send(new DescribeStreamCommand({ StreamName: name }));
      if (d.StreamDescription?.StreamStatus === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`stream ${name} did not become ACTIVE`);
  }

  /** Every record in the stream, shard by shard, oldest first in each shard. */
  async readAll(stream: string): Promise<StoredRecord[]> {
    const shards = await this.client.send(new ListShardsCommand({ StreamName: stream }));
    const out: StoredRecord[] = [];
    for (const shard of shards.Shards ?? []) {
      const shardId = shard.ShardId!;
      let iterator = (
        await this.client.send(
          new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
        )
      ).ShardIterator;
      while (iterator) {
        const page = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        for (const r of page.Records ?? []) {
          out.push({
            data: Buffer.from(r.Data ?? new Uint8Array()),
            partitionKey: r.PartitionKey ?? '',
            sequenceNumber: r.SequenceNumber ?? '',
            shardId,
          });
        }
        if (!page.Records?.length || page.MillisBehindLatest === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return out;
  }

  /** Polls until `predicate` holds for the stream's records, or the deadline passes. */
  async waitFor(
    stream: string,
    predicate: (records: StoredRecord[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<StoredRecord[]> {
    const deadline = Date.now() + timeoutMs;
    let records = await this.readAll(stream);
    while (!predicate(records) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      records = await this.readAll(stream);
    }
    return records;
  }

  async stop(): Promise<void> {
    this.client.destroy();
    rmSync(this.certDir, { recursive: true, force: true });
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * One kinesis-local and one temporary directory for a test file: started
 * before its first test, stopped and removed after its last. Read `local`
 * and `dir` inside tests (they are set once `beforeAll` has run).
 */
export function useKinesisLocal(dirPrefix: string): { readonly local: KinesisLocal; readonly dir: string } {
  const env = {} as { local: KinesisLocal; dir: string };
  beforeAll(async () => {
    env.local = await KinesisLocal.start();
    env.dir = mkdtempSync(join(tmpdir(), dirPrefix));
  });
  afterAll(async () => {
    await env.local?.stop();
    if (env.dir) rmSync(env.dir, { recursive: true, force: true });
  });
  return env;
}
