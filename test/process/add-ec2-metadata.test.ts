import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { resolveImdsEndpoint } from '../../src/process/index.js';
import { metadataTimestamp } from '../../src/process/add-ec2-metadata.js';
import { capturingLogger, chainOf, type Run } from './helpers.js';
import { FakeImds } from './fake-imds.js';

const EC2_KEYS = ['privateIp', 'availabilityZone', 'instanceId', 'instanceType', 'accountId', 'amiId', 'region', 'metadataTimestamp'];

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ADDEC2METADATA', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  async function withImds(imds: FakeImds, opts: { tags?: boolean; ttl?: number; pretty?: boolean } = {}, log = capturingLogger('debug')): Promise<Run> {
    await imds.start();
    cleanup.push(() => imds.stop());
    const run = chainOf(
      [{ optionName: 'ADDEC2METADATA', metadataTTL: opts.ttl ?? 3600, tags: opts.tags ?? false, jsonFormat: opts.pretty ? 'PRETTYPRINT' : 'COMPACT' }],
      log.log,
      imds.endpoint,
    );
    cleanup.push(() => run.chain.close());
    await run.chain.ready();
    return run;
  }

  it('fetches with an IMDSv2 token and appends the instance fields in the agent\'s order', async () => {
    const imds = new FakeImds();
    const run = await withImds(imds);
    const out = JSON.parse(run.text('{"msg":"hello","n":12345678901234567890}\n')!) as Record<string, string>;
    expect(Object.keys(out)).toEqual(['msg', 'n', ...EC2_KEYS]);
    expect(out).toMatchObject({
      privateIp: '10.0.1.23',
      availabilityZone: 'eu-west-1a',
      instanceId: 'i-0123456789abcdef0',
      instanceType: 'm5.large',
      accountId: '123456789012',
      amiId: 'ami-0abcdef1234567890',
      region: 'eu-west-1',
    });
    expect(out.metadataTimestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$/);
    expect(run.text('{"n":12345678901234567890}\n')).toContain('"n":12345678901234567890,');
    expect(imds.requests[0]).toMatchObject({ method: 'PUT', url: '/latest/api/token' });
    expect(imds.requests.filter((r) => r.method === 'GET').every((r) => r.token === 'token-1')).toBe(true);
  });

  it('adds the instance tags, keys lower-cased, when tags is on', async () => {
    const run = await withImds(new FakeImds({ tags: { Name: 'web-1', Team: 'Platform' } }), { tags: true });
    const out = JSON.parse(run.text('{"a":1}\n')!) as Record<string, unknown>;
    expect(out.tags).toEqual({ name: 'web-1', team: 'Platform' });
    expect(Object.keys(out).at(-1)).toBe('tags');
  });

  it('warns once and adds empty tags when the instance does not expose tags', async () => {
    const cap = capturingLogger('debug');
    const run = await withImds(new FakeImds(), { tags: true }, cap);
    expect(JSON.parse(run.text('{"a":1}\n')!)).toMatchObject({ tags: {} });
    expect(cap.lines().filter((l) => l.level === 'warn' && String(l.msg).includes('tags'))).toHaveLength(1);
  });

  it('overwrites a field the record already has, in place', async () => {
    const run = await withImds(new FakeImds());
    const out = JSON.parse(run.text('{"region":"old","x":1}\n')!) as Record<string, string>;
    expect(Object.keys(out).slice(0, 2)).toEqual(['region', 'x']);
    expect(out.region).toBe('eu-west-1');
  });

  it('works against an IMDSv1-only service', async () => {
    const run = await withImds(new FakeImds({ v1Only: true }));
    expect(JSON.parse(run.text('{}\n')!)).toMatchObject({ instanceId: 'i-0123456789abcdef0' });
  });

  it('sends a record that is not a JSON object unconverted and counts a processing error', async () => {
    const run = await withImds(new FakeImds());
    expect(run.text('plain text\n')).toBe('plain text\n');
    expect(run.metrics.processingErrors).toBe(1);
  });

  it('refreshes in the background every metadataTTL seconds', async () => {
    const imds = new FakeImds();
    const run = await withImds(imds, { ttl: 1 });
    expect(JSON.parse(run.text('{}\n')!)).toMatchObject({ instanceType: 'm5.large' });
    imds.identity = { ...imds.identity, instanceType: 'm5.xlarge' };
    await until(() => (JSON.parse(run.text('{}\n')!) as { instanceType: string }).instanceType === 'm5.xlarge', 'refreshed metadata');
  });

  it('passes records through with one warning when nothing answers (off EC2)', async () => {
    const port = await freePort();
    const cap = capturingLogger('debug');
    const run = chainOf([{ optionName: 'ADDEC2METADATA', metadataTTL: 3600, tags: true, jsonFormat: 'COMPACT' }], cap.log, `http://127.0.0.1:${port}`);
    cleanup.push(() => run.chain.close());
    await run.chain.ready();
    const input = Buffer.from('{"a":1}\n');
    for (let i = 0; i < 100; i++) expect(run.chain.process(input)).toBe(input);
    expect(run.text('not json\n')).toBe('not json\n');
    expect(run.metrics.processingErrors).toBe(0);
    const warnings = cap.lines().filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!.msg)).toContain('pass through unchanged');
  });

  it('pretty prints the merged record', async () => {
    const run = await withImds(new FakeImds(), { pretty: true });
    const out = run.text('{"a":[1,2]}\n')!;
    expect(out.startsWith('{\n  "a" : [ 1, 2 ],\n  "privateIp" : "10.0.1.23",\n')).toBe(true);
    expect(out.endsWith('\n}\n')).toBe(true);
  });

  it('takes the endpoint from the context, then AWS_EC2_METADATA_SERVICE_ENDPOINT, then the link-local default', () => {
    const saved = { url: process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT, mode: process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE };
    try {
      process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = 'http://127.0.0.1:9/';
      expect(resolveImdsEndpoint('http://127.0.0.1:1234/')).toBe('http://127.0.0.1:1234');
      expect(resolveImdsEndpoint()).toBe('http://127.0.0.1:9');
      delete process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
      delete process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE;
      expect(resolveImdsEndpoint()).toBe('http://169.254.169.254');
      process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE = 'IPv6';
      expect(resolveImdsEndpoint()).toBe('http://[fd00:ec2::254]');
    } finally {
      for (const [k, v] of [['AWS_EC2_METADATA_SERVICE_ENDPOINT', saved.url], ['AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE', saved.mode]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('makes no request at all when AWS_EC2_METADATA_DISABLED is true and no endpoint is given', async () => {
    const saved = { disabled: process.env.AWS_EC2_METADATA_DISABLED, endpoint: process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT };
    const imds = await new FakeImds().start();
    cleanup.push(() => imds.stop());
    try {
      process.env.AWS_EC2_METADATA_DISABLED = 'true';
      // Even a bug would stay on loopback.
      process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = imds.endpoint;
      const run = chainOf([{ optionName: 'ADDEC2METADATA', metadataTTL: 3600, tags: false, jsonFormat: 'COMPACT' }]);
      cleanup.push(() => run.chain.close());
      await run.chain.ready();
      expect(run.text('{"a":1}\n')).toBe('{"a":1}\n');
      expect(imds.requests).toHaveLength(0);
    } finally {
      for (const [k, v] of [['AWS_EC2_METADATA_DISABLED', saved.disabled], ['AWS_EC2_METADATA_SERVICE_ENDPOINT', saved.endpoint]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe('ADDEC2METADATA metadataTimestamp', () => {
  /** Runs `fn` with the process in another time zone (Node re-reads TZ when it is assigned). */
  function inZone<T>(tz: string, fn: () => T): T {
    const saved = process.env.TZ;
    process.env.TZ = tz;
    try {
      return fn();
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  }
  const noonUtc = new Date(Date.UTC(2024, 4, 1, 12, 0, 0, 987));

  it('is the host\'s local time with its offset, as SimpleDateFormat("yyyy-MM-dd\'T\'HH:mm:ssZ") writes it in the JVM default zone', () => {
    expect(inZone('UTC', () => metadataTimestamp(noonUtc))).toBe('2024-05-01T12:00:00+0000');
    expect(inZone('Asia/Kolkata', () => metadataTimestamp(noonUtc))).toBe('2024-05-01T17:30:00+0530');
    expect(inZone('America/Los_Angeles', () => metadataTimestamp(noonUtc))).toBe('2024-05-01T05:00:00-0700');
    expect(inZone('America/St_Johns', () => metadataTimestamp(new Date(Date.UTC(2024, 0, 1, 0, 0, 0))))).toBe('2023-12-31T20:30:00-0330');
  });
});
