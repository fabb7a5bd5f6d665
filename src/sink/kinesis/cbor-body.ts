/**
 * The CBOR body of a PutRecords call, written straight into one Buffer sized
 * exactly up front: what the AWS SDKs for Java send to Kinesis by default
 * (`application/x-amz-cbor-1.1`, the same members as AWS JSON 1.1), and so
 * the Kinesis Agent. A record's Data is a CBOR byte string: its bytes are
 * copied as they are, where JSON needs them in base64, a third larger. At
 * full speed over TLS that is the base64 itself (about 5 % of the agent's
 * CPU), a quarter of the SHA-256 the signature takes of the body, of the
 * TLS encryption and of the bytes on the wire (docs/performance.md).
 *
 * Encoding (RFC 8949): definite lengths only, each as short as it can be
 * (shortest form, section 4.2.1), text strings in UTF-8.
 */
import { putBytes, utf8Length } from '../body-bytes.js';
import { copyData, dataLength } from '../../pipeline/line.js';
import type { Entry } from '../entry.js';
import { RANDOM_KEY_CHARS, writeRandomPartitionKey } from '../partition-key.js';
import type { TargetField } from '../request-body.js';

const BYTES = 2;
const TEXT = 3;
const ARRAY = 4;
const MAP = 5;

/** Bytes of the head of a data item whose argument is `n` (RFC 8949 section 3). */
function headLength(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x1_0000 ? 3 : 5;
}

/** Writes the head of a data item of major type `major` with argument `n` (n < 2^32); returns the offset after it. */
function writeHead(out: Buffer, at: number, major: number, n: number): number {
  const type = major << 5;
  if (n < 24) {
    out[at] = type | n;
    return at + 1;
  }
  if (n < 0x100) {
    out[at] = type | 24;
    out[at + 1] = n;
    return at + 2;
  }
  if (n < 0x1_0000) {
    out[at] = type | 25;
    out[at + 1] = n >>> 8;
    out[at + 2] = n & 0xff;
    return at + 3;
  }
  out[at] = type | 26;
  out.writeUInt32BE(n, at + 1);
  return at + 5;
}

/** A fixed text string (a map key) as its CBOR bytes. */
function textItem(ascii: string): Uint8Array {
  const out = Buffer.alloc(headLength(ascii.length) + ascii.length);
  out.write(ascii, writeHead(out, 0, TEXT, ascii.length), 'latin1');
  return out;
}

const DATA = textItem('Data');
const PARTITION_KEY = textItem('PartitionKey');
const RECORDS = textItem('Records');

/** Bytes of partition key `s` as a CBOR text string; '' is a random key drawn when written. */
function keyBytes(s: string): number {
  const n = s === '' ? RANDOM_KEY_CHARS : utf8Length(s);
  return headLength(n) + n;
}

/** Writes partition key `s` as a CBOR text string ('': a random key, drawn now). */
function writeKey(out: Buffer, at: number, s: string): number {
  if (s === '') return writeRandomPartitionKey(out, writeHead(out, at, TEXT, RANDOM_KEY_CHARS));
  const n = utf8Length(s);
  at = writeHead(out, at, TEXT, n);
  if (n !== s.length) return at + out.write(s, at, 'utf8');
  for (let i = 0; i < s.length; i++) out[at++] = s.charCodeAt(i);
  return at;
}

/**
 * `{"<field>": "<target>", "Records": [{"Data": h'<bytes>', "PartitionKey": "<key>"}, ...]}`
 * in CBOR, written into `alloc(size)`: a Buffer of exactly the body's size
 * (the send path's pool, body-pool.ts; by default a new one). An entry whose
 * key is '' gets a random key of RANDOM_KEY_CHARS drawn now. Source of the
 * members: the Kinesis API reference, PutRecords; of the encoding: the AWS
 * SDKs' CBOR protocol for Kinesis (the JSON 1.1 members, blobs as byte strings).
 */
export function putRecordsCbor(
  field: TargetField,
  target: string,
  entries: readonly Entry[],
  alloc: (size: number) => Buffer = Buffer.allocUnsafe,
): Buffer {
  const fieldLength = utf8Length(field);
  const targetLength = utf8Length(target);
  let size = 1 + headLength(fieldLength) + fieldLength + headLength(targetLength) + targetLength + RECORDS.length + headLength(entries.length);
  for (const e of entries) {
    const n = dataLength(e);
    size += 1 + DATA.length + headLength(n) + n + PARTITION_KEY.length + keyBytes(e.partitionKey);
  }
  const out = alloc(size);
  let at = writeHead(out, 0, MAP, 2);
  at = writeHead(out, at, TEXT, fieldLength);
  at += out.write(field, at, 'utf8');
  at = writeHead(out, at, TEXT, targetLength);
  at += out.write(target, at, 'utf8');
  at = putBytes(out, at, RECORDS);
  at = writeHead(out, at, ARRAY, entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    out[at++] = (MAP << 5) | 2;
    at = putBytes(out, at, DATA);
    at = writeHead(out, at, BYTES, dataLength(e));
    at = copyData(e, out, at);
    at = putBytes(out, at, PARTITION_KEY);
    at = writeKey(out, at, e.partitionKey);
  }
  if (at !== size) throw new Error(`request body is ${at} bytes, sized for ${size}`);
  return out;
}
