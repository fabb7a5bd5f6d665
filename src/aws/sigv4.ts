/**
 * AWS Signature Version 4 for the own HTTP/2 exchange's calls (one JSON 1.1
 * POST per call), with the day's signing key kept per credentials identity.
 *
 * The SDK's signer derives or finds that key on every call: it takes an
 * HMAC of the access key id with the secret just to name its cache entry,
 * clones the request, and normalises and sorts every header again. Here the
 * key is kept while the day, region, service and identity (access key id,
 * secret, session token) stay the same, and the canonical request is one
 * template: a call costs the SHA-256 of its body, one of the canonical
 * request and one HMAC. The SDK client still resolves the credentials (its
 * chain, memoized and refreshed before expiry), the region and the signing
 * name (json-rpc-call.ts).
 *
 * The rules are AWS's ("Create a signed AWS API request", AWS IAM User
 * Guide): canonical request, string to sign, signing key
 * kDate = HMAC("AWS4" + secret, yyyymmdd), kRegion, kService, kSigning =
 * HMAC(kService, "aws4_request"), signature = hex HMAC(kSigning, string to
 * sign). The headers signed are the ones the SDK's signer signs for the
 * same call (`:authority` standing for Host on HTTP/2, content-length,
 * content-type, x-amz-content-sha256, x-amz-date, x-amz-security-token when
 * there is a session token, x-amz-target), so a service sees the same
 * request either way.
 */
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http2';
import type { AwsCredentialIdentity } from '@smithy/types';

const ALGORITHM = 'AWS4-HMAC-SHA256';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

function hmac(key: KeyObject | Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** The SigV4 signing key of `secret` for one day (`yyyymmdd`), region and service. */
export function signingKey(secret: string, day: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
}

/** `yyyymmddThhmmssZ` of `ms` since the epoch (UTC), as `x-amz-date` has it. */
export function amzDate(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2015-08-30T12:36:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/**
 * A header value as SigV4 canonicalises it: line breaks become spaces,
 * runs of spaces and tabs one space, no space at either end.
 */
export function canonicalValue(value: string): string {
  return value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '');
}

/**
 * The canonical request: method, canonical path, canonical query, the
 * headers (`[lower-case name, canonical value]`, sorted by name) one a line,
 * a blank line, the signed header names joined by `;`, the payload's hex
 * SHA-256.
 */
export function canonicalRequest(method: string, path: string, query: string, headers: readonly (readonly [string, string])[], payloadHash: string): string {
  let lines = '';
  let names = '';
  for (const [name, value] of headers) {
    lines += `${name}:${value}\n`;
    names += names === '' ? name : `;${name}`;
  }
  return `${method}\n${path}\n${query}\n${lines}\n${names}\n${payloadHash}`;
}

/** The string to sign: algorithm, `x-amz-date`, scope, hex SHA-256 of the canonical request. */
export function stringToSign(longDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${longDate}\n${scope}\n${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
}

/**
 * A request path as the SDK's signer canonicalises it for these services
 * (URI-escaped once more, `.` and `..` segments resolved, empty segments
 * dropped; `/` stays `/`).
 */
export function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalised = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  // RFC 3986 unreserved characters stay; everything else is %XX, `/` kept.
  return encodeURIComponent(normalised)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/');
}

export interface JsonPostTarget {
  /** `host[:port]`, sent as `:authority`. */
  authority: string;
  /** The request path, e.g. `/`. */
  path: string;
  /** `X-Amz-Target`, e.g. `Kinesis_20131202.PutRecords`. */
  target: string;
  /** The signing region and service (`kinesis`, `firehose`). */
  region: string;
  service: string;
  /** The body's content type, signed: `application/x-amz-json-1.1` (the default) or `application/x-amz-cbor-1.1`. */
  contentType?: string;
}

/** The day's key of one identity, for one region and service. */
interface KeptKey {
  day: string;
  accessKeyId: string;
  secretAccessKey: string;
  key: KeyObject;
}

/**
 * Signs AWS JSON 1.1 (or CBOR 1.1) POSTs to one target. `sign` returns the request's
 * headers (pseudo-headers `:method` and `:path` included) with
 * `authorization`; it throws only when `credentials` is not a credentials
 * object (as the SDK's signer does).
 */
export class JsonPostSigner {
  private readonly t: JsonPostTarget;
  private readonly path: string;
  private readonly authority: string;
  private readonly contentType: string;
  private kept: KeptKey | undefined;
  private lastSecond = -1;
  private lastLongDate = '';

  constructor(target: JsonPostTarget) {
    this.t = target;
    this.path = canonicalPath(target.path);
    this.authority = canonicalValue(target.authority);
    this.contentType = target.contentType ?? CONTENT_TYPE;
  }

  /** The signed headers of a call carrying `body`, signed at `signingMs` (ms since the epoch, skew-corrected). */
  sign(body: Uint8Array, credentials: AwsCredentialIdentity, signingMs: number): OutgoingHttpHeaders {
    const { accessKeyId, secretAccessKey, sessionToken } = credentials;
    if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string') throw new Error('Resolved credential object is not valid');
    const second = Math.floor(signingMs / 1000);
    if (second !== this.lastSecond) {
      this.lastSecond = second;
      this.lastLongDate = amzDate(signingMs);
    }
    const longDate = this.lastLongDate;
    const day = longDate.slice(0, 8);
    const key = this.keyFor(day, accessKeyId, secretAccessKey);
    const scope = `${day}/${this.t.region}/${this.t.service}/aws4_request`;
    const payloadHash = createHash('sha256').update(body).digest('hex');
    const length = String(body.byteLength);
    const token = sessionToken ? canonicalValue(sessionToken) : undefined;
    const canonical =
      `POST\n${this.path}\n\n` +
      `:authority:${this.authority}\n` +
      `content-length:${length}\n` +
      `content-type:${this.contentType}\n` +
      `x-amz-content-sha256:${payloadHash}\n` +
      `x-amz-date:${longDate}\n` +
      (token === undefined ? '' : `x-amz-security-token:${token}\n`) +
      `x-amz-target:${this.t.target}\n\n` +
      (token === undefined
        ? ':authority;content-length;content-type;x-amz-content-sha256;x-amz-date;x-amz-target\n'
        : ':authority;content-length;content-type;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target\n') +
      payloadHash;
    const signature = createHmac('sha256', key).update(stringToSign(longDate, scope, canonical), 'utf8').digest('hex');
    const signedHeaders =
      token === undefined
        ? ':authority;content-length;content-type;x-amz-content-sha256;x-amz-date;x-amz-target'
        : ':authority;content-length;content-type;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target';
    const headers: OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': this.t.path,
      ':authority': this.t.authority,
      'content-type': this.contentType,
      'x-amz-target': this.t.target,
      'content-length': length,
      'x-amz-date': longDate,
      'x-amz-content-sha256': payloadHash,
      authorization: `${ALGORITHM} Credential=${accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    };
    if (sessionToken) headers['x-amz-security-token'] = sessionToken;
    return headers;
  }

  /** The signing key, derived again only when the day or the identity changed. */
  private keyFor(day: string, accessKeyId: string, secretAccessKey: string): KeyObject {
    const kept = this.kept;
    if (kept !== undefined && kept.day === day && kept.accessKeyId === accessKeyId && kept.secretAccessKey === secretAccessKey) return kept.key;
    const key = createSecretKey(signingKey(secretAccessKey, day, this.t.region, this.t.service));
    this.kept = { day, accessKeyId, secretAccessKey, key };
    return key;
  }
}
