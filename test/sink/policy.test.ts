import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/sink/backoff.ts';
import { AdaptiveConcurrency } from '../../src/sink/concurrency.ts';
import { classifyCode, classifyError, DestinationNotFoundError, MalformedResponseError, type DestinationContext } from '../../src/sink/errors.ts';
import { fieldPartitionKey, partitionKeyFn, RANDOM_KEY_CHARS, randomPartitionKey, writeRandomPartitionKey } from '../../src/sink/partition-key.ts';

const ctx: DestinationContext = { kind: 'kinesis', streamName: 's', region: 'us-east-1', flowIndex: 2 };

describe('partition keys', () => {
  const data = Buffer.from('{"user":"alice","n":7,"o":{}}\n');

  it('RANDOM keys are drawn when the body is written (the record carries \'\'), 16 hex characters spread over the key space; DETERMINISTIC keys follow the bytes', () => {
    expect(partitionKeyFn({ kind: 'RANDOM' })(data)).toBe('');
    const drawn = (): string => {
      const out = Buffer.alloc(RANDOM_KEY_CHARS + 2, 0x2e);
      expect(writeRandomPartitionKey(out, 1)).toBe(RANDOM_KEY_CHARS + 1);
      expect([out[0], out[RANDOM_KEY_CHARS + 1]]).toEqual([0x2e, 0x2e]);
      return out.toString('latin1', 1, RANDOM_KEY_CHARS + 1);
    };
    for (const random of [drawn, randomPartitionKey]) {
      const keys = Array.from({ length: 2000 }, () => random());
      expect(keys.every((k) => /^[0-9a-f]{16}$/.test(k))).toBe(true);
      expect(new Set(keys).size).toBe(keys.length);
      // Every hex digit turns up in every position: the keys spread over the whole key space.
      for (let i = 0; i < 16; i++) expect(new Set(keys.map((k) => k[i])).size).toBe(16);
    }
    const det = partitionKeyFn({ kind: 'DETERMINISTIC' });
    expect(det(data)).toBe(det(Buffer.from(data)));
    expect(det(data)).not.toBe(det(Buffer.from('other\n')));
  });

  it('DETERMINISTIC is the Kinesis Agent\'s key: MD5 hex of the record bytes (vectors from md5sum)', () => {
    const det = partitionKeyFn({ kind: 'DETERMINISTIC' });
    // printf '...' | md5sum
    expect(det(Buffer.from('hello\n'))).toBe('b1946ac92492d2347c6235b4d2611184');
    expect(det(Buffer.alloc(0))).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(det(Buffer.from('{"user":"alice","n":7}\n'))).toBe('0957c63ddd445fdd9354ae3580f9cb78');
    expect(det(Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9, 0x20, 0xff, 0x00, 0x0a]))).toBe('59ea931cc597a69f7ea510dd51db6e81');
  });

  it('CONSTANT is the configured key (random if empty, which Kinesis would reject)', () => {
    expect(partitionKeyFn({ kind: 'CONSTANT', value: 'k1' })(data)).toBe('k1');
    expect(partitionKeyFn({ kind: 'CONSTANT', value: '' })(data)).toHaveLength(16);
  });

  it('FIELD reads a top-level field of a JSON record, and is random when absent, empty or not JSON', () => {
    const byUser = partitionKeyFn({ kind: 'FIELD', field: 'user' });
    expect(byUser(data)).toBe('alice');
    expect(fieldPartitionKey(data, 'n')).toBe('7');
    expect(fieldPartitionKey(data, 'o')).toBeUndefined();
    expect(fieldPartitionKey(data, 'missing')).toBeUndefined();
    expect(fieldPartitionKey(Buffer.from('{"user":""}\n'), 'user')).toBeUndefined();
    expect(fieldPartitionKey(Buffer.from('plain text\n'), 'user')).toBeUndefined();
    expect(fieldPartitionKey(Buffer.from('{broken\n'), 'user')).toBeUndefined();
    expect(byUser(Buffer.from('plain\n'))).toHaveLength(16);
    expect(fieldPartitionKey(Buffer.from(JSON.stringify({ user: 'x'.repeat(300) })), 'user')).toHaveLength(256);
  });
});

describe('backoff', () => {
  it('stays between the initial and the maximum backoff and grows with attempts', () => {
    expect(backoffDelay(1, 100, 10_000, () => 0)).toBe(100);
    expect(backoffDelay(1, 100, 10_000, () => 1)).toBe(200);
    expect(backoffDelay(5, 100, 10_000, () => 1)).toBe(3200);
    expect(backoffDelay(50, 100, 10_000, () => 1)).toBe(10_000);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(i % 12, 100, 10_000);
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(10_000);
    }
  });
});

describe('adaptive concurrency', () => {
  it('halves once per round of throttled calls, grows by one per success, collapses on user errors', () => {
    const c = new AdaptiveConcurrency(8);
    const tickets = [c.begin(), c.begin(), c.begin()];
    for (const t of tickets) c.throttled(t);
    expect(c.limit).toBe(4);
    c.throttled(c.begin());
    expect(c.limit).toBe(2);
    c.succeeded();
    c.succeeded();
    expect(c.limit).toBe(4);
    for (let i = 0; i < 10; i++) c.succeeded();
    expect(c.limit).toBe(8);
    c.collapse();
    expect(c.limit).toBe(1);
    c.throttled(c.begin());
    expect(c.limit).toBe(1);
  });
});

describe('error classes', () => {
  it('throttling codes, user errors and transient failures are told apart', () => {
    expect(classifyCode('ProvisionedThroughputExceededException', '', ctx).kind).toBe('throttle');
    expect(classifyCode('InternalFailure', '', ctx).kind).toBe('transient');
    const missing = classifyCode('ResourceNotFoundException', 'nope', ctx);
    expect(missing.kind).toBe('user');
    expect(missing.userError).toBeInstanceOf(DestinationNotFoundError);
    expect(missing.userError!.hint).toContain('flows[2].kinesisStream');
    expect(classifyCode('AccessDeniedException', '', ctx).userError!.hint).toContain('kinesis:PutRecords');
    expect(classifyCode('AccessDeniedException', '', { ...ctx, kind: 'firehose' }).userError!.hint).toContain('firehose:PutRecordBatch');
    expect(classifyCode('ExpiredTokenException', '', ctx).userError!.code).toBe('INVALID_CREDENTIALS');
    expect(classifyCode('KMSDisabledException', '', ctx).userError!.code).toBe('DESTINATION_KMS_ERROR');
  });

  it('network errors, 5xx and malformed answers are transient; 503 and 429 are throttling', () => {
    expect(classifyError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), ctx)).toMatchObject({ kind: 'transient', code: 'ECONNRESET' });
    expect(classifyError(new MalformedResponseError('x'), ctx).kind).toBe('transient');
    const refused = classifyError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), ctx);
    expect(refused.kind).toBe('transient');
    expect(refused.hint).toContain('kinesis.endpoint');
    expect(classifyError(Object.assign(new Error('x'), { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }), ctx).kind).toBe('transient');
    expect(classifyError(Object.assign(new Error('x'), { name: 'Whatever', $metadata: { httpStatusCode: 503 } }), ctx).kind).toBe('throttle');
    expect(classifyError(Object.assign(new Error('x'), { name: 'Whatever', $metadata: { httpStatusCode: 429 } }), ctx).kind).toBe('throttle');
    expect(classifyError(Object.assign(new Error('x'), { name: 'CredentialsProviderError' }), ctx).userError!.code).toBe('NO_CREDENTIALS');
  });
});

describe('plain packing', () => {
  it('a RANDOM record (key \'\') counts the 16 characters its key will have against the limits', async () => {
    const { PlainPacker } = await import('../../src/sink/entry.ts');
    const packer = new PlainPacker(true, 1024 * 1024, () => 'short');
    const record = { data: Buffer.from('line\n'), acker: { ack() {} }, start: 0, end: 5, file: { path: 'test.log' } };
    expect(packer.cost(record, '').bytes).toBe(5 + 16);
    packer.add(record, '');
    expect(packer.byteCount).toBe(5 + 16);
    expect(packer.take()[0]!.partitionKey).toBe('');
  });

  it('a record near 1 MiB whose FIELD key would push it over the limit gets a short key instead', async () => {
    const { PlainPacker } = await import('../../src/sink/entry.ts');
    const packer = new PlainPacker(true, 1024 * 1024, () => 'short');
    const acker = { ack() {} };
    const big = { data: Buffer.alloc(1024 * 1024 - 256, 0x61), acker, start: 0, end: 1, file: { path: 'test.log' } };
    const longKey = 'é'.repeat(256); // 512 bytes in UTF-8
    const small = { data: Buffer.from('x\n'), acker, start: 1, end: 3, file: { path: 'test.log' } };
    expect(packer.cost(big, longKey).bytes).toBe(big.data.length + 5);
    packer.add(big, longKey);
    packer.add(small, longKey);
    const [a, b] = packer.take();
    expect(a!.partitionKey).toBe('short');
    expect(b!.partitionKey).toBe(longKey);
  });
});
