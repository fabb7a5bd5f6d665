/**
 * The bench endpoint's view of `compression` with KPL aggregation: an entry
 * whose Data is a gzip or zstd stream holding a KPL aggregate (base64 in a
 * JSON body, bytes in a CBOR one), opened so its user records are counted as
 * the consumer would count them.
 */
import * as zlib from 'node:zlib';

const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
const zstdDecompress = (zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync;

/**
 * The aggregate inside the base64 Data at body[start, end), or undefined when
 * it is not a compressed aggregate. "H4sI" starts the base64 of a gzip
 * member (1f 8b 08), "KLUv" that of a zstd frame (28 b5 2f fd).
 */
export function compressedAggregate(body: Buffer, start: number, end: number): Buffer | undefined {
  if (end - start < 8) return undefined;
  const head = body.toString('latin1', start, start + 4);
  if (head !== 'H4sI' && head !== 'KLUv') return undefined;
  return compressedAggregateOf(Buffer.from(body.toString('latin1', start, end), 'base64'));
}

/**
 * The aggregate inside `data` (a record's bytes, as a CBOR body carries
 * them), or undefined when it is not a gzip member (1f 8b 08) or zstd frame
 * (28 b5 2f fd) holding a KPL aggregate.
 */
export function compressedAggregateOf(data: Buffer): Buffer | undefined {
  if (data.length < 6) return undefined;
  const gzip = data[0] === 0x1f && data[1] === 0x8b && data[2] === 0x08;
  const zstd = data[0] === 0x28 && data[1] === 0xb5 && data[2] === 0x2f && data[3] === 0xfd;
  if (!gzip && !zstd) return undefined;
  let plain: Buffer;
  try {
    plain = gzip ? zlib.gunzipSync(data) : zstdDecompress!(data);
  } catch {
    return undefined;
  }
  return plain.subarray(0, 4).equals(KPL_MAGIC) ? plain : undefined;
}
