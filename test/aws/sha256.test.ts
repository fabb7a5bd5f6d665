import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { Sha256 } from '../../src/aws/sha256.ts';

async function digest(secret: string | Uint8Array | undefined, ...parts: (string | Uint8Array)[]): Promise<string> {
  const h = new Sha256(secret);
  for (const p of parts) h.update(p);
  return Buffer.from(await h.digest()).toString('hex');
}

describe('Sha256: the SigV4 signer hash with HMAC keys made once', () => {
  it.each<[string, string | Uint8Array | undefined, (string | Uint8Array)[]]>([
    ['SHA-256 of a string', undefined, ['hello']],
    ['SHA-256 of bytes in parts', undefined, [Buffer.from('hel'), new Uint8Array([0x6c, 0x6f])]],
    ['HMAC with a string secret', 'AWS4secret/key+abc', ['20261130']],
    ['HMAC with a byte key', new Uint8Array(32).fill(7), ['aws4_request']],
    ['HMAC with a non-ASCII secret', 'clé-secrète', ['x']],
  ])('%s equals node:crypto', async (_, secret, parts) => {
    const reference = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret));
    for (const p of parts) reference.update(p);
    const expected = reference.digest('hex');
    expect(await digest(secret, ...parts)).toBe(expected);
    // A second use of the same key (now cached) gives the same digest.
    expect(await digest(secret, ...parts)).toBe(expected);
  });

  it('reset starts over with the same key', async () => {
    const h = new Sha256('k');
    h.update('first');
    h.reset();
    h.update('second');
    expect(Buffer.from(await h.digest()).toString('hex')).toBe(createHmac('sha256', 'k').update('second').digest('hex'));
  });

  it('the SDK signer signs the same with it as with its own hash', async () => {
    const credentials = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret/key+abc', sessionToken: 'token' };
    const request = () => ({
      method: 'POST',
      protocol: 'https:',
      hostname: 'kinesis.us-east-1.amazonaws.com',
      path: '/',
      query: {},
      headers: { ':authority': 'kinesis.us-east-1.amazonaws.com', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.PutRecords' },
      body: Buffer.from('{"StreamName":"s","Records":[]}'),
    });
    const signingDate = new Date('2026-11-30T12:00:00Z');
    const sdk = await new KinesisClient({ region: 'us-east-1', credentials }).config.signer();
    const ours = await new KinesisClient({ region: 'us-east-1', credentials, sha256: Sha256 }).config.signer();
    for (let i = 0; i < 3; i++) {
      expect((await ours.sign(request(), { signingDate })).headers.authorization).toBe((await sdk.sign(request(), { signingDate })).headers.authorization);
    }
  });
});
