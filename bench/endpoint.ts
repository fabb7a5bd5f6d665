/**
 * A fast local Kinesis / Firehose endpoint for the benchmark (not a test
 * server: see test/servers/ for those). AWS JSON 1.1 and its CBOR form
 * (`application/x-amz-cbor-1.1`, what the AWS SDK for Java sends Kinesis) on
 * two ports: TLS with HTTP/2 and HTTP/1.1 chosen by ALPN (the path
 * production takes, with flow-control windows as large as a real service's:
 * `H2_SETTINGS`), and plain HTTP/1.1 keep-alive.
 * It answers PutRecords, PutRecordBatch, ListShards and DescribeStreamSummary
 * at once with success, in the request's format, and counts what arrives
 * without parsing it into objects. In JSON it scans the body for
 * `"Data":"...` values and takes plain record sizes from the base64 length;
 * in CBOR it walks the structure (the body map, its `Records` array, each
 * record map) to each `Data` byte string, whose header gives its offset and
 * length. It decodes only KPL aggregates (magic F3 89 9A C2), compressed or
 * not, whose protobuf it walks just far enough to count the user records and
 * their bytes.
 *
 * Optional work, switched on per run: `latency` (each user record starts
 * with its append time in epoch ms; arrival minus that is recorded) and
 * `verify` (each user record holds `seq=<n>`; distinct n are counted, so
 * duplicates and losses show).
 *
 * Run by bench/run.ts as a forked child and controlled over IPC, with the
 * certificate and key bench/tls.ts made; or alone:
 *   npx node bench/endpoint.ts [port] [cert.pem key.pem]  (prints counts every second)
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type Settings } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { cbor } from '@smithy/core/cbor';
import { compressedAggregate, compressedAggregateOf } from './features-endpoint.ts';

/**
 * HTTP/2 settings the TLS port announces. Node's defaults are the protocol's
 * (a 64 KiB window), far smaller than what services and proxies in front of
 * them announce (1 MiB and more per stream); a small window would measure the
 * window, not the agent. The connection window is raised in `onSession`.
 */
export const H2_SETTINGS: Settings = { initialWindowSize: 1 << 20, maxFrameSize: 1 << 16, maxConcurrentStreams: 128 };
const H2_CONNECTION_WINDOW = 16 << 20;
/** The content type of the CBOR form of the Kinesis protocol; a request with it is counted and answered in CBOR. */
export const CBOR_TYPE = 'application/x-amz-cbor-1.1';
const JSON_TYPE = 'application/x-amz-json-1.1';

/** Where the TLS port's certificate and key are (PEM files). */
export interface TlsFiles {
  cert: string;
  key: string;
}

export type Mode = 'ok' | 'unavailable' | 'throttle';

export interface RunOptions {
  /** User records to wait for; `done` is sent once this many arrived. */
  expect: number;
  mode?: Mode;
  latency?: boolean;
  /** Size of the seq bitmap (0: no verification). */
  verify?: number;
}

export interface EndpointStats {
  requests: number;
  /** Requests answered with an error (outage modes). */
  refused: number;
  /** API records (an aggregate counts once). */
  entries: number;
  aggregates: number;
  /** User records, aggregates opened. */
  records: number;
  /** User record bytes. */
  bytes: number;
  /** Request body bytes received. */
  wireBytes: number;
  /** Requests by how they came: `http` (plain port), `h2` or `https/1.1` (TLS port). */
  protocols: Record<string, number>;
  /** Requests by body format: `json` or `cbor`. */
  formats: Record<string, number>;
  firstAt: number;
  lastAt: number;
  doneAt: number;
  /** [epoch ms, user records so far] after each successful answer. */
  timeline: [number, number][];
  latencies?: number[];
  distinct?: number;
  /** Records whose seq was seen before. */
  duplicates?: number;
  /** Records in which no seq was found (verify mode). */
  unmarked?: number;
  cpuMs: number;
}

const now = (): number => performance.timeOrigin + performance.now();
const DATA = Buffer.from('"Data":"');
const QUOTE = 0x22;
const MAGIC = [0xf3, 0x89, 0x9a, 0xc2];
const SEQ = Buffer.from('seq=');

export class BenchEndpoint {
  port = 0;
  /** The TLS port (HTTP/2 and HTTP/1.1), 0 when no certificate was given. */
  tlsPort = 0;
  private opts: Required<RunOptions> = { expect: Infinity, mode: 'ok', latency: false, verify: 0 };
  private stats = BenchEndpoint.fresh();
  private seen: Uint8Array | undefined;
  private onDone: ((s: EndpointStats) => void) | undefined;
  /** Success answers by API record count, JSON and CBOR. */
  private readonly kinesisAnswers = new Map<number, Buffer>();
  private readonly firehoseAnswers = new Map<number, Buffer>();
  private readonly kinesisCborAnswers = new Map<number, Buffer>();
  private readonly firehoseCborAnswers = new Map<number, Buffer>();
  private readonly server = createServer({ keepAliveTimeout: 120_000, requestTimeout: 0 }, (req, res) => this.serve(req, res));
  private tlsServer: Http2SecureServer | undefined;

  private static fresh(): EndpointStats {
    return {
      requests: 0,
      refused: 0,
      entries: 0,
      aggregates: 0,
      records: 0,
      bytes: 0,
      wireBytes: 0,
      protocols: {},
      formats: {},
      firstAt: 0,
      lastAt: 0,
      doneAt: 0,
      timeline: [],
      cpuMs: 0,
    };
  }

  async listen(port = 0, tls?: TlsFiles): Promise<number> {
    this.server.headersTimeout = 0;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', resolve);
    });
    this.port = (this.server.address() as AddressInfo).port;
    if (tls) {
      const server = createSecureServer(
        { cert: readFileSync(tls.cert), key: readFileSync(tls.key), allowHTTP1: true, settings: H2_SETTINGS },
        (req, res) => this.serve(req, res),
      );
      server.on('session', (session) => {
        session.once('connect', () => session.setLocalWindowSize(H2_CONNECTION_WINDOW));
      });
      // HTTP/1.1 over TLS: keep connections open as the plain port does.
      (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = 120_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      this.tlsServer = server;
      this.tlsPort = (server.address() as AddressInfo).port;
    }
    return this.port;
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
    this.tlsServer?.close();
  }

  reset(opts: RunOptions, onDone?: (s: EndpointStats) => void): void {
    this.opts = { mode: 'ok', latency: false, verify: 0, ...opts };
    this.stats = BenchEndpoint.fresh();
    if (this.opts.latency) this.stats.latencies = [];
    this.seen = this.opts.verify > 0 ? new Uint8Array(this.opts.verify) : undefined;
    if (this.seen) Object.assign(this.stats, { distinct: 0, duplicates: 0, unmarked: 0 });
    this.onDone = onDone;
  }

  setMode(mode: Mode): void {
    this.opts.mode = mode;
  }

  snapshot(): EndpointStats {
    const u = process.cpuUsage();
    return { ...this.stats, cpuMs: (u.user + u.system) / 1000 };
  }

  private serve(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void {
    const protocol = 'stream' in req ? 'h2' : (req.socket as { encrypted?: boolean }).encrypted ? 'https/1.1' : 'http';
    this.stats.protocols[protocol] = (this.stats.protocols[protocol] ?? 0) + 1;
    const chunks: Buffer[] = [];
    let len = 0;
    req.on('data', (c: Buffer) => {
      chunks.push(c);
      len += c.length;
    });
    const format: Format = req.headers['content-type'] === CBOR_TYPE ? 'cbor' : 'json';
    this.stats.formats[format] = (this.stats.formats[format] ?? 0) + 1;
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, len);
      this.stats.wireBytes += len;
      this.handle(String(req.headers['x-amz-target'] ?? ''), body, format, res);
    });
  }

  private reply(res: ServerResponse | Http2ServerResponse, format: Format, status: number, body: Buffer | string, errorType?: string): void {
    const headers: Record<string, string | number> = {
      'content-type': format === 'cbor' ? CBOR_TYPE : JSON_TYPE,
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': 'bench',
    };
    if (errorType) headers['x-amzn-errortype'] = errorType;
    (res as ServerResponse).writeHead(status, headers);
    res.end(body);
  }

  private handle(target: string, body: Buffer, format: Format, res: ServerResponse | Http2ServerResponse): void {
    const op = target.slice(target.indexOf('.') + 1);
    const stats = this.stats;
    stats.requests++;
    if (op === 'PutRecords' || op === 'PutRecordBatch') {
      if (this.opts.mode !== 'ok') {
        stats.refused++;
        if (this.opts.mode === 'unavailable') {
          const type = op === 'PutRecords' ? 'InternalFailure' : 'ServiceUnavailableException';
          this.reply(res, format, 503, encode({ __type: type, message: 'bench outage' }, format), type);
        } else {
          const type = op === 'PutRecords' ? 'ProvisionedThroughputExceededException' : 'ServiceUnavailableException';
          this.reply(res, format, 400, encode({ __type: type, message: 'Rate exceeded for stream bench' }, format), type);
        }
        return;
      }
      const n = format === 'cbor' ? this.countCbor(body) : this.count(body);
      const t = now();
      if (stats.firstAt === 0) stats.firstAt = t;
      stats.lastAt = t;
      stats.timeline.push([t, stats.records]);
      this.reply(res, format, 200, op === 'PutRecords' ? this.kinesisAnswer(n, format) : this.firehoseAnswer(n, format));
      // Verifying, only distinct lines count: a duplicate must not end the run early.
      if (stats.doneAt === 0 && (this.seen ? stats.distinct! : stats.records) >= this.opts.expect) {
        stats.doneAt = t;
        this.onDone?.(this.snapshot());
      }
      return;
    }
    if (op === 'ListShards') {
      this.reply(res, format, 200, encode(LIST_SHARDS, format));
      return;
    }
    if (op === 'DescribeStreamSummary') {
      this.reply(res, format, 200, encode(STREAM_SUMMARY, format));
      return;
    }
    this.reply(res, format, 400, encode({ __type: 'UnknownOperationException', message: op }, format), 'UnknownOperationException');
  }

  /** Counts the entries of one Put call; returns how many API records it had. */
  private count(body: Buffer): number {
    const stats = this.stats;
    const inspect = this.opts.latency || this.seen !== undefined;
    let n = 0;
    let at = body.indexOf(DATA);
    while (at >= 0) {
      const start = at + DATA.length;
      const end = body.indexOf(QUOTE, start);
      n++;
      // "84maw" is the base64 of the KPL magic's first bytes.
      const aggregated =
        end - start > 8 && body[start] === 0x38 && body[start + 1] === 0x34 && body[start + 2] === 0x6d && body[start + 3] === 0x61;
      const unpacked = !aggregated && compressedAggregate(body, start, end);
      if (unpacked) {
        stats.aggregates++;
        this.walkAggregate(unpacked, inspect);
      } else if (aggregated || inspect) {
        this.countData(Buffer.from(body.toString('latin1', start, end), 'base64'), inspect, false);
      } else {
        stats.records++;
        let pad = 0;
        if (body[end - 1] === 0x3d) pad = body[end - 2] === 0x3d ? 2 : 1;
        stats.bytes += ((end - start) / 4) * 3 - pad;
      }
      at = body.indexOf(DATA, end);
    }
    stats.entries += n;
    return n;
  }

  /**
   * Counts the entries of one Put call in CBOR (`{"StreamName": ...,
   * "Records": [{"Data": bytes, "PartitionKey": ...}, ...]}`, any key
   * order, other keys skipped); returns how many API records it had. Only
   * the heads of items are read: a `Data` byte string's head gives its
   * offset and length. A body that is not such a map counts what was found
   * before the fault.
   */
  private countCbor(body: Buffer): number {
    const inspect = this.opts.latency || this.seen !== undefined;
    let n = 0;
    try {
      if (cborHead(body, 0) !== MAP) return 0;
      let at = headEnd;
      for (let pairs = headArg; pairs !== 0 && body[at] !== BREAK; pairs--) {
        const isRecords = cborHead(body, at) === TEXT && isKey(body, headEnd, headArg, RECORDS);
        at = cborSkip(body, at); // past the key
        if (!isRecords) {
          at = cborSkip(body, at);
          continue;
        }
        if (cborHead(body, at) !== ARRAY) return n;
        at = headEnd;
        // An indefinite length (-1) never counts down to 0: the break byte ends it.
        const items = headArg;
        for (let left = items; left !== 0 && body[at] !== BREAK; left--) {
          if (cborHead(body, at) !== MAP) return n;
          at = headEnd;
          const fields = headArg;
          for (let left = fields; left !== 0 && body[at] !== BREAK; left--) {
            const isData = cborHead(body, at) === TEXT && isKey(body, headEnd, headArg, DATA_KEY);
            at = cborSkip(body, at); // past the key
            if (!isData) {
              at = cborSkip(body, at);
              continue;
            }
            const major = cborHead(body, at);
            if (major === BYTES && headArg >= 0 && headEnd + headArg > body.length) throw new RangeError('CBOR body ends inside a Data');
            n++;
            if (major === BYTES && headArg >= 0) {
              this.countData(body.subarray(headEnd, headEnd + headArg), inspect, true);
              at = headEnd + headArg;
            } else {
              if (major === BYTES) this.countData(cborBytes(body, at), inspect, true);
              at = cborSkip(body, at);
            }
          }
          if (fields < 0) at++;
        }
        if (items < 0) at++;
      }
    } catch {
      // A truncated or malformed body: what was found so far stands.
    } finally {
      this.stats.entries += n;
    }
    return n;
  }

  /**
   * Counts one record's bytes: a KPL aggregate (with `compressed`, one in a
   * gzip or zstd stream too) by its user records, else one record.
   */
  private countData(data: Buffer, inspect: boolean, compressed: boolean): void {
    const stats = this.stats;
    const aggregate = isAggregate(data) ? data : compressed ? compressedAggregateOf(data) : undefined;
    if (aggregate) {
      stats.aggregates++;
      this.walkAggregate(aggregate, inspect);
    } else {
      stats.records++;
      stats.bytes += data.length;
      if (inspect) this.inspect(data);
    }
  }

  /** Counts the user records of a KPL aggregate: top-level field 3, and inside it field 3 (data). */
  private walkAggregate(buf: Buffer, inspect: boolean): void {
    const stats = this.stats;
    let at = 4;
    const end = buf.length - 16;
    while (at < end) {
      const tag = buf[at++]!;
      let len: number;
      [len, at] = varint(buf, at);
      if ((tag & 7) !== 2) break;
      if (tag >> 3 === 3) {
        stats.records++;
        let p = at;
        const stop = at + len;
        while (p < stop) {
          const t = buf[p++]!;
          if ((t & 7) === 0) {
            [, p] = varint(buf, p);
          } else {
            let l: number;
            [l, p] = varint(buf, p);
            if (t >> 3 === 3) {
              stats.bytes += l;
              if (inspect) this.inspect(buf.subarray(p, p + l));
            }
            p += l;
          }
        }
      }
      at += len;
    }
  }

  private inspect(data: Buffer): void {
    const t = now();
    if (this.stats.latencies) {
      const sp = data.indexOf(0x20);
      const sent = Number(data.toString("latin1", 0, sp > 0 ? sp : Math.min(data.length, 20)));
      if (Number.isFinite(sent)) this.stats.latencies.push(t - sent);
    }
    const seen = this.seen;
    if (seen) {
      const at = data.indexOf(SEQ);
      if (at < 0) {
        this.stats.unmarked!++;
        return;
      }
      let seq = 0;
      for (let i = at + SEQ.length; i < data.length; i++) {
        const c = data[i]!;
        if (c < 0x30 || c > 0x39) break;
        seq = seq * 10 + (c - 0x30);
      }
      if (seq >= seen.length) {
        this.stats.unmarked!++;
      } else if (seen[seq]) {
        this.stats.duplicates!++;
      } else {
        seen[seq] = 1;
        this.stats.distinct!++;
      }
    }
  }

  private kinesisAnswer(n: number, format: Format): Buffer {
    const cache = format === 'cbor' ? this.kinesisCborAnswers : this.kinesisAnswers;
    let b = cache.get(n);
    if (!b) {
      const one = { SequenceNumber: '49600000000000000000000000000000000000000000000000000001', ShardId: 'shardId-000000000000' };
      b = repeatedAnswer({ FailedRecordCount: 0 }, 'Records', one, n, format);
      cache.set(n, b);
    }
    return b;
  }

  private firehoseAnswer(n: number, format: Format): Buffer {
    const cache = format === 'cbor' ? this.firehoseCborAnswers : this.firehoseAnswers;
    let b = cache.get(n);
    if (!b) {
      b = repeatedAnswer({ FailedPutCount: 0, Encrypted: false }, 'RequestResponses', { RecordId: 'bench-record-id' }, n, format);
      cache.set(n, b);
    }
    return b;
  }
}

type Format = 'json' | 'cbor';

const LIST_SHARDS = {
  Shards: [
    {
      ShardId: 'shardId-000000000000',
      HashKeyRange: { StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' },
      SequenceNumberRange: { StartingSequenceNumber: '49600000000000000000000000000000000000000000000000000000' },
    },
  ],
};

const STREAM_SUMMARY = {
  StreamDescriptionSummary: {
    StreamName: 'bench',
    StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/bench',
    StreamStatus: 'ACTIVE',
    RetentionPeriodHours: 24,
    StreamCreationTimestamp: 1_700_000_000,
    EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
    OpenShardCount: 1,
  },
};

function encode(value: object, format: Format): Buffer {
  return format === 'cbor' ? Buffer.from(cbor.serialize(value)) : Buffer.from(JSON.stringify(value));
}

/**
 * `{...fields, [list]: [one, one, ...n times]}`, encoded once per n: the
 * entry's encoding repeated after the fields' (in CBOR, the map's encoding
 * with an empty list last, whose array head is replaced by one for n items).
 */
function repeatedAnswer(fields: object, list: string, one: object, n: number, format: Format): Buffer {
  if (format === 'json') {
    const head = JSON.stringify({ ...fields, [list]: [] });
    return Buffer.from(`${head.slice(0, -3)}[${Array(n).fill(JSON.stringify(one)).join(',')}]}`);
  }
  const empty = Buffer.from(cbor.serialize({ ...fields, [list]: [] }));
  const entry = Buffer.from(cbor.serialize(one));
  return Buffer.concat([empty.subarray(0, -1), arrayHead(n), ...Array<Buffer>(n).fill(entry)]);
}

/** A CBOR array head for n items (major type 4; RFC 8949 section 3). */
function arrayHead(n: number): Buffer {
  if (n < 24) return Buffer.from([0x80 | n]);
  if (n < 0x100) return Buffer.from([0x98, n]);
  if (n < 0x10000) return Buffer.from([0x99, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0x9a;
  b.writeUInt32BE(n, 1);
  return b;
}

// CBOR (RFC 8949): an item starts with a head, the major type in the top 3
// bits and the argument in the low 5 (below 24: the value itself; 24, 25,
// 26, 27: in the next 1, 2, 4, 8 bytes; 31: indefinite length, the items
// then end with a break byte, 0xff).
const BYTES = 2;
const TEXT = 3;
const ARRAY = 4;
const MAP = 5;
const TAG = 6;
const BREAK = 0xff;
const RECORDS = Buffer.from('Records');
const DATA_KEY = Buffer.from('Data');

/** Set by `cborHead`: the item's argument (-1: indefinite length) and where its content starts. */
let headArg = 0;
let headEnd = 0;

/** Reads the head of the item at `at`: returns its major type, sets headArg and headEnd. Throws past the end. */
function cborHead(buf: Buffer, at: number): number {
  if (at >= buf.length) throw new RangeError('CBOR body ends inside an item');
  const b = buf[at]!;
  const info = b & 31;
  if (info < 24) {
    headArg = info;
    headEnd = at + 1;
    return b >> 5;
  }
  switch (info) {
    case 24:
      headArg = buf.readUInt8(at + 1);
      headEnd = at + 2;
      break;
    case 25:
      headArg = buf.readUInt16BE(at + 1);
      headEnd = at + 3;
      break;
    case 26:
      headArg = buf.readUInt32BE(at + 1);
      headEnd = at + 5;
      break;
    case 27:
      headArg = buf.readUInt32BE(at + 1) * 2 ** 32 + buf.readUInt32BE(at + 5);
      headEnd = at + 9;
      break;
    case 31:
      headArg = -1;
      headEnd = at + 1;
      break;
    default:
      throw new RangeError(`CBOR head 0x${b.toString(16)} is reserved`);
  }
  return b >> 5;
}

/** Where the item starting at `at` ends. */
function cborSkip(buf: Buffer, at: number): number {
  const major = cborHead(buf, at);
  const arg = headArg;
  at = headEnd;
  if (major === BYTES || major === TEXT) {
    if (arg >= 0) return at + arg;
    while (buf[at] !== BREAK) at = cborSkip(buf, at);
    return at + 1;
  }
  if (major === ARRAY || major === MAP) {
    if (arg >= 0) {
      const items = major === MAP ? arg * 2 : arg;
      for (let i = 0; i < items; i++) at = cborSkip(buf, at);
      return at;
    }
    while (buf[at] !== BREAK) at = cborSkip(buf, at);
    return at + 1;
  }
  if (major === TAG) return cborSkip(buf, at);
  // Unsigned and negative integers, simple values and floats: the head is all.
  return at;
}

/** The bytes of a byte string of indefinite length (its chunks joined) starting at `at`. */
function cborBytes(buf: Buffer, at: number): Buffer {
  cborHead(buf, at);
  at = headEnd;
  const chunks: Buffer[] = [];
  while (buf[at] !== BREAK) {
    if (cborHead(buf, at) !== BYTES || headArg < 0) throw new RangeError('CBOR byte string chunk is not a definite byte string');
    chunks.push(buf.subarray(headEnd, headEnd + headArg));
    at = headEnd + headArg;
  }
  return Buffer.concat(chunks);
}

/** Whether the text of `len` bytes at `at` is `key`. */
function isKey(buf: Buffer, at: number, len: number, key: Buffer): boolean {
  if (len !== key.length) return false;
  for (let i = 0; i < len; i++) if (buf[at + i] !== key[i]) return false;
  return true;
}

function isAggregate(b: Buffer): boolean {
  return b.length > 20 && b[0] === MAGIC[0] && b[1] === MAGIC[1] && b[2] === MAGIC[2] && b[3] === MAGIC[3];
}

function varint(buf: Buffer, at: number): [number, number] {
  let n = 0;
  let mul = 1;
  for (;;) {
    const b = buf[at++]!;
    n += (b & 0x7f) * mul;
    if (b < 0x80) return [n, at];
    mul *= 128;
  }
}

/** Messages between bench/run.ts and a forked endpoint. */
export type ControlMessage =
  | { type: 'reset'; opts: RunOptions }
  | { type: 'mode'; mode: Mode }
  | { type: 'stats' }
  | { type: 'exit' };
export type EndpointMessage =
  | { type: 'listening'; port: number; tlsPort: number }
  | { type: 'ready' }
  | { type: 'done'; stats: EndpointStats }
  | { type: 'stats'; stats: EndpointStats };

if (import.meta.main) {
  const endpoint = new BenchEndpoint();
  const [portArg, cert, key] = process.argv.slice(2);
  const port = await endpoint.listen(Number(portArg ?? 0), cert && key ? { cert, key } : undefined);
  if (process.send) {
    const send = (m: EndpointMessage) => process.send!(m);
    process.on('message', (m: ControlMessage) => {
      switch (m.type) {
        case 'reset':
          endpoint.reset(m.opts, (stats) => send({ type: 'done', stats }));
          send({ type: 'ready' });
          break;
        case 'mode':
          endpoint.setMode(m.mode);
          send({ type: 'ready' });
          break;
        case 'stats':
          send({ type: 'stats', stats: endpoint.snapshot() });
          break;
        case 'exit':
          endpoint.close();
          process.exit(0);
      }
    });
    process.on('disconnect', () => process.exit(0));
    send({ type: 'listening', port, tlsPort: endpoint.tlsPort });
  } else {
    endpoint.reset({ expect: Infinity });
    console.log(`bench endpoint on http://127.0.0.1:${port}${endpoint.tlsPort ? ` and https://127.0.0.1:${endpoint.tlsPort}` : ''}`);
    let last = 0;
    setInterval(() => {
      const s = endpoint.snapshot();
      if (s.records !== last) console.log(`${s.requests} requests, ${s.records} records, ${(s.bytes / 1e6).toFixed(1)} MB`);
      last = s.records;
    }, 1000);
  }
}
