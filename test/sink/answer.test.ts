import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cbor } from '@smithy/core/cbor';
import { allDelivered, allDeliveredCbor } from '../../src/sink/answer.ts';

const seq = (i: number): string => `{"SequenceNumber":"4960000000000000000000000000000000000000000000000000000${i}","ShardId":"shardId-000000000000"}`;
const put = (body: string): Buffer => Buffer.from(body);
const ok = (n: number, head = '{"FailedRecordCount":0,"Records":[', tail = ']}'): Buffer => put(head + Array.from({ length: n }, (_, i) => seq(i)).join(',') + tail);

describe('recognising an all-delivered answer without parsing it (allDelivered)', () => {
  it.each<[string, Buffer, number, boolean]>([
    ['every entry with a sequence number, count 0', ok(3), 3, true],
    ['the count after the results, and more fields', ok(3, '{"EncryptionType":"KMS","Records":[', '],"FailedRecordCount":0}'), 3, true],
    ['fewer results than sent', ok(2), 3, false],
    ['more results than sent', ok(4), 3, false],
    ['no results', put('{"FailedRecordCount":0,"Records":[]}'), 3, false],
    ['results without sequence numbers', put('{"FailedRecordCount":0,"Records":[{},{},{}]}'), 3, false],
    ['an empty sequence number', put(`{"FailedRecordCount":0,"Records":[${seq(0)},${seq(1)},{"SequenceNumber":"","ShardId":"s"}]}`), 3, false],
    ['a failed record', put(`{"FailedRecordCount":1,"Records":[${seq(0)},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"slow"},${seq(2)}]}`), 3, false],
    ['an error code with a count that says 0', put(`{"FailedRecordCount":0,"Records":[${seq(0)},${seq(1)},{"ErrorCode":"InternalFailure"}]}`), 3, false],
    ['a count of 10, not 0', put(`{"FailedRecordCount":10,"Records":[${seq(0)}]}`), 1, false],
    ['no count at all', put(`{"Records":[${seq(0)}]}`), 1, false],
    ['spaces (another spelling: left to the parser)', put(`{"FailedRecordCount": 0, "Records": [${seq(0)}]}`), 1, false],
    ['HTML', put('<html><body>Gateway says hi</body></html>'), 1, false],
    ['null', put('null'), 1, false],
    ['cut short', ok(3).subarray(0, 200), 3, false],
    ['nothing sent', put('{"FailedRecordCount":0,"Records":[]}'), 0, false],
  ])('%s: %s', (_, answer, sent, expected) => {
    expect(allDelivered(answer, sent, 'FailedRecordCount', 'SequenceNumber')).toBe(expected);
  });

  it('reads Firehose answers by their own field names', () => {
    const body = put('{"FailedPutCount":0,"Encrypted":false,"RequestResponses":[{"RecordId":"a1"},{"RecordId":"b2"}]}');
    expect(allDelivered(body, 2, 'FailedPutCount', 'RecordId')).toBe(true);
    expect(allDelivered(body, 2, 'FailedRecordCount', 'SequenceNumber')).toBe(false);
  });
});

describe('recognising an all-delivered CBOR answer without decoding it (allDeliveredCbor)', () => {
  const okResult = (i: number, nulls = false): Record<string, unknown> => ({
    ...(nulls ? { ErrorCode: null, ErrorMessage: null } : {}),
    SequenceNumber: `4960000000000000000000000000000000000000000000000000000${i}`,
    ShardId: 'shardId-000000000000',
  });
  const answer = (value: unknown): Buffer => Buffer.from(cbor.serialize(value));
  const ok = (n: number, nulls = false): Buffer => answer({ FailedRecordCount: 0, Records: Array.from({ length: n }, (_, i) => okResult(i, nulls)) });
  it.each<[string, Buffer, number, boolean]>([
    ['every entry with a sequence number, count 0', ok(3), 3, true],
    ['successes with ErrorCode and ErrorMessage null (kinesis-mock)', ok(3, true), 3, true],
    ['the count after the results, and more fields', answer({ EncryptionType: 'KMS', Records: [okResult(0), okResult(1)], FailedRecordCount: 0 }), 2, true],
    ['fewer results than sent', ok(2), 3, false],
    ['more results than sent', ok(4), 3, false],
    ['no results', answer({ FailedRecordCount: 0, Records: [] }), 3, false],
    ['an empty sequence number', answer({ FailedRecordCount: 0, Records: [okResult(0), { SequenceNumber: '', ShardId: 's' }] }), 2, false],
    ['a null sequence number', answer({ FailedRecordCount: 0, Records: [okResult(0), { SequenceNumber: null, ShardId: 's' }] }), 2, false],
    ['a failed record', answer({ FailedRecordCount: 1, Records: [okResult(0), { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow' }] }), 2, false],
    ['an error code with a count that says 0', answer({ FailedRecordCount: 0, Records: [okResult(0), { ErrorCode: 'InternalFailure', ErrorMessage: 'x' }] }), 2, false],
    ['an error code beside a sequence number', answer({ FailedRecordCount: 0, Records: [okResult(0), { ...okResult(1), ErrorCode: 'InternalFailure' }] }), 2, false],
    ['a count of 10, not 0', answer({ FailedRecordCount: 10, Records: [okResult(0)] }), 1, false],
    ['a count of 24 (a one-byte argument)', answer({ FailedRecordCount: 24, Records: [okResult(0)] }), 1, false],
    ['no count at all', answer({ Records: [okResult(0)] }), 1, false],
    ['a JSON answer', Buffer.from('{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"s"}]}'), 1, false],
    ['an array, not a map', answer([okResult(0)]), 1, false],
    ['indefinite lengths, as Jackson writes them (left to the decoder)', Buffer.from([0xbf, ...ok(1).subarray(1), 0xff]), 1, false],
    ['bytes after the answer', Buffer.concat([ok(1), Buffer.from([0x00])]), 1, false],
    ['a result holding a nested map (left to the decoder)', answer({ FailedRecordCount: 0, Records: [{ ...okResult(0), Extra: { a: 1 } }] }), 1, false],
    ['a result without a sequence number', answer({ FailedRecordCount: 0, Records: [okResult(0), { ShardId: 's' }] }), 2, false],
    ['500 results (two-byte array length)', ok(500), 500, true],
    ['cut short', ok(3).subarray(0, 100), 3, false],
    ['cut short inside a key\'s 4-byte length', Buffer.from([0xa1, 0x7a, 0x00, 0x00]), 1, false],
    ['cut short inside a result\'s 4-byte length', Buffer.concat([ok(1).subarray(0, ok(1).indexOf('SequenceNumber') + 12), Buffer.from([0x7a, 0x00])]), 1, false],
    ['cut short at every byte', ok(2).subarray(0, 1), 2, false],
    ['nothing sent', answer({ FailedRecordCount: 0, Records: [] }), 0, false],
  ])('%s', (_, body, sent, expected) => {
    expect(allDeliveredCbor(body, sent, 'FailedRecordCount', 'SequenceNumber')).toBe(expected);
  });

  it('is false, never throws, for an answer cut short at any byte', () => {
    const whole = answer({ FailedRecordCount: 0, Records: [okResult(0), { ...okResult(1), Big: 'x'.repeat(70_000) }] });
    for (let n = 0; n < whole.length; n += n < 200 ? 1 : 997) expect(allDeliveredCbor(whole.subarray(0, n), 2, 'FailedRecordCount', 'SequenceNumber')).toBe(false);
  });

  it('agrees with decoding the answer whole on random answers (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant('ok'), fc.constant('okNull'), fc.constant('fail'), fc.constant('empty')), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: -1, max: 1 }),
        (kinds, failed, skew) => {
          const records = kinds.map((k, i) =>
            k === 'ok' ? okResult(i) : k === 'okNull' ? okResult(i, true) : k === 'fail' ? { ErrorCode: 'InternalFailure', ErrorMessage: 'x' } : { SequenceNumber: '', ShardId: 's' },
          );
          const sent = Math.max(1, kinds.length + skew);
          const body = answer({ FailedRecordCount: failed, Records: records });
          const whole = failed === 0 && records.length === sent && kinds.every((k) => k === 'ok' || k === 'okNull');
          // Never true where the whole answer says otherwise.
          expect(allDeliveredCbor(body, sent, 'FailedRecordCount', 'SequenceNumber')).toBe(whole);
        },
      ),
      { numRuns: 300 },
    );
  });
});
