import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/sink/entry.ts';
import { expectLinesWriteLikeBuffers } from './line-bodies.ts';
import { base64Length, writeBase64 } from '../../src/sink/base64-into.ts';
import { recordsBody } from '../../src/sink/request-body.ts';

function entry(data: Buffer, partitionKey = ''): Entry {
  return { data, partitionKey, records: [], userBytes: data.length };
}

describe('request bodies written straight into a Buffer', () => {
  it('are the PutRecords JSON the SDK would send: base64 data and each partition key', () => {
    const entries = [entry(Buffer.from('GET / 200\n'), 'a1'), entry(Buffer.from([0, 255, 10]), 'a1'), entry(Buffer.alloc(0), 'b')];
    const body = recordsBody('StreamName', 'logs', entries, true);
    expect(JSON.parse(body.toString('utf8'))).toEqual({
      StreamName: 'logs',
      Records: [
        { Data: Buffer.from('GET / 200\n').toString('base64'), PartitionKey: 'a1' },
        { Data: 'AP8K', PartitionKey: 'a1' },
        { Data: '', PartitionKey: 'b' },
      ],
    });
  });

  it('give an entry whose key is \'\' (RANDOM) a random key drawn as the body is written, a new one each time it is written', () => {
    const entries = [entry(Buffer.from('a\n')), entry(Buffer.from('b\n'), 'fixed'), entry(Buffer.from('c\n'))];
    const keysOf = (): (string | undefined)[] =>
      (JSON.parse(recordsBody('StreamName', 's', entries, true).toString('utf8')) as { Records: { PartitionKey?: string }[] }).Records.map((r) => r.PartitionKey);
    const first = keysOf();
    expect(first[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(first[1]).toBe('fixed');
    expect(first[2]).toMatch(/^[0-9a-f]{16}$/);
    expect(first[0]).not.toBe(first[2]);
    // A retried call's body is written again: its random keys are drawn again.
    const again = keysOf();
    expect(again[0]).not.toBe(first[0]);
  });

  it('name a stream by ARN, and a Firehose stream without partition keys', () => {
    const arn = 'arn:aws:kinesis:eu-west-1:123456789012:stream/logs';
    expect(JSON.parse(recordsBody('StreamARN', arn, [entry(Buffer.from('x'), 'k')], true).toString())).toEqual({
      StreamARN: arn,
      Records: [{ Data: 'eA==', PartitionKey: 'k' }],
    });
    expect(JSON.parse(recordsBody('DeliveryStreamName', 'fh', [entry(Buffer.from('x')), entry(Buffer.from('yz'))], false).toString())).toEqual({
      DeliveryStreamName: 'fh',
      Records: [{ Data: 'eA==' }, { Data: 'eXo=' }],
    });
  });

  it('escape partition keys that need it (quotes, backslashes, control and non-ASCII characters)', () => {
    const keys = ['say "hi"', 'C:\\logs', 'tab\there', 'naïve', '日本', '😀', '\u0000\u001f', '\u2028'];
    const body = recordsBody('StreamName', 'ström "s"', keys.map((k) => entry(Buffer.from(k), k)), true);
    const parsed = JSON.parse(body.toString('utf8')) as { StreamName: string; Records: { PartitionKey: string }[] };
    expect(parsed.StreamName).toBe('ström "s"');
    expect(parsed.Records.map((r) => r.PartitionKey)).toEqual(keys);
  });

  it('round-trip any data and keys exactly (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ data: fc.uint8Array({ maxLength: 300 }), key: fc.string({ unit: 'binary', maxLength: 40 }) }), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.boolean(),
        (items, keys) => {
          const entries = items.map((i) => entry(Buffer.from(i.data), i.key));
          const parsed = JSON.parse(recordsBody('StreamName', 's', entries, keys).toString('utf8')) as {
            Records: { Data: string; PartitionKey?: string }[];
          };
          expect(parsed.Records.map((r) => Buffer.from(r.Data, 'base64'))).toEqual(entries.map((e) => e.data));
          // '' is a random key, drawn as the body is written.
          parsed.Records.forEach((r, i) => {
            const key = entries[i]!.partitionKey;
            if (!keys) expect(r.PartitionKey).toBeUndefined();
            else if (key === '') expect(r.PartitionKey).toMatch(/^[0-9a-f]{16}$/);
            else expect(r.PartitionKey).toBe(key);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('write base64 in place exactly as Node encodes it, short and long data, at any offset (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(7), (data, at) => {
        const out = Buffer.alloc(at + base64Length(data.length) + 3, 0x2e);
        const end = writeBase64(data, out, new DataView(out.buffer, out.byteOffset, out.byteLength), at);
        expect(end).toBe(at + base64Length(data.length));
        expect(out.toString('latin1', at, end)).toBe(Buffer.from(data).toString('base64'));
        expect(out.subarray(0, at).every((b) => b === 0x2e) && out.subarray(end).every((b) => b === 0x2e)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('fill the Buffer the send path lends, sized exactly', () => {
    const lent: number[] = [];
    const body = recordsBody('StreamName', 's', [entry(Buffer.from('abc\n'), 'k')], true, (size) => {
      lent.push(size);
      return Buffer.alloc(size + 10).subarray(0, size);
    });
    expect(lent).toEqual([body.length]);
    expect(JSON.parse(body.toString())).toEqual({ StreamName: 's', Records: [{ Data: 'YWJjCg==', PartitionKey: 'k' }] });
  });
  it('are the same from Lines (ranges of one read chunk) as from Buffers of the same bytes (property)', () => {
    expectLinesWriteLikeBuffers((entries) => recordsBody('StreamName', 's', entries, true));
  });
});
