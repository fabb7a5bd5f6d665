/**
 * The KPL aggregated record format: magic bytes, a protobuf AggregatedRecord,
 * and the MD5 of that protobuf. The schema is tiny and fixed, so it is
 * written by hand:
 *
 *   message AggregatedRecord {
 *     repeated string partition_key_table     = 1;
 *     repeated string explicit_hash_key_table = 2;
 *     repeated Record records                 = 3;
 *   }
 *   message Record {
 *     required uint64 partition_key_index     = 1;
 *     optional uint64 explicit_hash_key_index = 2;
 *     required bytes  data                    = 3;
 *   }
 */
import { createHash } from 'node:crypto';
import { copyData, dataLength } from '../pipeline/line.js';

export const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
const MD5_BYTES = 16;
/** Magic in front, digest behind. */
export const KPL_OVERHEAD = KPL_MAGIC.length + MD5_BYTES;

// Field tags: (field number << 3) | wire type 2 (length-delimited) or 0 (varint).
const TAG_PARTITION_KEY_TABLE = 0x0a;
const TAG_RECORDS = 0x1a;
const TAG_RECORD_KEY_INDEX = 0x08;
const TAG_RECORD_DATA = 0x1a;

export function varintSize(n: number): number {
  // Called several times per user record: the common sizes without a loop.
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}

function keyEntrySize(keyBytes: number): number {
  return 1 + varintSize(keyBytes) + keyBytes;
}

function recordInnerSize(keyIndex: number, dataBytes: number): number {
  return 1 + varintSize(keyIndex) + 1 + varintSize(dataBytes) + dataBytes;
}

function recordEntrySize(keyIndex: number, dataBytes: number): number {
  const inner = recordInnerSize(keyIndex, dataBytes);
  return 1 + varintSize(inner) + inner;
}

/** Builds one aggregated record, knowing its encoded size at every step. */
export class AggregateBuilder {
  private readonly keyIndex = new Map<string, number>();
  private readonly keys: Buffer[] = [];
  // Parallel arrays: no object per user record.
  private readonly itemKeys: number[] = [];
  /** The user records, read only when encoded: a Line's bytes are copied from its chunk without a view of its own. */
  private readonly itemData: { readonly data: Buffer }[] = [];
  private body = 0;

  get count(): number {
    return this.itemData.length;
  }

  /** Encoded size of the whole aggregated record (magic and digest included). */
  get size(): number {
    return KPL_OVERHEAD + this.body;
  }

  /** The encoded size after adding one more user record. */
  sizeWith(key: string, dataBytes: number): number {
    const known = this.keyIndex.get(key);
    if (known !== undefined) return this.size + recordEntrySize(known, dataBytes);
    return this.size + keyEntrySize(Buffer.byteLength(key)) + recordEntrySize(this.keys.length, dataBytes);
  }

  /** Adds `data` under `key` (tests, the bench's bare script). */
  add(key: string, data: Buffer): void {
    this.addRecord(key, { data });
  }

  /** Adds a user record under `key`; its bytes are read when encode() runs, so they must not change before. */
  addRecord(key: string, record: { readonly data: Buffer }): void {
    let index = this.keyIndex.get(key);
    if (index === undefined) {
      index = this.keys.length;
      const bytes = Buffer.from(key, 'utf8');
      this.keyIndex.set(key, index);
      this.keys.push(bytes);
      this.body += keyEntrySize(bytes.length);
    }
    this.itemKeys.push(index);
    this.itemData.push(record);
    this.body += recordEntrySize(index, dataLength(record));
  }

  encode(): Buffer {
    const out = Buffer.allocUnsafe(this.size);
    KPL_MAGIC.copy(out, 0);
    let at = KPL_MAGIC.length;
    for (const key of this.keys) {
      out[at++] = TAG_PARTITION_KEY_TABLE;
      at = writeVarint(out, at, key.length);
      at += key.copy(out, at);
    }
    const { itemKeys, itemData } = this;
    for (let i = 0; i < itemData.length; i++) {
      const keyIndex = itemKeys[i]!;
      const record = itemData[i]!;
      const length = dataLength(record);
      out[at++] = TAG_RECORDS;
      at = writeVarint(out, at, recordInnerSize(keyIndex, length));
      out[at++] = TAG_RECORD_KEY_INDEX;
      at = writeVarint(out, at, keyIndex);
      out[at++] = TAG_RECORD_DATA;
      at = writeVarint(out, at, length);
      at = copyData(record, out, at);
    }
    createHash('md5').update(out.subarray(KPL_MAGIC.length, at)).digest().copy(out, at);
    return out;
  }
}
