import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { regionFromInstanceMetadata } from '../../src/aws/region.js';
import { checkConfig } from '../../src/config/index.js';
import { profileRegion, resolveTarget, type DefaultRegion } from '../../src/config/region.js';

const chain: DefaultRegion = { region: 'sa-east-1', source: 'AWS_REGION' };
const arn = { text: 'arn:aws:kinesis:eu-west-3:1:stream/s', partition: 'aws', region: 'eu-west-3', account: '111122223333', name: 's' };

describe('the region chain', () => {
  it.each([
    ['the flow\'s region first', { flowRegion: 'ca-central-1', serviceRegion: 'us-west-2', arn }, 'ca-central-1'],
    ['the ARN\'s, with no endpoint anywhere', { serviceRegion: 'us-west-2', arn }, 'eu-west-3'],
    ['the agent\'s, when an endpoint is set (requests are signed for it)', { serviceEndpoint: 'http://127.0.0.1:1', serviceRegion: 'us-west-2', arn }, 'us-west-2'],
    ['the ARN\'s, when an endpoint without a region is set', { serviceEndpoint: 'http://127.0.0.1:1', arn }, 'eu-west-3'],
    ['the default chain last', {}, 'sa-east-1'],
  ])('takes %s', (_name, inputs, expected) => {
    const t = resolveTarget({ kind: 'kinesis', flowEndpoint: undefined, flowRegion: undefined, arn: undefined, serviceEndpoint: undefined, serviceRegion: undefined, defaultRegion: chain, ...inputs });
    expect(t.region).toBe(expected);
    expect(t.usedDefault).toBe(expected === 'sa-east-1');
  });

  it('reads a profile\'s region from shared-config text', () => {
    const text = '[default]\nregion = us-west-1\n\n[profile a]\n  region=eu-north-1 ; note\n[a]\nregion = wrong\n';
    expect(profileRegion(text, 'default')).toBe('us-west-1');
    expect(profileRegion(text, 'a')).toBe('eu-north-1');
    expect(profileRegion(text, 'missing')).toBeUndefined();
  });

  it('asks instance metadata (IMDSv2) only when the environment and the profile name no region', async () => {
    const seen: string[] = [];
    const imds = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.method === 'PUT' && req.url === '/latest/api/token') return res.end('tok');
      if (req.url === '/latest/meta-data/placement/region' && req.headers['x-aws-ec2-metadata-token'] === 'tok') return res.end('ap-southeast-2');
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => imds.listen(0, '127.0.0.1', () => r()));
    const dir = await mkdtemp(join(tmpdir(), 'ka-chain-'));
    try {
      const path = join(dir, 'agent.yaml');
      await writeFile(path, 'cloudwatch.emitMetrics: false\nflows: [{filePattern: /a, kinesisStream: s}]\n');
      const env = { HOME: dir, AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${(imds.address() as { port: number }).port}` };
      const onEc2 = await checkConfig(path, { env, instanceRegion: regionFromInstanceMetadata });
      expect(onEc2.config!.flows[0]!.region).toBe('ap-southeast-2');
      expect(onEc2.config!.defaultRegion).toEqual({ region: 'ap-southeast-2', source: 'instance metadata' });
      expect(onEc2.config!.warnings).toEqual([]);
      expect(seen).toEqual(['PUT /latest/api/token', 'GET /latest/meta-data/placement/region']);
      seen.length = 0;
      const withEnv = await checkConfig(path, { env: { ...env, AWS_REGION: 'eu-west-1' }, instanceRegion: regionFromInstanceMetadata });
      expect(withEnv.config!.flows[0]!.region).toBe('eu-west-1');
      expect(seen).toEqual([]);
    } finally {
      imds.close();
      await rm(dir, { recursive: true });
    }
  });
});
