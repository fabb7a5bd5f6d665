/**
 * A small HTTP/1.1 server (HTTP/2 too with `tls`) speaking the AWS JSON 1.1
 * wire protocol of Kinesis (PutRecords, ListShards, DescribeStreamSummary)
 * and Firehose (PutRecordBatch). It records every request, so tests can
 * assert what each call carried, and injects faults on demand.
 *
 * It also understands the CBOR form of the same protocol, which the AWS SDK
 * for Java (and so the Amazon Kinesis Agent) uses for Kinesis by default:
 * `content-type: application/x-amz-cbor-1.1`, the same X-Amz-Target and
 * signature, the body a CBOR map with the JSON body's fields where blobs
 * (a record's `Data`) are byte strings instead of base64 text. Such a body
 * is decoded into the JSON body's shape (blobs as base64), so handlers,
 * recorded requests and faults see no difference but `format`; the answer
 * (errors and faults included) is the same object in CBOR, with the CBOR
 * content type.
 *
 * Operations are looked up in a table keyed by X-Amz-Target (JSON protocols)
 * or `query:<Action>` (the query protocol's form bodies), so another service
 * such as CloudWatch PutMetricData is one more `handle()` call.
 */
import { cbor } from '@smithy/core/cbor';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { constants as h2, createSecureServer, type Http2SecureServer, type Http2ServerRequest } from 'node:http2';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../support/free-port.ts';
import { checkSigV4 } from './sigv4.ts';

const TLS_DIR = join(import.meta.dirname, 'tls');
const JSON_TYPE = 'application/x-amz-json-1.1';
/** The content type of the CBOR form of the AWS JSON protocols (Kinesis in the AWS SDK for Java). */
export const CBOR_TYPE = 'application/x-amz-cbor-1.1';
/** The CA (PEM file) that signed the certificate of a `tls: 'trusted'` server. */
export const TEST_CA_FILE = join(TLS_DIR, 'ca.pem');

export type Fault = (
  | /** Inside a successful answer, fail this fraction of entries with `code`. */
  { kind: 'failRecords'; fraction: number; code?: string }
  /** Throttle whole calls: 400 with the service's throttling exception. */
  | { kind: 'throttle' }
  /** Whole-call HTTP status with an optional __type (e.g. 500, 503). */
  | { kind: 'status'; status: number; type?: string }
  /** A user error: 400 with this __type. */
  | { kind: 'userError'; type: 'ResourceNotFoundException' | 'AccessDeniedException' | 'UnrecognizedClientException' }
  /** Answer after this long. */
  | { kind: 'delay'; ms: number }
  /** Close the connection without answering. */
  | { kind: 'reset' }
  /** 200 with a body that is not a valid answer: a JSON or CBOR answer cut in the middle. */
  | { kind: 'malformed' }
  /** HTTP/2: a graceful GOAWAY (streams in flight are answered), this stream refused unprocessed, the session closed once they are. */
  | { kind: 'goaway' }
) & {
  /** Only for this many calls, then the fault clears itself. */
  times?: number;
  /** Only for these operations (e.g. 'PutRecords'); all when absent. */
  operations?: string[];
};

export interface PutEntry {
  data: Buffer;
  partitionKey?: string;
}

export interface RecordedRequest {
  key: string;
  /** The operation name: PutRecords, PutRecordBatch, ListShards, ... */
  operation: string;
  /**
   * How the body came: AWS JSON 1.1, its CBOR form (content type
   * `CBOR_TYPE`; answered in CBOR) or a query-protocol form.
   */
  format: WireFormat;
  /** The body as JSON has it, whatever `format`: blobs are base64 text. */
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  /** Decoded entries of PutRecords / PutRecordBatch. */
  entries: PutEntry[];
  /** Requests being served when this one arrived, itself included. */
  concurrent: number;
  at: number;
  /** What the server answered; 0 for a reset. */
  status: number;
  /** Positions of entries that were failed inside a successful answer. */
  failedIndexes: number[];
  /**
   * HTTP/1.1 only: the client closed this request's connection before it
   * sent another request on it. A client that gives up on a call (its
   * socket timeout) closes the connection, whether or not the answer had
   * reached it yet; so does one that stops. False while the connection is
   * open or carried a later request; also false when the server closed an
   * idle connection itself.
   */
  closedByClient: boolean;
}

export interface StoredEntry extends PutEntry {
  shardId?: string;
  sequenceNumber: string;
}

export type WireFormat = 'json' | 'cbor' | 'query';

export interface Reply {
  status: number;
  /**
   * An object is sent as JSON, or as CBOR to a CBOR request; a string or a
   * Buffer is sent as it is.
   */
  body: unknown;
  /** Default: the request's (`application/x-amz-json-1.1` or `CBOR_TYPE`). */
  contentType?: string;
}

export type Handler = (request: RecordedRequest, server: AwsProtocolServer) => Reply | Promise<Reply>;

const HASH_SPACE = 1n << 128n;

/** An AWS error answer: `{ __type, message }` (JSON, or CBOR to a CBOR request), with `x-amzn-ErrorType` set from `__type`. */
function errorReply(status: number, type: string, message: string): Reply {
  return { status, body: { __type: type, message } };
}

export class AwsProtocolServer {
  readonly requests: RecordedRequest[] = [];
  /** Accepted entries per Kinesis stream. */
  readonly streams = new Map<string, { shards: number; firstShard: number; entries: StoredEntry[]; maxRecordSizeKiB: number }>();
  /** Accepted entries per Firehose delivery stream. */
  readonly deliveryStreams = new Map<string, StoredEntry[]>();
  faults: Fault[] = [];
  endpoint = '';
  private readonly handlers = new Map<string, Handler>();
  private server: Server | Http2SecureServer | undefined;
  /** TLS server only: HTTP/2 sessions (connections) opened by clients. */
  sessions = 0;
  /**
   * When set, every request must carry a SigV4 signature by one of these
   * keys (access key id -> secret): an unknown key is answered 400
   * UnrecognizedClientException, a wrong signature 403
   * InvalidSignatureException, as AWS's JSON services do.
   */
  signingKeys: Map<string, string> | undefined;
  private active = 0;
  private sequence = 0;
  private readonly lastOnSocket = new WeakMap<Socket, RecordedRequest>();
  private readonly closedByServer = new WeakSet<Socket>();

  constructor() {
    this.handle('Kinesis_20131202.PutRecords', (r) => this.putRecords(r));
    this.handle('Kinesis_20131202.ListShards', (r) => this.listShards(r));
    this.handle('Kinesis_20131202.DescribeStreamSummary', (r) => this.describeStreamSummary(r));
    this.handle('Firehose_20150804.PutRecordBatch', (r) => this.putRecordBatch(r));
  }

  /**
   * `tls: true` serves HTTPS with HTTP/2 (and HTTP/1.1) using the self-signed
   * certificate kinesis-local ships; clients must not verify it. `tls:
   * 'trusted'` serves a certificate for 127.0.0.1 signed by the test CA
   * `TEST_CA_FILE` (test/servers/tls/), which a client can verify.
   */
  static async start(opts: { tls?: boolean | 'trusted' } = {}): Promise<AwsProtocolServer> {
    const s = new AwsProtocolServer();
    await s.listen(opts.tls ?? false, await freePort());
    return s;
  }

  /** On a given port, e.g. one a client was already told about. */
  static async startOn(port: number): Promise<AwsProtocolServer> {
    const s = new AwsProtocolServer();
    await s.listen(false, port);
    return s;
  }

  handle(key: string, handler: Handler): void {
    this.handlers.set(key, handler);
  }

  /** `maxRecordSizeKiB`: the stream's record size limit (UpdateMaxRecordSize: 1024..10240), enforced by PutRecords. */
  createStream(name: string, shards = 1, maxRecordSizeKiB = 1024): void {
    this.streams.set(name, { shards, firstShard: 0, entries: [], maxRecordSizeKiB });
  }

  /** Replaces a stream's shards with `shards` new ones (new ids, even hash key ranges); records stay. */
  reshard(name: string, shards: number): void {
    const s = this.streams.get(name);
    if (!s) throw new Error(`no stream ${name}`);
    s.firstShard += s.shards;
    s.shards = shards;
  }

  createDeliveryStream(name: string): void {
    this.deliveryStreams.set(name, []);
  }

  setFaults(...faults: Fault[]): void {
    this.faults = faults;
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Requests of one operation, in arrival order. */
  calls(operation: string): RecordedRequest[] {
    return this.requests.filter((r) => r.operation === operation);
  }

  private async listen(tls: boolean | 'trusted', port: number): Promise<void> {
    if (tls) {
      const require = createRequire(import.meta.url);
      const pem =
        tls === 'trusted'
          ? { key: readFileSync(join(TLS_DIR, 'server.key'), 'utf8'), cert: readFileSync(join(TLS_DIR, 'server.pem'), 'utf8') }
          : (JSON.parse(readFileSync(require.resolve('kinesis-local/server.json'), 'utf8')) as { server: { key: string; cert: string } }).server;
      const server = createSecureServer({ key: pem.key, cert: pem.cert, allowHTTP1: true }, (req, res) => {
        void this.serve(req as unknown as IncomingMessage, res as unknown as ServerResponse);
      });
      server.on('session', () => this.sessions++);
      this.server = server;
    } else {
      const server = createServer((req, res) => void this.serve(req, res));
      server.keepAliveTimeout = 5_000;
      this.server = server;
    }
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const { port: bound } = server.address() as AddressInfo;
    this.endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${bound}`;
  }

  private faultsFor(operation: string): Fault[] {
    const out: Fault[] = [];
    for (const f of this.faults) {
      if (f.operations && !f.operations.includes(operation)) continue;
      if (f.times !== undefined) {
        if (f.times <= 0) continue;
        f.times--;
      }
      out.push(f);
    }
    return out;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    const raw = bytes.toString('utf8');
    const target = req.headers['x-amz-target'];
    let key: string;
    let body: Record<string, unknown>;
    let format: WireFormat;
    if (typeof target === 'string') {
      key = target;
      format = req.headers['content-type'] === CBOR_TYPE ? 'cbor' : 'json';
      body = format === 'cbor' ? parseCbor(bytes) : parseJson(raw);
    } else {
      format = 'query';
      const form = new URLSearchParams(raw);
      key = `query:${form.get('Action') ?? ''}`;
      body = Object.fromEntries(form);
    }
    const operation = key.includes('.') ? key.slice(key.indexOf('.') + 1) : key.replace(/^query:/, '');
    this.active++;
    const request: RecordedRequest = {
      key,
      operation,
      format,
      body,
      headers: req.headers,
      entries: decodeEntries(body),
      concurrent: this.active,
      at: Date.now(),
      status: 0,
      failedIndexes: [],
      closedByClient: false,
    };
    this.requests.push(request);
    this.noteConnection(req, request);
    try {
      const faults = this.faultsFor(operation);
      for (const f of faults) if (f.kind === 'delay') await new Promise((r) => setTimeout(r, f.ms));
      if (faults.some((f) => f.kind === 'reset')) {
        this.closedByServer.add(req.socket);
        req.socket.destroy();
        return;
      }
      if (faults.some((f) => f.kind === 'goaway')) {
        const stream = (req as unknown as Http2ServerRequest).stream;
        if (stream) {
          // Streams already opened may still be answered (the last stream id is the highest possible), this one is not.
          stream.session?.goaway(h2.NGHTTP2_NO_ERROR, 2 ** 31 - 1);
          stream.close(h2.NGHTTP2_REFUSED_STREAM);
          stream.session?.close();
        } else {
          this.closedByServer.add(req.socket);
          req.socket.destroy();
        }
        return;
      }
      const reply = this.signatureReply(req, bytes) ?? this.faultReply(faults, operation, format) ?? (await this.dispatch(request, faults));
      request.status = reply.status;
      const payload =
        typeof reply.body === 'string' || Buffer.isBuffer(reply.body)
          ? reply.body
          : format === 'cbor'
            ? Buffer.from(cbor.serialize(reply.body))
            : JSON.stringify(reply.body);
      const headers: Record<string, string> = {
        'content-type': reply.contentType ?? (format === 'cbor' ? CBOR_TYPE : JSON_TYPE),
        'x-amzn-requestid': `req-${this.requests.length}`,
      };
      const type = (reply.body as { __type?: string } | null)?.__type;
      if (reply.status >= 400 && type) headers['x-amzn-errortype'] = type;
      res.writeHead(reply.status, headers);
      res.end(payload);
    } finally {
      this.active--;
    }
  }

  /** Keeps `closedByClient` of the last request on each HTTP/1.1 connection. */
  private noteConnection(req: IncomingMessage, request: RecordedRequest): void {
    if ((req as unknown as Partial<Http2ServerRequest>).stream) return;
    const socket = req.socket;
    const known = this.lastOnSocket.has(socket);
    this.lastOnSocket.set(socket, request);
    if (known) return;
    // The server ends an idle kept-alive connection through its timeout.
    socket.on('timeout', () => this.closedByServer.add(socket));
    socket.on('close', () => {
      const last = this.lastOnSocket.get(socket);
      if (last && !this.closedByServer.has(socket)) last.closedByClient = true;
    });
  }

  private signatureReply(req: IncomingMessage, body: Buffer): Reply | undefined {
    if (!this.signingKeys) return undefined;
    const path = (req.url ?? '/').split('?')[0]!;
    const check = checkSigV4(req.method ?? 'POST', path, req.headers, body, this.signingKeys);
    if (check.ok) return undefined;
    if (check.reason === 'mismatch') {
      return errorReply(403, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.');
    }
    if (check.reason === 'unknown-key') return errorReply(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    return errorReply(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  }

  private faultReply(faults: Fault[], operation: string, format: WireFormat): Reply | undefined {
    for (const f of faults) {
      switch (f.kind) {
        case 'throttle':
          return operation === 'PutRecordBatch'
            ? errorReply(400, 'ServiceUnavailableException', 'Slow down.')
            : errorReply(400, 'ProvisionedThroughputExceededException', 'Rate exceeded for stream.');
        case 'status':
          return errorReply(f.status, f.type ?? (f.status >= 500 ? 'InternalFailure' : 'InvalidArgumentException'), `injected ${f.status}`);
        case 'userError':
          return errorReply(400, f.type, `injected ${f.type}`);
        case 'malformed':
          return { status: 200, body: format === 'cbor' ? TRUNCATED_CBOR : '{"Records": [{"Sequ' };
        default:
      }
    }
    return undefined;
  }

  private async dispatch(request: RecordedRequest, faults: Fault[]): Promise<Reply> {
    const handler = this.handlers.get(request.key);
    if (!handler) return errorReply(400, 'UnknownOperationException', `no handler for ${request.key}`);
    const failing = faults.find((f) => f.kind === 'failRecords');
    if (failing && failing.kind === 'failRecords') {
      request.entries.forEach((_, i) => {
        if (Math.random() < failing.fraction) request.failedIndexes.push(i);
      });
    }
    return handler(request, this);
  }

  private streamName(body: Record<string, unknown>): string {
    const name = body.StreamName ?? body.StreamARN;
    return typeof name === 'string' ? name.replace(/^arn:.*:stream\//, '') : '';
  }

  /** The open shard a partition key hashes to, by the same ranges ListShards reports. */
  shardOf(stream: string, key: string): string {
    const s = this.streams.get(stream)!;
    const h = BigInt(`0x${createHash('md5').update(key).digest('hex')}`);
    const range = hashRanges(s.shards).find((r) => h >= r.start && h <= r.end)!;
    return shardId(s.firstShard + range.index);
  }

  private putRecords(r: RecordedRequest): Reply {
    const name = this.streamName(r.body);
    const stream = this.streams.get(name);
    if (!stream) return errorReply(400, 'ResourceNotFoundException', `Stream ${name} under account 000000000000 not found.`);
    const refused = putRecordsLimitError(r.entries, stream.maxRecordSizeKiB);
    if (refused) return refused;
    const failed = new Set(r.failedIndexes);
    const code = (this.faults.find((f) => f.kind === 'failRecords') as { code?: string } | undefined)?.code;
    const results = r.entries.map((e, i) => {
      if (failed.has(i)) {
        const errorCode = code ?? (i % 2 ? 'ProvisionedThroughputExceededException' : 'InternalFailure');
        return { ErrorCode: errorCode, ErrorMessage: `injected ${errorCode}` };
      }
      const shard = this.shardOf(name, e.partitionKey ?? '');
      const sequenceNumber = String(++this.sequence).padStart(20, '0');
      stream.entries.push({ ...e, shardId: shard, sequenceNumber });
      return { SequenceNumber: sequenceNumber, ShardId: shard };
    });
    return { status: 200, body: { FailedRecordCount: failed.size, Records: results } };
  }

  private putRecordBatch(r: RecordedRequest): Reply {
    const name = typeof r.body.DeliveryStreamName === 'string' ? r.body.DeliveryStreamName : '';
    const stream = this.deliveryStreams.get(name);
    if (!stream) return errorReply(400, 'ResourceNotFoundException', `Firehose ${name} under account 000000000000 not found.`);
    const failed = new Set(r.failedIndexes);
    const code = (this.faults.find((f) => f.kind === 'failRecords') as { code?: string } | undefined)?.code;
    const results = r.entries.map((e, i) => {
      if (failed.has(i)) {
        const errorCode = code ?? 'ServiceUnavailableException';
        return { ErrorCode: errorCode, ErrorMessage: `injected ${errorCode}` };
      }
      const id = String(++this.sequence).padStart(20, '0');
      stream.push({ ...e, sequenceNumber: id });
      return { RecordId: id };
    });
    return { status: 200, body: { FailedPutCount: failed.size, Encrypted: false, RequestResponses: results } };
  }

  private listShards(r: RecordedRequest): Reply {
    const name = this.streamName(r.body);
    const stream = this.streams.get(name);
    if (!stream) return errorReply(400, 'ResourceNotFoundException', `Stream ${name} not found.`);
    const shards = hashRanges(stream.shards).map((r) => ({
      ShardId: shardId(stream.firstShard + r.index),
      HashKeyRange: { StartingHashKey: r.start.toString(), EndingHashKey: r.end.toString() },
      SequenceNumberRange: { StartingSequenceNumber: '0' },
    }));
    return { status: 200, body: { Shards: shards } };
  }

  private describeStreamSummary(r: RecordedRequest): Reply {
    const name = this.streamName(r.body);
    const stream = this.streams.get(name);
    if (!stream) return errorReply(400, 'ResourceNotFoundException', `Stream ${name} not found.`);
    return {
      status: 200,
      body: {
        StreamDescriptionSummary: {
          StreamName: name,
          StreamARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${name}`,
          StreamStatus: 'ACTIVE',
          OpenShardCount: stream.shards,
          MaxRecordSizeInKiB: stream.maxRecordSizeKiB,
          RetentionPeriodHours: 24,
          StreamCreationTimestamp: 0,
          EnhancedMonitoring: [],
        },
      },
    };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    if ('closeAllConnections' in server) server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * PutRecords' limits as the service enforces them: 500 records; each record
 * (data and partition key) at most the stream's MaxRecordSizeInKiB; the call
 * at most 5 MiB, or 10 MiB on a stream whose records may pass 1 MiB.
 */
function putRecordsLimitError(entries: PutEntry[], maxRecordSizeKiB: number): Reply | undefined {
  if (entries.length > 500) {
    return errorReply(400, 'ValidationException', `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length less than or equal to 500`);
  }
  const perRecord = maxRecordSizeKiB * 1024;
  let total = 0;
  for (let i = 0; i < entries.length; i++) {
    const size = entries[i]!.data.length + Buffer.byteLength(entries[i]!.partitionKey ?? '');
    if (size > perRecord) {
      return errorReply(400, 'ValidationException', `1 validation error detected: Value at 'records.${i + 1}.member.data' failed to satisfy constraint: Member must have length less than or equal to ${perRecord}`);
    }
    total += size;
  }
  const perCall = (maxRecordSizeKiB > 1024 ? 10 : 5) * 1024 * 1024;
  if (total > perCall) return errorReply(400, 'InvalidArgumentException', `Records size exceeds ${perCall / 1024 / 1024} MB limit`);
  return undefined;
}

function hashRanges(shards: number): { index: number; start: bigint; end: bigint }[] {
  return Array.from({ length: shards }, (_, i) => ({
    index: i,
    start: (HASH_SPACE * BigInt(i)) / BigInt(shards),
    end: (HASH_SPACE * BigInt(i + 1)) / BigInt(shards) - 1n,
  }));
}

function shardId(index: number): string {
  return `shardId-${String(index).padStart(12, '0')}`;
}

/** A CBOR PutRecords answer cut inside its first record's SequenceNumber (the `malformed` fault). */
const TRUNCATED_CBOR = (() => {
  const whole = Buffer.from(cbor.serialize({ FailedRecordCount: 0, Records: [{ SequenceNumber: '49600000000000000000000000000000000000000000000000000001', ShardId: 'shardId-000000000000' }] }));
  return whole.subarray(0, whole.indexOf('4960') + 4);
})();

function parseJson(raw: string): Record<string, unknown> {
  try {
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A CBOR body in the shape JSON gives it: byte strings (blobs) become base64 text; {} when it is not CBOR. */
function parseCbor(bytes: Buffer): Record<string, unknown> {
  if (bytes.length === 0) return {};
  let decoded: unknown;
  try {
    decoded = cbor.deserialize(bytes);
  } catch {
    return {};
  }
  const json = blobsAsBase64(decoded);
  return json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
}

function blobsAsBase64(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(blobsAsBase64);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, blobsAsBase64(v)]));
  }
  return value;
}

function decodeEntries(body: Record<string, unknown>): PutEntry[] {
  const records = body.Records;
  if (!Array.isArray(records)) return [];
  return records.map((r: { Data?: string; PartitionKey?: string }) => ({
    data: Buffer.from(r.Data ?? '', 'base64'),
    ...(r.PartitionKey !== undefined ? { partitionKey: r.PartitionKey } : {}),
  }));
}
