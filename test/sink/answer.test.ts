import { describe, expect, it } from 'vitest';
import { allDelivered } from '../../src/sink/answer.ts';

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
