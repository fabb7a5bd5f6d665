import { describe, expect, it } from 'vitest';
import { requestHandlerFor } from '../../src/aws/transport.ts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ForwardProxy } from '../servers/http-proxy.ts';
import { makeAgent, makeFlow, makeRecords, pushAll, RecordingAcker, startDelivery, until, useProtocolServer } from './helpers.ts';

const connection = { connectionTimeoutMillis: 1000, socketTimeoutMillis: 2000, maxConnections: 10 };

describe('credentials and transport', () => {
  const aws = useProtocolServer();

  it('assumeRoleARN is assumed through STS at sts.endpoint as session AWSKinesisAgent, and its temporary credentials sign the calls', async () => {
    aws.server.handle('query:AssumeRole', (r) => ({
      status: 200,
      contentType: 'text/xml',
      body: `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIAASSUMED</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey>
<SessionToken>assumed-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>${String(r.body.RoleArn)}/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    }));
    const agent = makeAgent(aws.server.endpoint, {
      credentials: { accessKeyId: 'base', secretAccessKey: 'base-secret', assumeRoleARN: 'arn:aws:iam::000000000000:role/shipper', assumeRoleExternalId: 'ext-1' },
    });
    const acker = new RecordingAcker();
    const { delivery } = startDelivery(makeFlow(), agent);
    await pushAll(delivery, makeRecords(10, acker));
    expect(await until(() => acker.acked.length === 10)).toBe(true);
    await delivery.close(1000);

    const assume = aws.server.calls('AssumeRole');
    expect(assume.length).toBe(1);
    expect(assume[0]!.body.RoleArn).toBe('arn:aws:iam::000000000000:role/shipper');
    expect(assume[0]!.body.ExternalId).toBe('ext-1');
    // The Kinesis Agent's session name and length (AgentConfiguration.java): IAM conditions on it keep matching.
    expect(assume[0]!.body.RoleSessionName).toBe('AWSKinesisAgent');
    expect(assume[0]!.body.DurationSeconds).toBe('3600');
    expect(String(assume[0]!.headers.authorization)).toContain('Credential=base/');
    const put = aws.server.calls('PutRecords')[0]!;
    expect(String(put.headers.authorization)).toContain('Credential=ASIAASSUMED/');
    expect(put.headers['x-amz-security-token']).toBe('assumed-token');
  });

  it('static keys from the config sign the calls', async () => {
    const agent = makeAgent(aws.server.endpoint, { credentials: { accessKeyId: 'AKIASTATIC', secretAccessKey: 's', sessionToken: 'tok' } });
    const acker = new RecordingAcker();
    const { delivery } = startDelivery(makeFlow(), agent);
    await pushAll(delivery, makeRecords(3, acker));
    expect(await until(() => acker.acked.length === 3)).toBe(true);
    await delivery.close(1000);
    const put = aws.server.calls('PutRecords')[0]!;
    expect(String(put.headers.authorization)).toContain('Credential=AKIASTATIC/');
    expect(put.headers['x-amz-security-token']).toBe('tok');
  });

  it('with `proxy` set, calls travel through the proxy', async () => {
    const proxy = await ForwardProxy.start();
    try {
      const acker = new RecordingAcker();
      const { delivery } = aws.start({}, { agent: { proxy: proxy.url } });
      await pushAll(delivery, makeRecords(20, acker));
      expect(await until(() => acker.acked.length === 20)).toBe(true);
      await delivery.close(1000);
      expect(proxy.seen.some((s) => s.startsWith(`POST ${aws.server.endpoint}/`))).toBe(true);
      expect(aws.server.streams.get('test')!.entries.length).toBe(20);
    } finally {
      await proxy.stop();
    }
  });

  it('plain-HTTP endpoints and proxies get an HTTP/1.1 keep-alive handler; AWS endpoints keep the SDK default', () => {
    expect(requestHandlerFor({ endpoint: 'http://127.0.0.1:1', defaultHttp2: true, connection, proxy: undefined })).toBeInstanceOf(NodeHttpHandler);
    expect(
      requestHandlerFor({ endpoint: 'https://kinesis.us-east-1.amazonaws.com', defaultHttp2: true, connection, proxy: 'http://127.0.0.1:3128' }),
    ).toBeInstanceOf(NodeHttpHandler);
    const defaults = requestHandlerFor({ endpoint: undefined, defaultHttp2: true, connection, proxy: undefined });
    expect(defaults).not.toBeInstanceOf(NodeHttpHandler);
    expect(defaults).toMatchObject({ requestTimeout: 2000 });
  });
});
