import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';

describe('agent.example.yaml', () => {
  it('loads with the loader and means what its comments say', async () => {
    const path = fileURLToPath(new URL('../../agent.example.yaml', import.meta.url));
    // A region from the environment: without one, CloudWatch's region falls through the chain to us-east-1, with a warning.
    const c = await loadConfig(path, { env: { AWS_REGION: 'us-east-1' } });
    expect(c.warnings).toEqual([]);
    expect(c.kinesis).toEqual({ endpoint: 'https://kinesis.us-east-1.amazonaws.com', region: 'us-east-1' });
    expect(c.checkpointFile).toBe('/var/lib/kinesis-agent/checkpoints');
    expect(c.http).toEqual({ host: '127.0.0.1', port: 9090, unhealthyAfterMillis: 60_000 });
    expect(c.flows).toHaveLength(1);
    const f = c.flows[0]!;
    expect(f.id).toBe('app-logs');
    expect(f.destination).toEqual({ kind: 'kinesis', streamName: 'app-logs' });
    expect(f.filePatterns).toEqual(['/var/log/app/*.log']);
    expect(f.multiLineStartPattern?.test('2024-01-02 12:00:00 ERROR x')).toBe(true);
    expect(f.multiLineStartPattern?.test('\tat com.example.Foo')).toBe(false);
    expect(f.dataProcessingOptions).toEqual([{ optionName: 'LOGTOJSON', logFormat: 'COMBINEDAPACHELOG', jsonFormat: 'COMPACT' }]);
  });

  it('takes the stream and region from the environment when set', async () => {
    const path = fileURLToPath(new URL('../../agent.example.yaml', import.meta.url));
    const c = await loadConfig(path, { env: { AWS_REGION: 'eu-west-1', APP_STREAM: 'prod-app' } });
    expect(c.kinesis.region).toBe('eu-west-1');
    expect(c.flows[0]!.destination.streamName).toBe('prod-app');
  });
});
