import { describe, expect, it } from 'vitest';
import { AwsProtocolServer } from '../servers/aws-protocol-server.ts';
import { captureLogger, makeAgent, makeFlow, makeRecords, pushAll, RecordingAcker, startDelivery, until, useProtocolServer } from './helpers.ts';

describe('user errors', () => {
  const aws = useProtocolServer({});

  it('a missing stream is logged once at ERROR with a hint, and delivery resumes when it appears, without restart', async () => {
    const { log, lines } = captureLogger();
    const acker = new RecordingAcker();
    const flow = makeFlow({ destination: { kind: 'kinesis', streamName: 'late' }, retryMaxBackoffMillis: 100, maxBufferSizeRecords: 50 });
    const { delivery, metrics } = aws.start(flow, { log });
    await pushAll(delivery, makeRecords(300, acker));

    // Several calls meet the missing stream...
    expect(await until(() => aws.server.calls('PutRecords').length >= 5)).toBe(true);
    const errors = lines().filter((l) => l.level === 'error');
    // ...but the user hears about it once.
    expect(errors.length).toBe(1);
    expect(errors[0]!.code).toBe('DESTINATION_NOT_FOUND');
    expect(String(errors[0]!.msg)).toContain('late');
    expect(String(errors[0]!.hint)).toContain('flows[0].kinesisStream');
    expect(acker.acked.length).toBe(0);
    expect(metrics.failingSince).toBeGreaterThan(0);

    aws.server.createStream('late', 1);
    expect(await until(() => acker.acked.length === 300)).toBe(true);
    expect(lines().some((l) => l.msg === 'delivery resumed')).toBe(true);
    expect(lines().filter((l) => l.level === 'error').length).toBe(1);
    expect(metrics.failingSince).toBe(0);
    await delivery.close(1000);
  });

  it('access denied names the IAM permission, and fixing it resumes delivery', async () => {
    aws.server.createDeliveryStream('fh');
    aws.server.setFaults({ kind: 'userError', type: 'AccessDeniedException' });
    const { log, lines } = captureLogger();
    const acker = new RecordingAcker();
    const flow = makeFlow({ destination: { kind: 'firehose', streamName: 'fh' }, retryMaxBackoffMillis: 100 });
    const { delivery } = aws.start(flow, { log });
    await pushAll(delivery, makeRecords(100, acker));
    expect(await until(() => aws.server.calls('PutRecordBatch').length >= 3)).toBe(true);
    const errors = lines().filter((l) => l.level === 'error');
    expect(errors.length).toBe(1);
    expect(errors[0]!.code).toBe('DESTINATION_ACCESS_DENIED');
    expect(String(errors[0]!.hint)).toContain('firehose:PutRecordBatch');
    aws.server.clearFaults();
    expect(await until(() => acker.acked.length === 100)).toBe(true);
    await delivery.close(1000);
  });

  it('rejected credentials are a user error naming the credential keys', async () => {
    aws.server.createStream('test');
    aws.server.setFaults({ kind: 'userError', type: 'UnrecognizedClientException', times: 2 });
    const { log, lines } = captureLogger();
    const acker = new RecordingAcker();
    const { delivery } = aws.start({ retryMaxBackoffMillis: 50 }, { log });
    await pushAll(delivery, makeRecords(10, acker));
    expect(await until(() => acker.acked.length === 10)).toBe(true);
    const errors = lines().filter((l) => l.level === 'error');
    expect(errors.length).toBe(1);
    expect(errors[0]!.code).toBe('INVALID_CREDENTIALS');
    expect(String(errors[0]!.hint)).toContain('awsAccessKeyId');
    await delivery.close(1000);
  });
});

describe('user errors inside answers', () => {
  const aws = useProtocolServer();

  it('a KMS error reported per entry inside answers is logged once, not once per call', async () => {
    aws.server.setFaults({ kind: 'failRecords', fraction: 1, code: 'KMSDisabledException' });
    const { log, lines } = captureLogger();
    const acker = new RecordingAcker();
    const flow = makeFlow({ retryMaxBackoffMillis: 50, maxBufferSizeRecords: 20 });
    const { delivery } = aws.start(flow, { log });
    await pushAll(delivery, makeRecords(200, acker));
    expect(await until(() => aws.server.calls('PutRecords').length >= 15)).toBe(true);
    aws.server.clearFaults();
    expect(await until(() => acker.acked.length === 200)).toBe(true);
    await delivery.close(1000);
    const errors = lines().filter((l) => l.level === 'error');
    expect(errors.length).toBe(1);
    expect(errors[0]!.code).toBe('DESTINATION_KMS_ERROR');
    expect(new Set(aws.server.streams.get('test')!.entries.map((e) => e.data.toString())).size).toBe(200);
  });
});

describe('an endpoint nobody listens on', () => {
  it('is retried (never dropped) and logged once at WARN with what to check; delivery starts when it comes up', async () => {
    const { freePort } = await import('../support/free-port.ts');
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const { log, lines } = captureLogger();
    const acker = new RecordingAcker();
    const { delivery, metrics } = startDelivery(makeFlow({ retryMaxBackoffMillis: 50 }), makeAgent(endpoint), log);
    await pushAll(delivery, makeRecords(50, acker));
    expect(await until(() => metrics.serviceErrors >= 3)).toBe(true);
    const warns = lines().filter((l) => l.level === 'warn');
    expect(warns.length).toBe(1);
    expect(String(warns[0]!.hint)).toContain('kinesis.endpoint');

    const server = await AwsProtocolServer.startOn(port);
    try {
      server.createStream('test');
      expect(await until(() => acker.acked.length === 50)).toBe(true);
      await delivery.close(1000);
    } finally {
      await server.stop();
    }
  });
});
