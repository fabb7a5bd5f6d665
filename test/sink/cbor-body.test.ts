import fc from 'fast-check';
import { cbor } from '@smithy/core/cbor';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/sink/entry.ts';
import { expectLinesWriteLikeBuffers } from './line-bodies.ts';
import { putRecordsCbor } from '../../src/sink/kinesis/cbor-body.ts';

function entry(data: Buffer, partitionKey = ''): Entry {
  return { data, partitionKey, records: [], userBytes: data.length };
}

interface Decoded {
  StreamName?: string;
  StreamARN?: string;
  Records: { Data: Uint8Array; PartitionKey: string }[];
}

const decode = (body: Buffer): Decoded => cbor.deserialize(body) as Decoded;

describe('PutRecords bodies in CBOR, written straight into a Buffer', () => {
  it('are the map the AWS SDKs send: the data as byte strings, each partition key as text', () => {
    const entries = [entry(Buffer.from('GET / 200\n'), 'a1'), entry(Buffer.from([0, 255, 10]), 'a1'), entry(Buffer.alloc(0), 'b')];
    const body = putRecordsCbor('StreamName', 'logs', entries);
    expect(body[0]).toBe(0xa2);
    const parsed = decode(body);
    expect(parsed.StreamName).toBe('logs');
    expect(parsed.Records.map((r) => [Buffer.from(r.Data).toString('hex'), r.PartitionKey])).toEqual([
      [Buffer.from('GET / 200\n').toString('hex'), 'a1'],
      ['00ff0a', 'a1'],
      ['', 'b'],
    ]);
  });

  it('are smaller than the JSON body by the base64 of the data: a 170-byte line costs 170 bytes and a few of framing', () => {
    const line = Buffer.alloc(170, 0x61);
    const body = putRecordsCbor('StreamName', 'logs', Array.from({ length: 500 }, () => entry(line, 'k')));
    // map head, "Data" key, 2-byte byte-string head, "PartitionKey" key, 1-char key
    expect(body.length).toBe(1 + 11 + 5 + 8 + 3 + 500 * (1 + 5 + 2 + 170 + 13 + 2));
  });

  it('give an entry whose key is \'\' (RANDOM) a random key drawn as the body is written, a new one each time', () => {
    const entries = [entry(Buffer.from('a\n')), entry(Buffer.from('b\n'), 'fixed'), entry(Buffer.from('c\n'))];
    const keysOf = (): string[] => decode(putRecordsCbor('StreamName', 's', entries)).Records.map((r) => r.PartitionKey);
    const first = keysOf();
    expect(first[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(first[1]).toBe('fixed');
    expect(first[2]).toMatch(/^[0-9a-f]{16}$/);
    expect(keysOf()[0]).not.toBe(first[0]);
  });

  it('name a stream by ARN, and carry non-ASCII names and keys in UTF-8', () => {
    const arn = 'arn:aws:kinesis:eu-west-1:123456789012:stream/logs';
    expect(decode(putRecordsCbor('StreamARN', arn, [entry(Buffer.from('x'), 'k')])).StreamARN).toBe(arn);
    const keys = ['say "hi"', 'naïve', '日本', '😀', '\u0000\u001f'];
    const parsed = decode(putRecordsCbor('StreamName', 'ström', keys.map((k) => entry(Buffer.from(k), k))));
    expect(parsed.StreamName).toBe('ström');
    expect(parsed.Records.map((r) => r.PartitionKey)).toEqual(keys);
  });

  it('use each length\'s shortest head across the 1-, 2-, 3- and 5-byte boundaries', () => {
    for (const n of [0, 23, 24, 255, 256, 65_535, 65_536, 1_048_576]) {
      const data = Buffer.alloc(n, 7);
      const key = 'k'.repeat(Math.min(256, n) || 1);
      const parsed = decode(putRecordsCbor('StreamName', 's', [entry(data, key)]));
      expect(Buffer.from(parsed.Records[0]!.Data).equals(data)).toBe(true);
      expect(parsed.Records[0]!.PartitionKey).toBe(key);
    }
    // 24 records: the array's length moves to its own byte.
    expect(decode(putRecordsCbor('StreamName', 's', Array.from({ length: 500 }, (_, i) => entry(Buffer.from(String(i)), 'k')))).Records).toHaveLength(500);
  });

  it('write into the Buffer the pool lends, of exactly the body\'s size', () => {
    const sizes: number[] = [];
    const body = putRecordsCbor('StreamName', 's', [entry(Buffer.from('abc'), 'k')], (size) => {
      sizes.push(size);
      return Buffer.alloc(size, 0xee);
    });
    expect(sizes).toEqual([body.length]);
  });

  it('round-trip any data and keys exactly (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ data: fc.uint8Array({ maxLength: 600 }), key: fc.string({ unit: 'binary', maxLength: 40 }) }), { minLength: 1, maxLength: 40 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
        (items, stream) => {
          const entries = items.map((i) => entry(Buffer.from(i.data), i.key));
          const parsed = decode(putRecordsCbor('StreamName', stream, entries));
          expect(parsed.StreamName).toBe(stream);
          expect(parsed.Records.map((r) => Buffer.from(r.Data))).toEqual(entries.map((e) => e.data));
          parsed.Records.forEach((r, i) => {
            const key = entries[i]!.partitionKey;
            if (key === '') expect(r.PartitionKey).toMatch(/^[0-9a-f]{16}$/);
            else expect(r.PartitionKey).toBe(key);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
  it('are the same from Lines (ranges of one read chunk) as from Buffers of the same bytes (property)', () => {
    expectLinesWriteLikeBuffers((entries) => putRecordsCbor('StreamName', 's', entries));
  });
});
