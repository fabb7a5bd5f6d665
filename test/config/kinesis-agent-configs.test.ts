/**
 * Configurations shaped like the Kinesis Agent's own (its shipped
 * configuration/release/aws-kinesis-agent.json, configuration/example/agent.json,
 * the examples of its README and AWS guide), written here with our own
 * values: each must load, with the meaning the Kinesis Agent gives it.
 */
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText, type AgentConfig } from '../../src/config/index.js';
import { chainOf } from '../process/helpers.js';
import { tempConfigDir, warningsOf } from './helpers.js';
import { checkConfig } from '../../src/config/index.js';

// A region in the environment, so that the warnings under test are the only ones (no us-east-1 fallback warning).
const REGION_ENV = { AWS_REGION: 'us-east-1' };
const load = (text: string, env: NodeJS.ProcessEnv = {}): AgentConfig => parseConfigText(text, 'agent.json', { env: { ...REGION_ENV, ...env } });

describe('the Kinesis Agent\'s shipped and example configurations', () => {
  it('its default config: empty kinesis.endpoint and firehose.endpoint mean the default endpoints', () => {
    const c = load(`{
      "cloudwatch.emitMetrics": true,
      "kinesis.endpoint": "",
      "firehose.endpoint": "",
      "flows": [
        { "filePattern": "/srv/shop/orders.log*", "kinesisStream": "shop-orders", "partitionKeyOption": "RANDOM" },
        { "filePattern": "/srv/shop/orders.log*", "deliveryStream": "shop-orders-archive" }
      ]
    }`);
    expect(c.kinesis.endpoint).toBeUndefined();
    expect(c.firehose.endpoint).toBeUndefined();
    expect(c.cloudwatch.emitMetrics).toBe(true);
    expect(c.flows.map((f) => f.destination)).toEqual([
      { kind: 'kinesis', streamName: 'shop-orders' },
      { kind: 'firehose', streamName: 'shop-orders-archive' },
    ]);
    expect(c.flows[0]!.partitionKey).toEqual({ kind: 'RANDOM' });
    expect(c.warnings).toEqual([]);
  });

  it('its example config: checkpoint file, endpoints, key pair, CSVTOJSON with a "\\\\t" delimiter and LOGTOJSON', () => {
    const c = load(String.raw`{
      "checkpointFile": "/tmp/shop-agent/checkpoints",
      "cloudwatch.emitMetrics": true,
      "cloudwatch.endpoint": "https://monitoring.eu-central-1.amazonaws.com",
      "kinesis.endpoint": "https://kinesis.eu-central-1.amazonaws.com",
      "awsAccessKeyId": "AKIDEXAMPLEKEY",
      "awsSecretAccessKey": "example/secret/key",
      "flows": [
        {
          "filePattern": "/srv/shop/metrics.tsv*",
          "initialPosition": "END_OF_FILE",
          "kinesisStream": "shop-metrics",
          "dataProcessingOptions": [{ "optionName": "CSVTOJSON", "customFieldNames": ["at", "name", "value"], "delimiter": "\\t" }]
        },
        {
          "filePattern": "/srv/shop/access.log*",
          "initialPosition": "START_OF_FILE",
          "kinesisStream": "shop-access",
          "dataProcessingOptions": [{ "optionName": "LOGTOJSON", "logFormat": "COMMONAPACHELOG" }]
        }
      ]
    }`);
    expect(c.checkpointFile).toBe('/tmp/shop-agent/checkpoints');
    expect(c.kinesis.endpoint).toBe('https://kinesis.eu-central-1.amazonaws.com');
    expect(c.credentials).toEqual({ accessKeyId: 'AKIDEXAMPLEKEY', secretAccessKey: 'example/secret/key' });
    const csv = chainOf(c.flows[0]!.dataProcessingOptions);
    expect(csv.text('2024-05-01T10:00:00Z\tcart.size\t3\n')).toBe('{"at":"2024-05-01T10:00:00Z","name":"cart.size","value":"3"}\n');
    const log = chainOf(c.flows[1]!.dataProcessingOptions);
    expect(JSON.parse(log.text('203.0.113.9 - alice [01/May/2024:10:00:00 +0000] "GET /cart HTTP/1.1" 200 512\n')!)).toMatchObject({ host: '203.0.113.9', authuser: 'alice', response: '200' });
  });

  it('the README\'s multi-line and header flow: multiLineStartPattern, skipHeaderLines, truncatedRecordTerminator, all numbers as text', () => {
    const c = load(String.raw`{
      "flows": [{
        "filePattern": "/srv/app/trace.log",
        "kinesisStream": "app-traces",
        "multiLineStartPattern": "^\\[TRACE-\\d+\\]",
        "skipHeaderLines": "1",
        "truncatedRecordTerminator": "<cut>\n",
        "maxBufferAgeMillis": "5000",
        "maxBufferSizeRecords": "0x64",
        "maxBufferSizeBytes": "010"
      }]
    }`);
    const f = c.flows[0]!;
    expect(f.multiLineStartPattern?.test('[TRACE-12] begin')).toBe(true);
    expect(f.skipHeaderLines).toBe(1);
    expect(f.truncatedRecordTerminator).toBe('<cut>\n');
    expect(f.maxBufferAgeMillis).toBe(5000);
    // Integer.decode, the Kinesis Agent's number converter: hexadecimal and octal text.
    expect(f.maxBufferSizeRecords).toBe(100);
    expect(f.maxBufferSizeBytes).toBe(8);
  });

  it('the AWS guide\'s LOGTOJSON with matchPattern and customFieldNames, chained after SINGLELINE', () => {
    const c = load(String.raw`{
      "flows": [{
        "filePattern": "/srv/web/access.log",
        "kinesisStream": "web",
        "dataProcessingOptions": [
          { "optionName": "SINGLELINE" },
          { "optionName": "LOGTOJSON", "logFormat": "COMMONAPACHELOG",
            "matchPattern": "^([\\d.]+) - - \\[([\\w:/]+).*\\] \"(\\d+)$",
            "customFieldNames": ["ip", "when", "status"] }
        ]
      }]
    }`);
    const run = chainOf(c.flows[0]!.dataProcessingOptions);
    expect(run.text('198.51.100.4 - - [01/May/2024:10:00:00 +0000] "404\n')).toBe('{"ip":"198.51.100.4","when":"01/May/2024:10:00:00","status":"404"}\n');
  });

  it('ADDEC2METADATA with its required logFormat (validated, no effect) and ADDMETADATA with timestamp "true"', () => {
    const c = load(`{
      "flows": [{
        "filePattern": "/srv/app/events.json",
        "deliveryStream": "app-events",
        "dataProcessingOptions": [
          { "optionName": "ADDEC2METADATA", "logFormat": "RFC3339SYSLOG", "metadataTTL": "600" },
          { "optionName": "ADDMETADATA", "timestamp": "true", "metadata": { "team": "checkout", "tier": 2 } }
        ]
      }]
    }`);
    expect(c.flows[0]!.dataProcessingOptions).toEqual([
      { optionName: 'ADDEC2METADATA', logFormat: 'RFC3339SYSLOG', metadataTTL: 600, tags: true, jsonFormat: 'COMPACT' },
      { optionName: 'ADDMETADATA', timestamp: true, metadata: { team: 'checkout', tier: 2 }, jsonFormat: 'COMPACT' },
    ]);
    expect(c.warnings).toEqual([expect.stringMatching(/^agent\.json:6:45 flows\[0\]\.dataProcessingOptions\[0\]\.logFormat: has no effect here: the Kinesis Agent requires it/)]);
  });
});

describe('what the Kinesis Agent accepts is accepted, with its meaning', () => {
  it('// and /* */ comments in JSON (Jackson ALLOW_COMMENTS), a URL in a string untouched, positions kept', () => {
    const text = `// shop agent
{
  /* where records go */
  "kinesis.endpoint": "https://kinesis.us-west-2.amazonaws.com", // regional
  "flows": [
    { "filePattern": "/srv/a.log", /* inline */ "kinesisStream": "a", "maxBufferSizeRecords": 250 // small batches
    }
  ],
  "bogus": 1
}`;
    const c = load(text);
    expect(c.kinesis.endpoint).toBe('https://kinesis.us-west-2.amazonaws.com');
    expect(c.flows[0]!.maxBufferSizeRecords).toBe(250);
    expect(c.warnings).toEqual(['agent.json:9:3 bogus: is not a known key and is ignored']);
  });

  it('a lone carriage return is a line break, as to Jackson: classic Mac line endings and a last line ending in CR load, line numbers counted', () => {
    const lines = ['{', '  "flows": [{"filePattern": "/a", "kinesisStream": "s",', '    "bogus": 1}]', '}'];
    for (const text of [lines.join('\r'), `${lines.join('\n')}\r`, `${lines.join('\r\n')}\r`]) {
      const c = load(text);
      expect(c.flows.map((f) => f.destination.streamName)).toEqual(['s']);
      expect(c.warnings).toEqual(['agent.json:3:5 flows[0].bogus: is not a known key and is ignored']);
    }
  });

  it('a flow with both deliveryStream and kinesisStream is a Firehose flow (FileFlowFactory tests deliveryStream first), kinesisStream ignored with a warning', () => {
    const c = load('{"flows": [{"filePattern": "/a",\n  "kinesisStream": "orders", "deliveryStream": "orders-archive"}]}');
    expect(c.flows[0]!.destination).toEqual({ kind: 'firehose', streamName: 'orders-archive' });
    expect(c.flows[0]!.id).toBe('firehose:orders-archive:/a');
    expect(c.warnings).toEqual([
      'agent.json:2:3 flows[0].kinesisStream: is ignored: `deliveryStream` is given too, and a flow sends to one destination, Firehose here as in the Kinesis Agent (hint: remove `kinesisStream`, or split it into two flows with the same filePattern)',
    ]);
  });

  it.each([
    ['skipHeaderLines', 'flow', -1, 0, /skips header lines only while the count is over 0/],
    ['minTimeBetweenFilePollsMillis', 'flow', 0, 1, /polls again without a pause/],
    ['shutdownTimeoutMillis', 'top', 0, 1, /does not wait for sends still running/],
  ] as const)('%s under our minimum, which the Kinesis Agent takes unchecked (%s key %j): read as %j with a warning saying why', (key, where, given, read, why) => {
    const flow: Record<string, unknown> = { filePattern: '/a', kinesisStream: 's' };
    const top: Record<string, unknown> = {};
    (where === 'flow' ? flow : top)[key] = String(given);
    const c = load(JSON.stringify({ ...top, flows: [flow] }));
    const value = where === 'flow' ? (c.flows[0] as unknown as Record<string, unknown>)[key] : (c as unknown as Record<string, unknown>)[key];
    expect(value).toBe(read);
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toContain(`${where === 'flow' ? 'flows[0].' : ''}${key}: ${given} is under the minimum ${read} and is read as ${read}`);
    expect(c.warnings[0]).toMatch(why);
  });

  it.each([
    ['connectionTimeoutMillis', 10_000],
    ['socketTimeoutMillis', 50_000],
  ] as const)('%s: 0, no timeout to the AWS SDK for Java, is read as the default %j with a warning; a negative value is still refused', (key, def) => {
    const c = load(JSON.stringify({ [key]: 0, flows: [{ filePattern: '/a', kinesisStream: 's' }] }));
    expect(c.connection[key]).toBe(def);
    expect(c.warnings).toEqual([expect.stringContaining(`${key}: 0 is read as the default ${def}: the Kinesis Agent's AWS SDK for Java takes 0 as no timeout`)]);
    expect(() => load(JSON.stringify({ [key]: -1, flows: [{ filePattern: '/a', kinesisStream: 's' }] }))).toThrow(/is under the minimum 1/);
  });

  it('booleans as its BooleanConverter reads them: true/false, yes/no, t/f, y/n, 1/0 in any case, quoted or not', () => {
    const emit = (v: string) => load(`{"cloudwatch.emitMetrics": ${v}, "flows": [{"filePattern": "/a", "kinesisStream": "s"}]}`).cloudwatch.emitMetrics;
    for (const v of ['true', '"true"', '"YES"', '"y"', '"T"', '1', '"1"']) expect(emit(v)).toBe(true);
    for (const v of ['false', '"False"', '"no"', '"N"', '"f"', '0', '"0"']) expect(emit(v)).toBe(false);
  });

  it('checkpoints.queryTimeoutSeconds and checkpoints.connectionTimeoutSeconds: accepted, no effect, said why', () => {
    const warnings = warningsOf('{"checkpoints.queryTimeoutSeconds": 30, "checkpoints.connectionTimeoutSeconds": "10", "flows": [{"filePattern": "/a", "kinesisStream": "s"}]}', 'agent.json');
    expect(warnings).toHaveLength(2);
    for (const w of warnings) expect(w).toMatch(/has no effect here: checkpoints are one file replaced atomically .* not a SQLite database/);
  });

  it('a key given twice: the last value wins, as in Jackson, with a warning naming both lines', () => {
    const c = load('{\n  "flows": [{"filePattern": "/a", "kinesisStream": "first"}],\n  "flows": [{"filePattern": "/b", "kinesisStream": "second",\n    "maxBufferAgeMillis": 2000, "maxBufferAgeMillis": 3000}]\n}');
    expect(c.flows.map((f) => f.destination.streamName)).toEqual(['second']);
    expect(c.flows[0]!.maxBufferAgeMillis).toBe(3000);
    expect(c.warnings).toEqual([
      'agent.json:4:33 flows[0].maxBufferAgeMillis: is given twice (also at line 4); the last value is used, as the Kinesis Agent uses it (hint: remove one of them)',
      'agent.json:3:3 flows: is given twice (also at line 2); the last value is used, as the Kinesis Agent uses it (hint: remove one of them)',
    ]);
  });

  it('unknown keys at every level are ignored with a warning and a did-you-mean', () => {
    const warnings = warningsOf('{"fancyFeature": 1, "flows": [{"filePattern": "/a", "kinesisStream": "s", "initialPositon": "START_OF_FILE", "dataProcessingOptions": [{"optionName": "SINGLELINE", "trim": false}]}]}', 'agent.json');
    expect(warnings.map((w) => w.replace(/^agent\.json:\d+:\d+ /, ''))).toEqual([
      'fancyFeature: is not a known key and is ignored',
      'flows[0].initialPositon: is not a known key and is ignored (hint: did you mean `initialPosition`?)',
      'flows[0].dataProcessingOptions[0].trim: is not a known key and is ignored (hint: SINGLELINE takes parseOptions; `trim` is not one of them)',
    ]);
  });

  it('a ${ in a regular expression is not an environment variable; elsewhere it is, and an unset one stays text', () => {
    const config = {
      flows: [{
        filePattern: '/a', kinesisStream: 's', name: 'orders-${STAGE}',
        multiLineStartPattern: '^[${}]+ ',
        dataProcessingOptions: [
          { optionName: 'CSVTOJSON', customFieldNames: ['a', 'b'], delimiter: '[;${}]' },
          { optionName: 'ADDMETADATA', metadata: { template: '${user}' } },
        ],
      }],
    };
    const c = load(JSON.stringify(config), { STAGE: 'prod', user: 'should-not-appear-in-regexes' });
    const f = c.flows[0]!;
    expect(f.id).toBe('orders-prod');
    expect(f.multiLineStartPattern?.source).toBe('^[${}]+ ');
    expect(f.multiLineStartPattern?.test('${ begin')).toBe(true);
    expect(f.dataProcessingOptions[0]).toMatchObject({ delimiter: '[;${}]' });
    expect(f.dataProcessingOptions[1]).toMatchObject({ metadata: { template: 'should-not-appear-in-regexes' } });
    expect(c.warnings).toEqual([]);
    const unset = load('{"flows": [{"filePattern": "/a", "kinesisStream": "s", "dataProcessingOptions": [{"optionName": "ADDMETADATA", "metadata": {"t": "${user}"}}]}]}');
    expect(unset.flows[0]!.dataProcessingOptions[0]).toMatchObject({ metadata: { t: '${user}' } });
    expect(unset.warnings).toEqual([expect.stringMatching(/metadata\.t: environment variable `user` is not set; the text is kept as written/)]);
  });

  it('agent.d/ files with keys besides flows: the flows are added, the other keys ignored with a warning', async () => {
    const t = await tempConfigDir({
      'agent.json': '{"flows": [{"filePattern": "/a", "kinesisStream": "a"}]}',
      'agent.d/extra.json': '{"cloudwatch.emitMetrics": false, "flows": [{"filePattern": "/b", "kinesisStream": "b"}]}',
      'agent.d/empty.json': '{"log.level": "debug"}',
    });
    try {
      const { config, problems } = await checkConfig(t.path('agent.json'), { env: REGION_ENV });
      expect(problems).toEqual([]);
      expect(config!.flows.map((f) => f.destination.streamName)).toEqual(['a', 'b']);
      expect(config!.cloudwatch.emitMetrics).toBe(true);
      expect(config!.warnings.map((w) => w.replace(/^\S*agent\.d\//, ''))).toEqual([
        'empty.json:1:2 log.level: is ignored in a drop-in file (hint: agent.d/ files add `flows`; agent-wide settings belong in the main config)',
        'empty.json:1:1 has no `flows` and adds none (hint: a drop-in file holds flows: [...])',
        'extra.json:1:2 cloudwatch.emitMetrics: is ignored in a drop-in file (hint: agent.d/ files add `flows`; agent-wide settings belong in the main config)',
      ]);
    } finally {
      await t.cleanup();
    }
  });
});

describe('agent.d/ as the Kinesis Agent reads it (Agent.readConfigurationDirectory)', () => {
  it('reads every file there, whatever its name, and skips one it cannot use with a warning instead of refusing to start', async () => {
    const t = await tempConfigDir({
      'agent.json': '{"flows": [{"filePattern": "/a", "kinesisStream": "a"}]}',
      'agent.d/app.conf': '{"flows": [{"filePattern": "/b", "kinesisStream": "b"}]}',
      'agent.d/nginx': '{"flows": [{"filePattern": "/c", "deliveryStream": "c"}]}',
      'agent.d/broken.json': '{"flows": [{"filePattern": "/d", "kinesisStream": "d"}',
      'agent.d/notes.txt': 'ship the nginx logs too',
      'agent.d/wrong.json': '{"flows": {"filePattern": "/e", "kinesisStream": "e"}}',
    });
    try {
      const { config, problems } = await checkConfig(t.path('agent.json'), { env: REGION_ENV });
      expect(problems).toEqual([]);
      expect(config!.flows.map((f) => f.destination.streamName)).toEqual(['a', 'b', 'c']);
      expect(config!.dropInFiles).toEqual([t.path('agent.d/app.conf'), t.path('agent.d/nginx')]);
      const skipped = config!.warnings.map((w) => w.replace(/^\S*agent\.d\//, '').replace(/ \(hint: .*$/, ''));
      expect(skipped).toEqual([
        expect.stringMatching(/^broken\.json:\d+:\d+ is not a config file and is skipped: YAML\/JSON syntax error/),
        'notes.txt:1:1 is not a config file and is skipped: expects a map with `flows`, got `ship the nginx logs too`',
        'wrong.json:1:11 is not a config file and is skipped: `flows` expects a list of flows, got a map',
      ]);
    } finally {
      await t.cleanup();
    }
  });

  it('still refuses a drop-in flow the Kinesis Agent refuses (a flow without filePattern)', async () => {
    const t = await tempConfigDir({
      'agent.json': '{"flows": [{"filePattern": "/a", "kinesisStream": "a"}]}',
      'agent.d/app.conf': '{"flows": [{"kinesisStream": "b"}]}',
    });
    try {
      const { config, problems } = await checkConfig(t.path('agent.json'), { env: REGION_ENV });
      expect(config).toBeUndefined();
      expect(problems.map((p) => `${basename(p.file)} ${p.path}`)).toEqual(['app.conf flows[0]']);
      expect(problems[0]!.message).toMatch(/filePattern/);
    } finally {
      await t.cleanup();
    }
  });
});

describe('processing options as the Kinesis Agent reads them', () => {
  const options = (entry: string) => load(`{"flows": [{"filePattern": "/a", "kinesisStream": "s", "dataProcessingOptions": [${entry}]}]}`).flows[0]!.dataProcessingOptions;

  it('SINGLELINE with parseOptions [NO_TRIM, ESCAPE_NEW_LINE]', () => {
    expect(options('{"optionName": "SINGLELINE", "parseOptions": ["NO_TRIM", "ESCAPE_NEW_LINE"]}')).toEqual([{ optionName: 'SINGLELINE', noTrim: true, escapeNewLine: true }]);
    expect(chainOf(options('{"optionName": "SINGLELINE", "parseOptions": ["ESCAPE_NEW_LINE"]}')).text('a\n  b\n')).toBe('a\\\\nb\n');
  });

  it('ADDMETADATA without metadata writes "metadata": null', () => {
    const opts = options('{"optionName": "ADDMETADATA"}');
    expect(opts).toEqual([{ optionName: 'ADDMETADATA', metadata: null, timestamp: false, jsonFormat: 'COMPACT' }]);
    expect(chainOf(opts).text('hi\n')).toBe('{"metadata":null,"data":"hi"}\n');
  });

  it('ADDMETADATA timestamp "yes" is false there (new Boolean(String)), so false here, with a warning', () => {
    const c = load('{"flows": [{"filePattern": "/a", "kinesisStream": "s", "dataProcessingOptions": [{"optionName": "ADDMETADATA", "timestamp": "yes"}]}]}');
    expect(c.flows[0]!.dataProcessingOptions[0]).toMatchObject({ timestamp: false });
    expect(c.warnings).toEqual([expect.stringMatching(/timestamp: `yes` is read as false, as the Kinesis Agent reads it/)]);
  });

  it('CSVTOJSON delimiter "|" is a Java regular expression: loaded as one, with a warning', () => {
    const c = load('{"flows": [{"filePattern": "/a", "kinesisStream": "s", "dataProcessingOptions": [{"optionName": "CSVTOJSON", "customFieldNames": ["a", "b", "c"], "delimiter": "|"}]}]}');
    expect(chainOf(c.flows[0]!.dataProcessingOptions).text('x|y\n')).toBe('{"a":"x","b":"|","c":"y"}\n');
    expect(c.warnings).toEqual([expect.stringMatching(/delimiter: `\|` is a regular expression, as in the Kinesis Agent, .*hint: write "\\\\\|"/)]);
  });
});
