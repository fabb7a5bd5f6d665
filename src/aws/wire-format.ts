/**
 * The two encodings of the AWS JSON protocols' bodies: JSON 1.1, and CBOR
 * 1.1, which Kinesis Data Streams also takes and the AWS SDKs for Java use
 * for it by default (same members; blobs as CBOR byte strings instead of
 * base64 text). Answers come in the request's encoding.
 */
import { cbor } from '@smithy/core/cbor';

export type WireFormat = 'json' | 'cbor';

/** `content-type` of a body in each encoding. */
export const CONTENT_TYPE: Readonly<Record<WireFormat, string>> = {
  json: 'application/x-amz-json-1.1',
  cbor: 'application/x-amz-cbor-1.1',
};

/** The encoding an answer's `content-type` names; JSON when it names none (a proxy's page, an old server). */
export function formatOfContentType(contentType: string | string[] | undefined): WireFormat {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return value !== undefined && value.toLowerCase().includes('cbor') ? 'cbor' : 'json';
}

/**
 * The encoding an answer's bytes are in: JSON when they begin
 * with `{` or JSON whitespace, CBOR when with a map head (major type 5,
 * 0xa0-0xbf), else `requested`. An answer is an object, and
 * `{` (0x7b) begins no CBOR map, so the first byte tells them apart: a
 * server or proxy that answers a CBOR request in JSON (one that ignores the
 * request's encoding) is read, not taken for a malformed answer and sent
 * again forever. A 2xx answer's bytes come without their headers
 * (json-rpc-call.ts), hence the bytes; an error answer passes the encoding
 * its content type names as `requested`.
 */
export function formatOfAnswer(bytes: Uint8Array, requested: WireFormat): WireFormat {
  const first = bytes[0];
  if (first === 0x7b || first === 0x20 || first === 0x0a || first === 0x0d || first === 0x09) return 'json';
  if (first !== undefined && first >> 5 === 5) return 'cbor';
  return requested;
}

/**
 * The value a body holds (objects, arrays, strings, numbers; CBOR byte
 * strings as Uint8Array). Throws (SyntaxError, or the CBOR decoder's Error)
 * when the bytes are not one well-formed item of `format`. CBOR is decoded by
 * the AWS SDK's own decoder (@smithy/core), which its CBOR protocols use.
 */
export function parseBody(bytes: Uint8Array, format: WireFormat): unknown {
  if (format === 'json') return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  return cbor.deserialize(bytes);
}
