/**
 * PutRecords bodies in the CBOR form of the Kinesis protocol
 * (`application/x-amz-cbor-1.1`), encoded by hand so a test chooses the
 * least width of every length header's argument: 0 for the shortest (as a
 * general CBOR encoder writes them), or at least 1, 2 or 4 bytes (0x58/0x59/
 * 0x5a for byte strings, 0x78/0x79/0x7a for text, 0x98/0x99/0x9a for arrays,
 * 0xb8/0xb9/0xba for maps) even for lengths below 24, as an encoder that
 * reserves room before it knows a length may; or `'indefinite'`: maps and
 * arrays of indefinite length (0xbf/0x9f ... 0xff break), as Jackson's CBOR
 * generator (the AWS SDK for Java v1) writes them, and each Data in two
 * chunks (0x5f ... 0xff).
 * The encoding is RFC 8949's (major type in the top 3 bits, then the
 * argument: below 24 in the same byte, else 24/25/26 for 1/2/4 bytes).
 */

export interface CborRecord {
  data: Uint8Array;
  partitionKey: string;
  explicitHashKey?: string;
}

export type HeaderWidth = 0 | 1 | 2 | 4 | 'indefinite';

const BYTES = 2;
const TEXT = 3;
const ARRAY = 4;
const MAP = 5;

const BREAK = Buffer.from([0xff]);

function head(major: number, n: number, width: HeaderWidth): Buffer {
  const top = major << 5;
  if (width === 'indefinite') {
    if (major === MAP || major === ARRAY) return Buffer.from([top | 31]);
    width = 0;
  }
  const shortest = n < 24 ? 0 : n < 0x100 ? 1 : n < 0x10000 ? 2 : 4;
  if (width < shortest) width = shortest as 0 | 1 | 2 | 4;
  if (width === 0) return Buffer.from([top | n]);
  const b = Buffer.alloc(1 + width);
  b[0] = top | (width === 1 ? 24 : width === 2 ? 25 : 26);
  b.writeUIntBE(n, 1, width);
  return b;
}

function text(s: string, width: HeaderWidth): Buffer {
  const utf8 = Buffer.from(s, 'utf8');
  return Buffer.concat([head(TEXT, utf8.length, width), utf8]);
}

/**
 * `{"StreamName"|"StreamARN": stream, "Records": [{"Data": bytes,
 * "PartitionKey": text[, "ExplicitHashKey": text]}, ...]}` with every
 * length argument at least `width` bytes wide (0: shortest), or with
 * indefinite lengths. A stream starting with
 * `arn:` goes as StreamARN.
 */
export function cborPutRecords(stream: string, records: readonly CborRecord[], width: HeaderWidth = 0): Buffer {
  const indefinite = width === 'indefinite';
  const parts: Buffer[] = [head(MAP, 2, width), text(stream.startsWith('arn:') ? 'StreamARN' : 'StreamName', width), text(stream, width)];
  parts.push(text('Records', width), head(ARRAY, records.length, width));
  for (const r of records) {
    parts.push(head(MAP, r.explicitHashKey === undefined ? 2 : 3, width), text('Data', width));
    if (indefinite) {
      const half = r.data.length >> 1;
      parts.push(Buffer.from([(BYTES << 5) | 31]), head(BYTES, half, 0), Buffer.from(r.data.subarray(0, half)));
      parts.push(head(BYTES, r.data.length - half, 0), Buffer.from(r.data.subarray(half)), BREAK);
    } else {
      parts.push(head(BYTES, r.data.length, width), Buffer.from(r.data));
    }
    parts.push(text('PartitionKey', width), text(r.partitionKey, width));
    if (r.explicitHashKey !== undefined) parts.push(text('ExplicitHashKey', width), text(r.explicitHashKey, width));
    if (indefinite) parts.push(BREAK);
  }
  if (indefinite) parts.push(BREAK, BREAK);
  return Buffer.concat(parts);
}

/** The same call as AWS JSON 1.1 (`Data` in base64). */
export function jsonPutRecords(stream: string, records: readonly CborRecord[]): Buffer {
  const body = {
    [stream.startsWith('arn:') ? 'StreamARN' : 'StreamName']: stream,
    Records: records.map((r) => ({
      Data: Buffer.from(r.data).toString('base64'),
      PartitionKey: r.partitionKey,
      ...(r.explicitHashKey === undefined ? {} : { ExplicitHashKey: r.explicitHashKey }),
    })),
  };
  return Buffer.from(JSON.stringify(body));
}
