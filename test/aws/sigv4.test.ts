import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { AwsCredentialIdentity, HttpRequest } from '@smithy/types';
import { amzDate, canonicalPath, canonicalRequest, JsonPostSigner, signingKey, stringToSign, type JsonPostTarget } from '../../src/aws/sigv4.ts';
import { checkSigV4 } from '../servers/sigv4.ts';

/**
 * AWS's published SigV4 example (AWS General Reference, "Examples of the
 * complete Signature Version 4 signing process": IAM ListUsers on
 * 2015-08-30 with the documentation's example secret). The expected values
 * are the ones that page states.
 */
const AWS_EXAMPLE = {
  secret: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  longDate: '20150830T123600Z',
  scope: '20150830/us-east-1/iam/aws4_request',
  canonicalRequestHash: 'f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59',
  signingKey: 'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9',
  signature: '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
};

describe('SigV4 against AWS’s published example', () => {
  it('the canonical request, signing key and signature are the ones AWS documents', () => {
    const canonical = canonicalRequest(
      'GET',
      '/',
      'Action=ListUsers&Version=2010-05-08',
      [
        ['content-type', 'application/x-www-form-urlencoded; charset=utf-8'],
        ['host', 'iam.amazonaws.com'],
        ['x-amz-date', AWS_EXAMPLE.longDate],
      ],
      createHash('sha256').update('').digest('hex'),
    );
    expect(createHash('sha256').update(canonical).digest('hex')).toBe(AWS_EXAMPLE.canonicalRequestHash);
    const key = signingKey(AWS_EXAMPLE.secret, '20150830', 'us-east-1', 'iam');
    expect(key.toString('hex')).toBe(AWS_EXAMPLE.signingKey);
    const toSign = stringToSign(AWS_EXAMPLE.longDate, AWS_EXAMPLE.scope, canonical);
    expect(toSign).toBe(`AWS4-HMAC-SHA256\n${AWS_EXAMPLE.longDate}\n${AWS_EXAMPLE.scope}\n${AWS_EXAMPLE.canonicalRequestHash}`);
    expect(createHmac('sha256', key).update(toSign).digest('hex')).toBe(AWS_EXAMPLE.signature);
  });

  it.each<[number, string]>([
    [Date.UTC(2015, 7, 30, 12, 36, 0), '20150830T123600Z'],
    [Date.UTC(2026, 0, 1, 0, 0, 0, 999), '20260101T000000Z'],
    [Date.UTC(2026, 11, 31, 23, 59, 59, 1), '20261231T235959Z'],
  ])('x-amz-date of %i is %s', (ms, expected) => {
    expect(amzDate(ms)).toBe(expected);
  });

  it.each<[string, string]>([
    ['/', '/'],
    ['/a/b/', '/a/b/'],
    ['/a//b/./c/../', '/a/b/'],
    ['/with space/', '/with%20space/'],
    ["/it's(1)*/", '/it%27s%281%29%2A/'],
    ['/a%20b/', '/a%2520b/'],
  ])('the canonical path of %s is %s (URI-escaped, as the SDK signs a path it was given)', (path, expected) => {
    expect(canonicalPath(path)).toBe(expected);
  });
});

const TARGET: JsonPostTarget = { authority: 'kinesis.eu-west-1.amazonaws.com', path: '/', target: 'Kinesis_20131202.PutRecords', region: 'eu-west-1', service: 'kinesis' };

/** The headers the SDK client's own signer gives the same call. */
async function sdkSigned(target: JsonPostTarget, body: Buffer, credentials: AwsCredentialIdentity, at: number): Promise<Record<string, string>> {
  const client = target.service === 'firehose' ? new FirehoseClient({ region: target.region, credentials }) : new KinesisClient({ region: target.region, credentials });
  try {
    const signer = await client.config.signer();
    const request: HttpRequest = {
      method: 'POST',
      protocol: 'https:',
      hostname: target.authority,
      path: target.path,
      query: {},
      headers: {
        ':authority': target.authority,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': target.target,
        'content-length': String(body.length),
      },
      body,
    };
    const signed = await signer.sign(request, { signingDate: new Date(at) });
    return signed.headers;
  } finally {
    client.destroy();
  }
}

function withoutPseudo(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name !== ':method' && name !== ':path'));
}

describe('JsonPostSigner: a call signed as the SDK client’s signer signs it', () => {
  const body = Buffer.from('{"StreamName":"s","Records":[{"Data":"aGVsbG8K","PartitionKey":"k"}]}');
  const at = Date.UTC(2026, 10, 30, 20, 45, 12, 345);
  it.each<[string, JsonPostTarget, AwsCredentialIdentity]>([
    ['long-term keys', TARGET, { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: AWS_EXAMPLE.secret }],
    ['temporary keys with a session token', TARGET, { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'c2VjcmV0', sessionToken: 'FwoGZXIvYXdzEPT//////////wEaDH+token==' }],
    ['Firehose on a port, under a path that needs escaping', { authority: 'localhost:4443', path: '/fire hose/%7E/', target: 'Firehose_20150804.PutRecordBatch', region: 'us-east-1', service: 'firehose' }, { accessKeyId: 'k', secretAccessKey: 's' }],
  ])('%s: the same headers, byte for byte', async (_, target, credentials) => {
    const ours = new JsonPostSigner(target).sign(body, credentials, at);
    expect(ours[':method']).toBe('POST');
    expect(ours[':path']).toBe(target.path);
    expect(withoutPseudo(ours)).toEqual(await sdkSigned(target, body, credentials, at));
  });
});

describe('JsonPostSigner: the signing key kept per day and identity', () => {
  const secrets = new Map([
    ['first', 'secret-one'],
    ['second', 'secret-two'],
  ]);
  const verify = (headers: Record<string, unknown>, body: Buffer): ReturnType<typeof checkSigV4> =>
    checkSigV4('POST', '/', headers as Record<string, string>, body, secrets);

  it('every call verifies as a service checks it, across a change of day and of credentials', () => {
    const signer = new JsonPostSigner(TARGET);
    const body = Buffer.from('{"Records":[]}');
    const beforeMidnight = Date.UTC(2026, 10, 30, 23, 59, 59, 900);
    const calls: [AwsCredentialIdentity, number][] = [
      [{ accessKeyId: 'first', secretAccessKey: 'secret-one' }, beforeMidnight],
      [{ accessKeyId: 'first', secretAccessKey: 'secret-one' }, beforeMidnight + 50],
      [{ accessKeyId: 'first', secretAccessKey: 'secret-one' }, beforeMidnight + 200], // the next day
      [{ accessKeyId: 'second', secretAccessKey: 'secret-two', sessionToken: 't1' }, beforeMidnight + 300],
      [{ accessKeyId: 'second', secretAccessKey: 'secret-two', sessionToken: 't2' }, beforeMidnight + 400],
      [{ accessKeyId: 'first', secretAccessKey: 'secret-one' }, beforeMidnight + 500],
    ];
    const scopes: string[] = [];
    for (const [credentials, at] of calls) {
      const headers = signer.sign(body, credentials, at);
      expect(verify(headers as Record<string, unknown>, body)).toEqual({ ok: true, accessKeyId: credentials.accessKeyId });
      expect(headers['x-amz-security-token']).toBe(credentials.sessionToken);
      scopes.push(String(headers.authorization).split('Credential=')[1]!.split(',')[0]!);
    }
    expect(scopes).toEqual([
      'first/20261130/eu-west-1/kinesis/aws4_request',
      'first/20261130/eu-west-1/kinesis/aws4_request',
      'first/20261201/eu-west-1/kinesis/aws4_request',
      'second/20261201/eu-west-1/kinesis/aws4_request',
      'second/20261201/eu-west-1/kinesis/aws4_request',
      'first/20261201/eu-west-1/kinesis/aws4_request',
    ]);
  });

  it('a secret rotated under the same access key id signs with the new secret', () => {
    const signer = new JsonPostSigner(TARGET);
    const body = Buffer.from('{}');
    const at = Date.UTC(2026, 10, 30, 12, 0, 0);
    signer.sign(body, { accessKeyId: 'first', secretAccessKey: 'secret-one' }, at);
    const rotated = new Map([['first', 'secret-new']]);
    const headers = signer.sign(body, { accessKeyId: 'first', secretAccessKey: 'secret-new' }, at + 1000);
    expect(checkSigV4('POST', '/', headers as Record<string, string>, body, rotated)).toEqual({ ok: true, accessKeyId: 'first' });
  });

  it('credentials that are not a credentials object are refused, as the SDK refuses them', () => {
    const signer = new JsonPostSigner(TARGET);
    expect(() => signer.sign(Buffer.from('{}'), { accessKeyId: 'x' } as AwsCredentialIdentity, Date.now())).toThrow(/not valid/);
  });
});
