import { describe, expect, it } from 'vitest';
import { allDelivered, entryFailure, entryResults } from '../../src/sink/answer.ts';

const SEQ = Buffer.from('"SequenceNumber"');
const RECORD_ID = Buffer.from('"RecordId"');

function putRecordsAnswer(ok: number, failed = 0, extra = ''): string {
  const records = [
    ...Array.from({ length: ok }, (_, i) => `{"SequenceNumber":"4959${i}","ShardId":"shardId-000000000000"}`),
    ...Array.from({ length: failed }, () => '{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded"}'),
  ];
  return `{"FailedRecordCount":${failed},"Records":[${records.join(',')}]${extra}}`;
}

describe('allDelivered: a put answer read without parsing only when every entry succeeded', () => {
  it.each<[string, string, Buffer, number, boolean]>([
    ['every record has a sequence number', putRecordsAnswer(3), SEQ, 3, true],
    ['and a trailing field (encryption)', putRecordsAnswer(3, 0, ',"EncryptionType":"KMS"'), SEQ, 3, true],
    ['one record failed', putRecordsAnswer(2, 1), SEQ, 3, false],
    ['fewer results than entries sent', putRecordsAnswer(2), SEQ, 3, false],
    ['more results than entries sent', putRecordsAnswer(4), SEQ, 3, false],
    ['cut short inside the last result', putRecordsAnswer(3).slice(0, -20), SEQ, 3, false],
    ['cut short after the last result', putRecordsAnswer(3).slice(0, -2) + '}', SEQ, 3, false],
    ['not JSON', 'Service Unavailable', SEQ, 1, false],
    ['empty', '', SEQ, 0, false],
    ['keys spelled with escapes (parsed instead)', '{"FailedRecordCount":0,"Records":[{"\\u0053equenceNumber":"1"}]}', SEQ, 1, false],
    ['Firehose: every record has a RecordId', '{"FailedPutCount":0,"Encrypted":false,"RequestResponses":[{"RecordId":"a"},{"RecordId":"b"}]}', RECORD_ID, 2, true],
    ['Firehose: one failed', '{"FailedPutCount":1,"RequestResponses":[{"RecordId":"a"},{"ErrorCode":"ServiceUnavailableException","ErrorMessage":"x"}]}', RECORD_ID, 2, false],
  ])('%s', (_, body, key, sent, expected) => {
    expect(allDelivered(Buffer.from(body), key, sent)).toBe(expected);
  });

  it('agrees with the full parse on every answer it accepts', () => {
    for (const [ok, failed] of [[500, 0], [1, 0], [499, 1], [0, 500]] as const) {
      const body = putRecordsAnswer(ok, failed);
      const fast = allDelivered(Buffer.from(body), SEQ, ok + failed);
      const parsed = entryResults('PutRecords', JSON.parse(body) as Record<string, unknown>, 'Records', ok + failed);
      const failures = parsed.map((r, i) => entryFailure(r, i, 'SequenceNumber')).filter(Boolean);
      expect(fast).toBe(failures.length === 0);
    }
  });
});
