/**
 * One AWS JSON 1.1 operation (PutRecords, PutRecordBatch), its body in JSON
 * or CBOR (wire-format.ts), sent over our own
 * HTTP/2 session (h2-session.ts), with the SDK client doing what it is there
 * for: its endpoint rules say where to send, its credential chain (memoized,
 * refreshed before expiry) gives the credentials, its signer's resolution the
 * signing region and name, and its clock-skew offset is kept up to date from
 * the answers' Date headers exactly as its signer middleware does. What is
 * left out is the SDK's per-call middleware stack (about a fifth of the
 * agent's CPU at full speed over TLS) and its signer's per-call work: calls
 * are signed by sigv4.ts with the day's signing key kept
 * (docs/performance.md).
 *
 * A 2xx answer's body is returned as is. Any other status throws an
 * AwsServiceError named by the AWS JSON protocol's error type, as the SDK's
 * exceptions are (`name`, `message`, `$fault`, `$metadata.httpStatusCode`),
 * so sink/errors.ts classifies both alike.
 */
import type { OutgoingHttpHeaders } from 'node:http2';
import type { AwsCredentialIdentity, RequestSigner } from '@smithy/types';
import { VERSION } from '../version.js';
import { sharedOrigin, type H2Answer, type H2Origin } from './h2-session.js';
import { JsonPostSigner } from './sigv4.js';
import { CONTENT_TYPE, formatOfAnswer, formatOfContentType, parseBody, type WireFormat } from './wire-format.js';

/** What we use of an SDK client's resolved config (KinesisClient, FirehoseClient). */
export interface SdkClientLike {
  config: {
    endpointProvider(params: Record<string, unknown>, context?: Record<string, unknown>): { url: URL };
    region(): Promise<string>;
    useFipsEndpoint(): Promise<boolean>;
    useDualstackEndpoint(): Promise<boolean>;
    /** The client's SigV4 signer; resolving it settles `signingRegion` and `signingName`. */
    signer(authScheme?: unknown): Promise<RequestSigner>;
    /** The client's credential chain (memoized, refreshed before expiry). */
    credentials(): Promise<AwsCredentialIdentity>;
    signingRegion?: string;
    signingName?: string;
    systemClockOffset: number;
    disableClockSkewCorrection?: () => Promise<boolean>;
  };
}

export interface JsonRpcCallOptions {
  /** `X-Amz-Target`, e.g. `Kinesis_20131202.PutRecords`. */
  target: string;
  /** The endpoint the config gave (`kinesis.endpoint`), undefined for the AWS one. */
  endpoint: string | undefined;
  /** Operation parameters of the service's endpoint rules (Kinesis: StreamARN, OperationType). */
  endpointParams?: Record<string, unknown>;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  ca?: string[] | undefined;
  /** The bodies' encoding (wire-format.ts); JSON when absent. */
  format?: WireFormat;
}

/** An error answer of an AWS JSON service, shaped as the SDK's service exceptions are. */
export class AwsServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId?: string; attempts: number; totalRetryDelay: number };

  constructor(name: string, message: string, status: number, requestId: string | undefined) {
    super(message);
    this.name = name;
    this.$fault = status < 500 ? 'client' : 'server';
    this.$metadata = { httpStatusCode: status, ...(requestId ? { requestId } : {}), attempts: 1, totalRetryDelay: 0 };
  }
}

/**
 * The error type of an AWS JSON answer: the `x-amzn-ErrorType` header, else
 * the body's `code`, else its `__type`; cut at `:` and `,`, and after `#`
 * (namespaces). Source: Smithy's awsJson1_1 protocol, "Operation error
 * serialization"; the SDK reads it the same way (loadJsonRpcErrorCode).
 */
export function jsonErrorType(header: string | string[] | undefined, data: Record<string, unknown>): string {
  const raw = (Array.isArray(header) ? header[0] : header) ?? data.code ?? data.Code ?? data.__type;
  if (raw === undefined || raw === null || raw === '') return 'Unknown';
  let value = String(raw);
  if (value.includes(',')) value = value.split(',')[0]!;
  if (value.includes(':')) value = value.split(':')[0]!;
  if (value.includes('#')) value = value.split('#')[1]!;
  return value;
}

/**
 * The AwsServiceError of a non-2xx answer, its body read in the encoding its
 * first byte shows (`{` or a CBOR map head: formatOfAnswer), else the one
 * its `content-type` names (a CBOR request's errors come in CBOR): a proxy
 * that relabels the body, or a server that answers a CBOR request in JSON,
 * does not hide the error's type.
 */
export function errorOfAnswer(answer: H2Answer): AwsServiceError {
  let data: Record<string, unknown> = {};
  try {
    const format = formatOfAnswer(answer.body, formatOfContentType(answer.headers['content-type']));
    const parsed: unknown = answer.body.length > 0 ? parseBody(answer.body, format) : {};
    if (parsed && typeof parsed === 'object') data = parsed as Record<string, unknown>;
  } catch {
    // Not the encoding it says (a proxy's or load balancer's page): named by the status alone.
  }
  const name = jsonErrorType(answer.headers['x-amzn-errortype'], data);
  const message = String(data.message ?? data.Message ?? 'UnknownError');
  const requestId = answer.headers['x-amzn-requestid'];
  return new AwsServiceError(name, message, answer.status, typeof requestId === 'string' ? requestId : undefined);
}

/**
 * The offset the SDK keeps between the local clock and the service's, from
 * an answer's Date header: not when a cache answered (Age) or the answer
 * took over 15 minutes. Source: @aws-sdk/core getUpdatedSystemClockOffset.
 */
export function clockOffsetFrom(date: string | undefined, age: string | undefined, current: number, sentAt: number, now = Date.now()): number {
  if (date === undefined || age !== undefined) return current;
  const server = Date.parse(date);
  if (Number.isNaN(server) || now - sentAt > 900_000) return current;
  return server - now;
}

interface Target {
  origin: H2Origin;
  signer: JsonPostSigner;
}

/** A request ready to go: signed at `sentAt` (ms), with the clock-skew correction on or off. */
interface Signed {
  origin: H2Origin;
  headers: OutgoingHttpHeaders;
  sentAt: number;
  correct: boolean;
}

export class JsonRpcCall {
  private readonly client: SdkClientLike;
  private readonly opts: JsonRpcCallOptions;
  private target: Promise<Target> | undefined;
  private skewCorrection: Promise<boolean> | undefined;
  private readonly userAgent = `kinesis-agent/${VERSION}`;
  private closed = false;
  private release: (() => void) | undefined;

  constructor(client: SdkClientLike, opts: JsonRpcCallOptions) {
    this.client = client;
    this.opts = opts;
  }

  /**
   * Sends `body` (JSON, already serialized) and resolves with a 2xx answer's
   * bytes. Rejects with an AwsServiceError for any other status, the
   * credential chain's error when it has no credentials, or a network,
   * TimeoutError or AbortError failure. `released`, when given, is called
   * once nothing will read `body` any more (H2Origin.request), or not at
   * all when that cannot be known (a stream cut while writing it).
   */
  async send(body: Buffer, signal?: AbortSignal, released?: () => void): Promise<Buffer> {
    let signed: Signed;
    try {
      signed = await this.sign(body);
    } catch (err) {
      // Failed before the session took the body (no endpoint, no credentials): nothing reads it.
      released?.();
      throw err;
    }
    const { origin, headers, sentAt, correct } = signed;
    const answer = await origin.request(headers, body, signal, released);
    if (correct) {
      const config = this.client.config;
      const date = answer.headers.date;
      const age = answer.headers.age;
      config.systemClockOffset = clockOffsetFrom(date, typeof age === 'string' ? age : undefined, config.systemClockOffset, sentAt);
    }
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    throw errorOfAnswer(answer);
  }

  /** Where `body` goes and the signed headers to send it with. */
  private async sign(body: Buffer): Promise<Signed> {
    // Resolved once; a failure (no region yet) is not kept, the next call tries again.
    const { origin, signer } = await (this.target ??= this.resolveTarget().catch((err: unknown) => {
      this.target = undefined;
      throw err;
    }));
    const config = this.client.config;
    const credentials = await config.credentials();
    const correct = await (this.skewCorrection ??= config.disableClockSkewCorrection?.().then((off) => !off) ?? Promise.resolve(true));
    const sentAt = Date.now();
    const headers = signer.sign(body, credentials, correct ? sentAt + config.systemClockOffset : sentAt);
    headers['user-agent'] = this.userAgent;
    return { origin, headers, sentAt, correct };
  }

  close(): void {
    this.closed = true;
    this.release?.();
  }

  private async resolveTarget(): Promise<Target> {
    const config = this.client.config;
    // The SDK's signer resolution settles the signing region and name (endpoint rules, signingRegion overrides).
    await config.signer();
    const region = config.signingRegion ?? (await config.region());
    const service = config.signingName;
    if (service === undefined) throw new Error('the SDK client has no signing name');
    const { url } = config.endpointProvider({
      Region: await config.region(),
      UseFIPS: await config.useFipsEndpoint(),
      UseDualStack: await config.useDualstackEndpoint(),
      ...(this.opts.endpoint ? { Endpoint: this.opts.endpoint } : {}),
      ...this.opts.endpointParams,
    });
    if (url.protocol !== 'https:') throw new Error(`the own HTTP/2 exchange needs an https endpoint, not ${url.href}`);
    // Every flow sending to this endpoint shares its session.
    const { origin, release } = sharedOrigin({
      origin: url.origin,
      connectTimeoutMs: this.opts.connectTimeoutMs,
      requestTimeoutMs: this.opts.requestTimeoutMs,
      idleTimeoutMs: 60_000,
      ca: this.opts.ca,
    });
    if (this.closed) release();
    else this.release = release;
    // The SDK's JSON protocols post to the endpoint's path, ending in `/`.
    const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
    const signer = new JsonPostSigner({ authority: url.host, path, target: this.opts.target, region, service, contentType: CONTENT_TYPE[this.opts.format ?? 'json'] });
    return { origin, signer };
  }
}
