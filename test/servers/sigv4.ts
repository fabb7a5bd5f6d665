/**
 * Checks an AWS Signature Version 4 `Authorization` header the way a service
 * does, written from the spec (AWS General Reference, "Create a signed AWS
 * API request": canonical request, string to sign, signing key) and not
 * with the SDK's signer, so a test proves that what went on the wire is
 * what was signed.
 */
import { createHash, createHmac } from 'node:crypto';

export type SignatureCheck = { ok: true; accessKeyId: string } | { ok: false; reason: 'unsigned' | 'unknown-key' | 'mismatch'; accessKeyId?: string };

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/;

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** `headers` as received (HTTP/2 pseudo-headers included), `path` without the query, `secrets` by access key id. */
export function checkSigV4(method: string, path: string, headers: Record<string, string | string[] | undefined>, body: Buffer, secrets: ReadonlyMap<string, string>): SignatureCheck {
  const auth = headers.authorization;
  const m = typeof auth === 'string' ? AUTH.exec(auth) : null;
  if (!m) return { ok: false, reason: 'unsigned' };
  const [, accessKeyId, day, region, service, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string, string];
  const secret = secrets.get(accessKeyId);
  if (secret === undefined) return { ok: false, reason: 'unknown-key', accessKeyId };
  const names = signedHeaders.split(';');
  const canonicalHeaders = names.map((n) => `${n}:${String(headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = createHash('sha256').update(body).digest('hex');
  const canonicalRequest = [method, path, '', canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const amzDate = String(headers['x-amz-date'] ?? '');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  return expected === signature ? { ok: true, accessKeyId } : { ok: false, reason: 'mismatch', accessKeyId };
}
