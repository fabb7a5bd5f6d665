import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText, defaultConfigPath, ConfigError, DEFAULT_CHECKPOINT_FILE } from '../../src/config/index.js';
import { tempConfigDir } from './helpers.js';

const AGENT_JSON = `{
  "cloudwatch.emitMetrics": false,
  "kinesis.endpoint": "kinesis.us-west-2.amazonaws.com",
  "flows": [
    {
      "filePattern": "/var/log/app/app.log*",
      "kinesisStream": "app-stream",
      "initialPosition": "START_OF_FILE"
    }
  ]
}
`;

describe('loading a Kinesis Agent agent.json', () => {
  it('loads unchanged with the agent\'s defaults filled in', async () => {
    const t = await tempConfigDir({ 'agent.json': AGENT_JSON });
    try {
      const c = await loadConfig(t.path('agent.json'), { env: {} });
      expect(c.configFile).toBe(t.path('agent.json'));
      expect(c.cloudwatch).toEqual({ emitMetrics: false, region: 'us-east-1', namespace: 'AWSKinesisAgent', tagInstance: false, metricsBufferTimeMillis: 30_000 });
      expect(c.kinesis).toEqual({ endpoint: 'https://kinesis.us-west-2.amazonaws.com', region: 'us-west-2' });
      expect(c.checkpointFile).toBe(DEFAULT_CHECKPOINT_FILE);
      expect(c.checkpointTimeToLiveDays).toBe(7);
      expect(c.shutdownTimeoutMillis).toBe(10_000);
      expect(c.log).toEqual({ level: 'info', statusReportingPeriodSeconds: 30 });
      expect(c.http).toBeUndefined();
      expect(c.connection).toEqual({ connectionTimeoutMillis: 10_000, socketTimeoutMillis: 50_000, maxConnections: 50 });
      expect(c.warnings).toEqual([]);
      expect(c.flows).toHaveLength(1);
      const f = c.flows[0]!;
      expect(f).toMatchObject({
        id: 'kinesis:app-stream:/var/log/app/app.log*',
        index: 0,
        definedIn: t.path('agent.json'),
        filePatterns: ['/var/log/app/app.log*'],
        excludePatterns: [],
        destination: { kind: 'kinesis', streamName: 'app-stream' },
        initialPosition: 'START_OF_FILE',
        partitionKey: { kind: 'RANDOM' },
        aggregation: false,
        maxBufferAgeMillis: 60_000,
        maxBufferSizeRecords: 500,
        maxBufferSizeBytes: 5 * 1024 * 1024,
        minTimeBetweenFilePollsMillis: 100,
        maxTimeBetweenFileTrackerRefreshMillis: 10_000,
        retryInitialBackoffMillis: 100,
        retryMaxBackoffMillis: 10_000,
        publishQueueCapacity: 100,
        maxQueueBytes: 2 * 1024 * 1024,
        maxInFlightRequests: 8,
        skipHeaderLines: 0,
        truncatedRecordTerminator: '\n',
        dataProcessingOptions: [],
      });
      expect(f.multiLineStartPattern).toBeUndefined();
      expect(f.aggregatedRecordSizeBytes).toBeUndefined();
    } finally {
      await t.cleanup();
    }
  });

  it('applies Firehose\'s own byte limit to a deliveryStream flow', () => {
    const c = parseConfigText('flows: [{filePattern: /a/*.log, deliveryStream: fh}]', 'agent.yaml', { env: {} });
    expect(c.flows[0]!.destination).toEqual({ kind: 'firehose', streamName: 'fh' });
    expect(c.flows[0]!.id).toBe('firehose:fh:/a/*.log');
    expect(c.flows[0]!.maxBufferSizeBytes).toBe(4 * 1024 * 1024);
  });

  it('accepts agent keys that have no effect here, each with a warning saying why', () => {
    const c = parseConfigText(
      `{"maxSendingThreads": 100, "useHttpGzip": true, "log.file": "/var/log/x.log", "userDefinedCredentialsProvider.classname": "a.B",
        "flows": [{"filePattern": "/a", "kinesisStream": "s", "waitOnFullPublishQueueMillis": 5000}]}`,
      'agent.json',
      { env: {} },
    );
    expect(c.warnings.join('\n')).toMatch(/maxSendingThreads has no effect here/);
    expect(c.warnings.join('\n')).toMatch(/useHttpGzip has no effect here/);
    expect(c.warnings.join('\n')).toMatch(/log\.file has no effect here/);
    expect(c.warnings.join('\n')).toMatch(/userDefinedCredentialsProvider\.classname has no effect here/);
    expect(c.warnings.join('\n')).toMatch(/flows\[0\]\.waitOnFullPublishQueueMillis has no effect here/);
    // As in the agent, more sending threads mean more connections by default.
    expect(c.connection.maxConnections).toBe(100);
  });

  it('reads credentials, STS, proxy and the status server', () => {
    const c = parseConfigText(
      `awsAccessKeyId: AK
awsSecretAccessKey: SK
awsSessionToken: ST
assumeRoleARN: arn:aws:iam::123456789012:role/r
assumeRoleExternalId: ext
sts.endpoint: sts.eu-west-1.amazonaws.com
proxy: http://proxy.local:3128
log.level: DEBUG
http:
  listen: ":9090"
flows: [{filePattern: /a, kinesisStream: s}]
`,
      'agent.yaml',
      { env: {} },
    );
    expect(c.credentials).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'ST', assumeRoleARN: 'arn:aws:iam::123456789012:role/r', assumeRoleExternalId: 'ext' });
    expect(c.sts).toEqual({ endpoint: 'https://sts.eu-west-1.amazonaws.com' });
    expect(c.proxy).toBe('http://proxy.local:3128');
    expect(c.log.level).toBe('debug');
    expect(c.http).toEqual({ host: '127.0.0.1', port: 9090, unhealthyAfterMillis: 60_000 });
  });
});

describe('regions', () => {
  it('takes an explicit region over the endpoint host', () => {
    const c = parseConfigText('kinesis.region: eu-central-1\nkinesis.endpoint: kinesis.us-west-2.amazonaws.com\nflows: [{filePattern: /a, kinesisStream: s}]', 'a.yaml', { env: {} });
    expect(c.kinesis.region).toBe('eu-central-1');
  });

  it('resolves each flow\'s region once: AWS_REGION, then AWS_DEFAULT_REGION, then the profile, then us-east-1 with a warning', async () => {
    const text = 'kinesis.endpoint: http://127.0.0.1:4567\nflows: [{filePattern: /a, kinesisStream: s}]';
    const region = (env: NodeJS.ProcessEnv) => parseConfigText(text, 'a.yaml', { env }).flows[0]!.region;
    expect(region({ AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'eu-west-1' })).toBe('ap-south-1');
    expect(region({ AWS_DEFAULT_REGION: 'eu-west-1' })).toBe('eu-west-1');
    const dir = await mkdtemp(join(tmpdir(), 'ka-profile-'));
    const file = join(dir, 'config');
    await writeFile(file, '[default]\nregion = us-west-1\n[profile shipper]\nregion=eu-north-1 # ours\n');
    expect(region({ AWS_CONFIG_FILE: file })).toBe('us-west-1');
    expect(region({ AWS_CONFIG_FILE: file, AWS_PROFILE: 'shipper' })).toBe('eu-north-1');
    await rm(dir, { recursive: true });
    const c = parseConfigText(text, 'a.yaml', { env: { HOME: '/nonexistent' } });
    // Only what the config says stays at agent level; the chain's answer is the flow's and CloudWatch's.
    expect(c.kinesis).toEqual({ endpoint: 'http://127.0.0.1:4567' });
    expect(c.flows[0]!).toMatchObject({ endpoint: 'http://127.0.0.1:4567', region: 'us-east-1' });
    expect(c.cloudwatch.region).toBe('us-east-1');
    expect(c.warnings.join('\n')).toMatch(/no region is configured.*using us-east-1, as the Kinesis Agent does/);
  });

  it('takes the region from a stream ARN when no endpoint or region says otherwise, and accepts ARNs for both destinations', () => {
    const arn = 'arn:aws:kinesis:eu-west-3:111122223333:stream/orders';
    const fh = 'arn:aws-cn:firehose:cn-north-1:111122223333:deliverystream/clicks';
    const c = parseConfigText(`flows:\n  - {filePattern: /a, kinesisStream: "${arn}"}\n  - {filePattern: /b, deliveryStream: "${fh}"}\n`, 'a.yaml', { env: { AWS_REGION: 'us-east-2' } });
    expect(c.flows[0]!.destination).toMatchObject({ kind: 'kinesis', streamName: 'orders', arn: { text: arn, region: 'eu-west-3', account: '111122223333' } });
    expect(c.flows[0]!.region).toBe('eu-west-3');
    expect(c.flows[0]!.id).toBe(`kinesis:${arn}:/a`);
    expect(c.flows[1]!.destination).toMatchObject({ kind: 'firehose', streamName: 'clicks' });
    expect(c.flows[1]!.region).toBe('cn-north-1');
    // An agent endpoint decides the region over the ARN (the endpoint is where requests are signed for).
    const viaEndpoint = parseConfigText(`kinesis.endpoint: https://kinesis.us-west-2.amazonaws.com\nflows: [{filePattern: /a, kinesisStream: "${arn}"}]`, 'a.yaml', { env: {} });
    expect(viaEndpoint.flows[0]!.region).toBe('us-west-2');
    expect(() => parseConfigText('flows: [{filePattern: /a, kinesisStream: "arn:aws:firehose:us-east-1:111122223333:deliverystream/x"}]', 'a.yaml', { env: {} })).toThrow(
      /is not a Kinesis stream ARN/,
    );
  });

  it('lets a flow name its own endpoint and region', () => {
    const c = parseConfigText('flows: [{filePattern: /a, kinesisStream: s, kinesis.endpoint: kinesis.sa-east-1.amazonaws.com}]', 'a.yaml', { env: {} });
    expect(c.flows[0]!.endpoint).toBe('https://kinesis.sa-east-1.amazonaws.com');
    expect(c.flows[0]!.region).toBe('sa-east-1');
  });
});

describe('dotted and nested keys', () => {
  it('mean the same at top level and inside flows', () => {
    const dotted = parseConfigText(
      `kinesis.endpoint: http://127.0.0.1:4567
cloudwatch.emitMetrics: false
cloudwatch.namespace: Mine
flows:
  - filePattern: /a
    kinesisStream: s
    partitionKey.field: user
    kinesis.region: eu-west-1
`,
      'a.yaml',
      { env: {} },
    );
    const nested = parseConfigText(
      `kinesis:
  endpoint: http://127.0.0.1:4567
cloudwatch:
  emitMetrics: false
  namespace: Mine
flows:
  - filePattern: /a
    kinesisStream: s
    partitionKey: {field: user}
    kinesis: {region: eu-west-1}
`,
      'a.yaml',
      { env: {} },
    );
    expect(nested).toEqual(dotted);
    expect(nested.flows[0]!.partitionKey).toEqual({ kind: 'FIELD', field: 'user' });
    expect(nested.flows[0]!.region).toBe('eu-west-1');
  });
});

describe('environment substitution', () => {
  it('replaces ${VAR} and ${VAR:-default} in string values, numbers included', () => {
    const c = parseConfigText(
      `kinesis.endpoint: \${ENDPOINT}
flows:
  - filePattern: \${LOG_DIR:-/var/log}/*.log
    kinesisStream: \${STREAM}-\${STAGE:-dev}
    maxBufferSizeRecords: \${BATCH:-250}
    name: literal-$\${NOT_A_VAR}
`,
      'a.yaml',
      { env: { ENDPOINT: 'http://127.0.0.1:1234', STREAM: 'orders' } },
    );
    expect(c.kinesis.endpoint).toBe('http://127.0.0.1:1234');
    expect(c.flows[0]!.filePatterns).toEqual(['/var/log/*.log']);
    expect(c.flows[0]!.destination.streamName).toBe('orders-dev');
    expect(c.flows[0]!.maxBufferSizeRecords).toBe(250);
    expect(c.flows[0]!.id).toBe('literal-${NOT_A_VAR}');
  });

  it('keeps an unset variable without default as written and warns, naming the key', () => {
    const c = parseConfigText('flows:\n  - filePattern: /a\n    kinesisStream: s\n    name: ${STREAM}\n', 'a.yaml', { env: { AWS_REGION: 'us-east-1' } });
    expect(c.flows[0]!.id).toBe('${STREAM}');
    expect(c.warnings).toEqual(['a.yaml:4:11 flows[0].name: environment variable `STREAM` is not set; the text is kept as written (hint: set STREAM in the agent\'s environment, give a default (${STREAM:-value}), or write $${ for a literal ${)']);
  });
});

describe('agent.d drop-ins', () => {
  it('adds flows from *.yaml, *.yml and *.json in name order', async () => {
    const t = await tempConfigDir({
      'agent.yaml': 'cloudwatch.emitMetrics: false\nflows: [{filePattern: /main/*.log, kinesisStream: main}]\n',
      'agent.d/20-b.json': '{"flows": [{"filePattern": "/b/*.log", "deliveryStream": "b"}]}',
      'agent.d/10-a.yml': 'flows:\n  - filePattern: /a/*.log\n    kinesisStream: a\n',
      'agent.d/30-c.yaml': 'flows: [{filePattern: c/*.log, kinesisStream: c, name: c-flow}]\n',
      'agent.d/README.txt': 'not a config',
    });
    try {
      const c = await loadConfig(t.path('agent.yaml'), { env: {} });
      expect(c.flows.map((f) => f.id)).toEqual(['kinesis:main:/main/*.log', 'kinesis:a:/a/*.log', 'firehose:b:/b/*.log', 'c-flow']);
      expect(c.flows.map((f) => f.index)).toEqual([0, 1, 2, 3]);
      expect(c.flows[1]!.definedIn).toBe(t.path('agent.d/10-a.yml'));
      // Relative patterns are relative to the file that names them.
      expect(c.flows[3]!.filePatterns).toEqual([t.path('agent.d/c/*.log')]);
      expect(c.dropInFiles).toEqual([t.path('agent.d/10-a.yml'), t.path('agent.d/20-b.json'), t.path('agent.d/30-c.yaml')]);
    } finally {
      await t.cleanup();
    }
  });

  it('lets drop-ins supply every flow when the main config has none', async () => {
    const t = await tempConfigDir({
      'agent.yaml': 'log.level: warn\n',
      'agent.d/app.yaml': 'flows: [{filePattern: /a, kinesisStream: a}]\n',
    });
    try {
      const c = await loadConfig(t.path('agent.yaml'), { env: {} });
      expect(c.flows).toHaveLength(1);
    } finally {
      await t.cleanup();
    }
  });

  it('ignores agent-wide keys in a drop-in with a warning, and rejects duplicate flow ids across files', async () => {
    const t = await tempConfigDir({
      'agent.yaml': 'flows: [{filePattern: /a, kinesisStream: a}]\n',
      'agent.d/x.yaml': 'log.level: debug\nflows: [{filePattern: /a, kinesisStream: a}]\n',
    });
    try {
      await expect(loadConfig(t.path('agent.yaml'), { env: {} })).rejects.toThrow(ConfigError);
      const err = await loadConfig(t.path('agent.yaml'), { env: {} }).catch((e: unknown) => e as ConfigError) as ConfigError;
      const paths = err.problems.map((p) => `${p.file.endsWith('x.yaml') ? 'x' : 'main'} ${p.path}`);
      expect(paths).toEqual(['x flows[1]']);
      expect(err.message).toMatch(/same id `kinesis:a:\/a`/);
    } finally {
      await t.cleanup();
    }
  });
});

describe('processing options', () => {
  it('validates each option into its typed form', () => {
    const c = parseConfigText(
      String.raw`{"flows": [{"filePattern": "/a", "kinesisStream": "s", "multiLineStartPattern": "(?i)^\\[SEQUENCE=",
        "dataProcessingOptions": [
          {"optionName": "SINGLELINE"},
          {"optionName": "CSVTOJSON", "customFieldNames": ["f1", "f2"], "delimiter": "\\t"},
          {"optionName": "LOGTOJSON", "logFormat": "COMMONAPACHELOG", "matchPattern": "^(?<host>\\S+)", "jsonFormat": "PRETTYPRINT"},
          {"optionName": "JSON", "fields": ["a"]},
          {"optionName": "ADDMETADATA", "metadata": {"env": "prod", "n": 1}, "timestamp": "true"},
          {"optionName": "ADDEC2METADATA", "metadataTTL": 60},
          {"optionName": "ADDBRACKETS"}
        ]}]}`,
      'agent.json',
      { env: {} },
    );
    const f = c.flows[0]!;
    expect(f.multiLineStartPattern?.test('[sequence=1')).toBe(true);
    const o = f.dataProcessingOptions;
    expect(o[0]).toEqual({ optionName: 'SINGLELINE' });
    // The delimiter stays the Java regular expression it was written as: backslash-t, a tab to the pattern.
    expect(o[1]).toEqual({ optionName: 'CSVTOJSON', customFieldNames: ['f1', 'f2'], delimiter: '\\t', quoted: false, jsonFormat: 'COMPACT' });
    expect(o[2]).toMatchObject({ optionName: 'LOGTOJSON', logFormat: 'COMMONAPACHELOG', jsonFormat: 'PRETTYPRINT' });
    expect((o[2] as { matchPattern: RegExp }).matchPattern.exec('1.2.3.4 x')?.groups?.host).toBe('1.2.3.4');
    expect(o[3]).toEqual({ optionName: 'JSON', fields: ['a'], jsonFormat: 'COMPACT' });
    expect(o[4]).toEqual({ optionName: 'ADDMETADATA', metadata: { env: 'prod', n: 1 }, timestamp: true, jsonFormat: 'COMPACT' });
    expect(o[5]).toEqual({ optionName: 'ADDEC2METADATA', metadataTTL: 60, tags: true, jsonFormat: 'COMPACT' });
    expect(o[6]).toEqual({ optionName: 'ADDBRACKETS' });
  });
});

describe('defaultConfigPath', () => {
  it('prefers agent.yaml, then the Kinesis Agent\'s agent.json if present', () => {
    expect(defaultConfigPath(() => false)).toBe('/etc/kinesis-agent/agent.yaml');
    expect(defaultConfigPath((p) => p === '/etc/aws-kinesis/agent.json')).toBe('/etc/aws-kinesis/agent.json');
    expect(defaultConfigPath(() => true)).toBe('/etc/kinesis-agent/agent.yaml');
  });
});

describe('per-destination keys', () => {
  it('warns about Streams-only and Firehose-only agent keys on the other destination', () => {
    const c = parseConfigText(
      'flows:\n  - {filePattern: /a, kinesisStream: s, aggregatedRecordSizeBytes: 5120}\n  - {filePattern: /b, deliveryStream: d, partitionKeyOption: DETERMINISTIC, aggregatedRecordSizeBytes: 5120}\n',
      'agent.yaml',
      { env: { AWS_REGION: 'us-east-1' } },
    );
    expect(c.warnings).toHaveLength(2);
    expect(c.warnings[0]).toMatch(/^agent\.yaml:2 flows\[0\]\.aggregatedRecordSizeBytes has no effect on a Kinesis Data Streams flow/);
    expect(c.warnings[1]).toMatch(/^agent\.yaml:3 flows\[1\]\.partitionKeyOption has no effect on a Firehose flow/);
    expect(c.flows[0]!.aggregatedRecordSizeBytes).toBeUndefined();
    expect(c.flows[1]!.aggregatedRecordSizeBytes).toBe(5120);
  });

  it("bounds a flow's queue at 2 MiB by default and an aggregating flow's at 6 MiB (a KPL call takes a third of what the queue holds); a given maxQueueBytes wins either way", () => {
    const c = parseConfigText(
      `flows:
  - {filePattern: /a/*.log, kinesisStream: s}
  - {filePattern: /b/*.log, kinesisStream: s, aggregation: true}
  - {filePattern: /c/*.log, kinesisStream: s, aggregation: true, maxQueueBytes: 8388608}
  - {filePattern: /d/*.log, kinesisStream: s, maxQueueBytes: 33554432}
`,
      'agent.yaml',
      { env: { AWS_REGION: 'us-east-1' } },
    );
    expect(c.flows.map((f) => [f.aggregation, f.maxQueueBytes])).toEqual([
      [false, 2 * 1024 * 1024],
      [true, 6 * 1024 * 1024],
      [true, 8 * 1024 * 1024],
      [false, 32 * 1024 * 1024],
    ]);
  });

  it('reads our partition keys, aggregation, exclusions and pattern lists', () => {
    const c = parseConfigText(
      `flows:
  - filePattern: [/a/*.log, /b/*.log]
    excludePatterns: /a/debug.log
    kinesisStream: s
    partitionKey: {constant: tenant-1}
    aggregation: true
    maxQueueBytes: 1048576
    maxInFlightRequests: 64
    skipHeaderLines: 1
    truncatedRecordTerminator: " [cut]"
    fileFooterPattern: "^END$"
`,
      'agent.yaml',
      { env: {} },
    );
    const f = c.flows[0]!;
    expect(f.filePatterns).toEqual(['/a/*.log', '/b/*.log']);
    expect(f.excludePatterns).toEqual(['/a/debug.log']);
    expect(f.id).toBe('kinesis:s:/a/*.log,/b/*.log');
    expect(f.partitionKey).toEqual({ kind: 'CONSTANT', value: 'tenant-1' });
    expect(f.aggregation).toBe(true);
    expect(f.maxQueueBytes).toBe(1048576);
    expect(f.maxInFlightRequests).toBe(64);
    expect(f.skipHeaderLines).toBe(1);
    expect(f.truncatedRecordTerminator).toBe(' [cut]');
    expect(f.fileFooterPattern?.test('END')).toBe(true);
  });

  it('reads DETERMINISTIC partition keys in any case, as the agent does', () => {
    const c = parseConfigText('{"flows": [{"filePattern": "/a", "kinesisStream": "s", "partitionKeyOption": "deterministic"}]}', 'agent.json', { env: {} });
    expect(c.flows[0]!.partitionKey).toEqual({ kind: 'DETERMINISTIC' });
  });
});

describe('http.listen', () => {
  const listen = (v: string) => parseConfigText(`http.listen: "${v}"\nflows: [{filePattern: /a, kinesisStream: s}]`, 'a.yaml', { env: {} }).http;
  it('defaults the host to loopback and accepts host:port and [v6]:port', () => {
    expect(listen('9090')).toMatchObject({ host: '127.0.0.1', port: 9090 });
    expect(listen(':0')).toMatchObject({ host: '127.0.0.1', port: 0 });
    expect(listen('0.0.0.0:80')).toMatchObject({ host: '0.0.0.0', port: 80 });
    expect(listen('[::1]:9090')).toMatchObject({ host: '::1', port: 9090 });
  });
  it('rejects what is not host:port', () => {
    expect(() => listen('localhost')).toThrow(/http\.listen: `localhost` is not host:port/);
    expect(() => listen('a:99999')).toThrow(ConfigError);
  });
});
