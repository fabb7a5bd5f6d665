/**
 * A CloudWatch endpoint on a free loopback port that speaks PutMetricData
 * as @aws-sdk/client-cloudwatch 3.11xx sends it: AWS JSON 1.0
 * (`X-Amz-Target: GraniteServiceVersion20100801.PutMetricData`), gzip-
 * compressed when the body passes 10 KB. The older query protocol
 * (form-encoded `Action=PutMetricData`) is understood too. It records every
 * call and fails on demand.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedDatum {
  MetricName: string;
  Dimensions?: Array<{ Name: string; Value: string }>;
  /** Seconds since epoch (JSON protocol) or an ISO string (query protocol). */
  Timestamp?: number | string;
  Unit?: string;
  Value?: number;
  StatisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
}

export interface PutMetricDataCall {
  namespace: string;
  datums: ReceivedDatum[];
  protocol: 'json' | 'query';
  /** Bytes on the wire (compressed when the SDK compressed it). */
  bodyBytes: number;
  gzip: boolean;
  authorization: string | undefined;
}

/** none: accept; 5xx: 503 ServiceUnavailable; denied: 403 AccessDenied; hang: never answer. */
export type FailMode = 'none' | '5xx' | 'denied' | 'hang';

export class CloudWatchServer {
  readonly calls: PutMetricDataCall[] = [];
  /** Requests refused or left hanging by the fail mode. */
  refused = 0;
  private mode: FailMode = 'none';
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<ServerResponse>();

  private readonly server: Server;
  port = 0;

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(): Promise<CloudWatchServer> {
    const self = new CloudWatchServer();
    await new Promise<void>((resolve, reject) => {
      self.server.once('error', reject);
      self.server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = self.server.address();
    if (!addr || typeof addr !== 'object') throw new Error('no address');
    self.port = addr.port;
    return self;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  failWith(mode: FailMode): void {
    this.mode = mode;
    if (mode !== 'hang') {
      for (const res of this.hanging) res.destroy();
      this.hanging.clear();
    }
  }

  /** Every datum received, in order. */
  datums(): ReceivedDatum[] {
    return this.calls.flatMap((c) => c.datums);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const gzip = /gzip/i.test(String(req.headers['content-encoding'] ?? ''));
    const body = (gzip ? gunzipSync(raw) : raw).toString('utf8');

    if (this.mode === 'hang') {
      this.refused += 1;
      this.hanging.add(res);
      return;
    }
    if (this.mode === '5xx') {
      this.refused += 1;
      return this.error(res, 503, 'ServiceUnavailable', 'Service is unavailable', 'Receiver');
    }
    if (this.mode === 'denied') {
      this.refused += 1;
      return this.error(res, 403, 'AccessDenied', 'User is not authorized to perform: cloudwatch:PutMetricData', 'Sender');
    }

    const target = String(req.headers['x-amz-target'] ?? '');
    let call: PutMetricDataCall;
    if (target.endsWith('.PutMetricData')) {
      const input = JSON.parse(body) as { Namespace: string; MetricData: ReceivedDatum[] };
      call = { namespace: input.Namespace, datums: input.MetricData, protocol: 'json', bodyBytes: raw.length, gzip, authorization: req.headers.authorization };
    } else if (new URLSearchParams(body).get('Action') === 'PutMetricData') {
      call = { ...parseQuery(new URLSearchParams(body)), protocol: 'query', bodyBytes: raw.length, gzip, authorization: req.headers.authorization };
    } else {
      return this.error(res, 400, 'InvalidAction', `unsupported: ${target || body.slice(0, 80)}`, 'Sender');
    }
    this.calls.push(call);
    if (call.protocol === 'json') {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end('{}');
    } else {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end('<PutMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></PutMetricDataResponse>');
    }
  }

  private error(res: ServerResponse, status: number, code: string, message: string, fault: 'Sender' | 'Receiver'): void {
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      // Query-compatible services name the query error code here.
      'x-amzn-query-error': `${code};${fault}`,
    });
    res.end(JSON.stringify({ __type: `com.amazonaws.cloudwatch#${code}`, message }));
  }
}

function parseQuery(p: URLSearchParams): { namespace: string; datums: ReceivedDatum[] } {
  const datums: ReceivedDatum[] = [];
  for (let i = 1; p.has(`MetricData.member.${i}.MetricName`); i++) {
    const k = (s: string) => p.get(`MetricData.member.${i}.${s}`);
    const d: ReceivedDatum = { MetricName: k('MetricName')! };
    const dims: Array<{ Name: string; Value: string }> = [];
    for (let j = 1; k(`Dimensions.member.${j}.Name`) !== null; j++) {
      dims.push({ Name: k(`Dimensions.member.${j}.Name`)!, Value: k(`Dimensions.member.${j}.Value`)! });
    }
    if (dims.length) d.Dimensions = dims;
    if (k('Timestamp')) d.Timestamp = k('Timestamp')!;
    if (k('Unit')) d.Unit = k('Unit')!;
    if (k('Value')) d.Value = Number(k('Value'));
    if (k('StatisticValues.SampleCount')) {
      d.StatisticValues = {
        SampleCount: Number(k('StatisticValues.SampleCount')),
        Sum: Number(k('StatisticValues.Sum')),
        Minimum: Number(k('StatisticValues.Minimum')),
        Maximum: Number(k('StatisticValues.Maximum')),
      };
    }
    datums.push(d);
  }
  return { namespace: p.get('Namespace') ?? '', datums };
}
