/**
 * Streams of another account, given by ARN: what reaches the wire. Kinesis
 * PutRecords and ListShards take StreamARN; Firehose's PutRecordBatch has
 * only DeliveryStreamName (the installed @aws-sdk/client-firehose
 * PutRecordBatchInput, and the Firehose API reference), so a Firehose ARN
 * gives the name and the signing region.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { AwsProtocolServer } from '../servers/aws-protocol-server.ts';
import { makeRecords, pushAll, RecordingAcker, startDelivery, until } from './helpers.ts';

const KINESIS_ARN = 'arn:aws:kinesis:eu-west-3:111122223333:stream/orders';
const FIREHOSE_ARN = 'arn:aws:firehose:ap-northeast-2:111122223333:deliverystream/clicks';

describe('destinations given by ARN', () => {
  let server: AwsProtocolServer;
  beforeEach(async () => {
    server = await AwsProtocolServer.start();
    server.createStream('orders', 2);
    server.createDeliveryStream('clicks');
  });
  afterEach(async () => {
    await server.stop();
  });

  const load = () =>
    parseConfigText(
      `awsAccessKeyId: test\nawsSecretAccessKey: test\nkinesis.endpoint: ${server.endpoint}\nfirehose.endpoint: ${server.endpoint}\n` +
        `flows:\n  - {filePattern: /a, kinesisStream: "${KINESIS_ARN}", partitionKeyOption: DETERMINISTIC, aggregation: true, maxBufferAgeMillis: 1000}\n` +
        `  - {filePattern: /b, deliveryStream: "${FIREHOSE_ARN}", maxBufferAgeMillis: 1000}\n`,
      '/etc/kinesis-agent/agent.yaml',
      { env: {} },
    );

  it('Kinesis: PutRecords and ListShards carry StreamARN (no StreamName), signed for the ARN\'s region', async () => {
    const config = load();
    expect(config.flows[0]!.region).toBe('eu-west-3');
    const acker = new RecordingAcker();
    const { delivery } = startDelivery(config.flows[0]!, config);
    await pushAll(delivery, makeRecords(20, acker));
    expect(await until(() => acker.acked.length === 20)).toBe(true);
    await delivery.close(1000);
    const list = server.calls('ListShards')[0]!;
    expect(list.body.StreamARN).toBe(KINESIS_ARN);
    expect(list.body.StreamName).toBeUndefined();
    const put = server.calls('PutRecords')[0]!;
    expect(put.body.StreamARN).toBe(KINESIS_ARN);
    expect(put.body.StreamName).toBeUndefined();
    expect(String(put.headers.authorization)).toContain('/eu-west-3/kinesis/aws4_request');
  });

  it('Firehose: PutRecordBatch carries the name from the ARN, signed for the ARN\'s region', async () => {
    const config = load();
    const acker = new RecordingAcker();
    const { delivery } = startDelivery(config.flows[1]!, config);
    await pushAll(delivery, makeRecords(5, acker));
    expect(await until(() => acker.acked.length === 5)).toBe(true);
    await delivery.close(1000);
    const put = server.calls('PutRecordBatch')[0]!;
    expect(put.body.DeliveryStreamName).toBe('clicks');
    expect(Object.keys(put.body).sort()).toEqual(['DeliveryStreamName', 'Records']);
    expect(String(put.headers.authorization)).toContain('/ap-northeast-2/firehose/aws4_request');
  });
});
