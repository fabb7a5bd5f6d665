/**
 * The JSON body of a PutRecords or PutRecordBatch call, written straight
 * into one Buffer sized exactly up front. The SDK would build an object per
 * record, a base64 string, one JSON string of the whole call and then a
 * Buffer of it: at full speed that was a third of the agent's CPU and the
 * largest share of its garbage (see docs/performance.md). Each record's
 * base64 is written in place (base64-into.ts) and the fixed JSON between
 * records copied byte by byte: no string per record, no native call per
 * field.
 */
import { base64Length, writeBase64 } from './base64-into.js';
import { putBytes } from './body-bytes.js';
import { dataLength, Line } from '../pipeline/line.js';
import type { Entry } from './entry.js';
import { RANDOM_KEY_CHARS, writeRandomPartitionKey } from './partition-key.js';

/** The field naming the destination: Streams take a name or an ARN, Firehose a name. */
export type TargetField = 'StreamName' | 'StreamARN' | 'DeliveryStreamName';

const DATA = bytesOf('{"Data":"');
const KEY = bytesOf('","PartitionKey":');
const DATA_ONLY_END = bytesOf('"}');

function bytesOf(ascii: string): Uint8Array {
  return Uint8Array.from(ascii, (c) => c.charCodeAt(0));
}

/** True when the string is printable ASCII needing no JSON escape: it is written as is, in quotes. */
function plain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/** Bytes of partition key `s` as a JSON string literal; '' is a random key drawn when written. */
function keyBytes(s: string): number {
  if (s === '') return RANDOM_KEY_CHARS + 2;
  return plain(s) ? s.length + 2 : Buffer.byteLength(JSON.stringify(s));
}

/** Writes partition key `s` as a JSON string literal ('': a random key, drawn now); no object or string per plain key. */
function writeKey(out: Buffer, at: number, s: string): number {
  if (s === '') {
    out[at++] = 0x22;
    at = writeRandomPartitionKey(out, at);
    out[at++] = 0x22;
    return at;
  }
  if (!plain(s)) return at + out.write(JSON.stringify(s), at, 'utf8');
  out[at++] = 0x22;
  for (let i = 0; i < s.length; i++) out[at++] = s.charCodeAt(i);
  out[at++] = 0x22;
  return at;
}

/**
 * `{"<field>":"<target>","Records":[{"Data":"<base64>"[,"PartitionKey":"<key>"]},...]}`
 * with the partition keys when `keys` is true (Streams; an entry whose key
 * is '' gets a random key of RANDOM_KEY_CHARS drawn now), written into
 * `alloc(size)`: a Buffer of exactly the body's size (the send path's pool,
 * body-pool.ts; by default a new one).
 */
export function recordsBody(
  field: TargetField,
  target: string,
  entries: readonly Entry[],
  keys: boolean,
  alloc: (size: number) => Buffer = Buffer.allocUnsafe,
): Buffer {
  const head = `{"${field}":${JSON.stringify(target)},"Records":[`;
  let size = Buffer.byteLength(head) + 2 + Math.max(0, entries.length - 1);
  for (const e of entries) {
    size += DATA.length + base64Length(dataLength(e));
    size += keys ? KEY.length + keyBytes(e.partitionKey) + 1 : DATA_ONLY_END.length;
  }
  const out = alloc(size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = out.write(head, 0, 'utf8');
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (i > 0) out[at++] = 0x2c;
    at = putBytes(out, at, DATA);
    // A Line's bytes are read where they lie in its chunk: no view per line (pipeline/line.ts).
    at = e instanceof Line ? writeBase64(e.chunk, out, view, at, e.offset, e.offset + e.length) : writeBase64(e.data, out, view, at);
    if (keys) {
      at = putBytes(out, at, KEY);
      at = writeKey(out, at, e.partitionKey);
      out[at++] = 0x7d;
    } else {
      at = putBytes(out, at, DATA_ONLY_END);
    }
  }
  out[at++] = 0x5d;
  out[at++] = 0x7d;
  if (at !== size) throw new Error(`request body is ${at} bytes, sized for ${size}`);
  return out;
}
