import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError, formatProblem } from '../../src/config/index.js';
import { find, problemsOf, tempConfigDir, warningsOf } from './helpers.js';

describe('rejections name the key and its position', () => {
  it('reports a YAML syntax error with its line and column', async () => {
    const problems = await problemsOf('flows:\n  - filePattern: "/a\n    kinesisStream: s\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/syntax error/);
    expect(problems[0]!.line).toBeGreaterThanOrEqual(2);
    expect(problems[0]!.column).toBeGreaterThan(0);
  });

  it('reports a JSON syntax error in agent.json', async () => {
    const problems = await problemsOf('{"flows": [{"filePattern": "/a", "kinesisStream": "s"}\n', 'agent.json');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]!.message).toMatch(/syntax error/);
    expect(problems[0]!.line).toBeDefined();
  });

  it('reports missing flows', async () => {
    const p = find(await problemsOf('cloudwatch.emitMetrics: false\n'), '');
    expect(p.message).toBe('has no `flows`');
    expect(p.hint).toMatch(/agent\.d/);
  });

  it('reports an empty flows list when no drop-in adds one', async () => {
    const p = find(await problemsOf('flows: []\n'), 'flows');
    expect(p.message).toMatch(/is empty/);
    expect(p.line).toBe(1);
  });

  it('reports an empty file', async () => {
    expect((await problemsOf(''))[0]!.message).toBe('is empty');
  });

  it('reports a flow without a destination', async () => {
    const p = find(await problemsOf('flows:\n  - filePattern: /a\n'), 'flows[0]');
    expect(p.message).toBe('has no destination');
    expect(p).toMatchObject({ line: 2, column: 5 });
  });

  it('reports maxBufferSizeRecords over 500 with the range', async () => {
    const problems = await problemsOf('flows:\n  - filePattern: /a\n    kinesisStream: s\n  - filePattern: /b\n    kinesisStream: t\n    maxBufferSizeRecords: 900\n');
    const p = find(problems, 'flows[1].maxBufferSizeRecords');
    expect(p).toMatchObject({ line: 6, column: 27, message: '900 is over the maximum 500' });
    expect(p.hint).toMatch(/1\.\.500/);
    expect(formatProblem(p)).toMatch(/agent\.yaml:6:27 flows\[1\]\.maxBufferSizeRecords: 900 is over the maximum 500 \(hint: /);
  });

  it('applies the Firehose byte range to a deliveryStream flow', async () => {
    const p = find(await problemsOf('flows: [{filePattern: /a, deliveryStream: d, maxBufferSizeBytes: 5242880}]\n'), 'flows[0].maxBufferSizeBytes');
    expect(p.message).toBe('5242880 is over the maximum 4194304');
    // The same value is fine for a Streams flow (PutRecords takes 5 MiB).
    expect(await problemsOf('flows: [{filePattern: /a, kinesisStream: s, maxBufferSizeBytes: 5242880}]\n')).toEqual([]);
  });

  it('reports an unknown initialPosition', async () => {
    const p = find(await problemsOf('flows: [{filePattern: /a, kinesisStream: s, initialPosition: START_OF_FLIE}]\n'), 'flows[0].initialPosition');
    expect(p.message).toMatch(/`START_OF_FLIE` is not one of START_OF_FILE, END_OF_FILE/);
    expect(p.hint).toBe('did you mean `START_OF_FILE`?');
  });

  it('reports an unknown optionName, listing the valid ones', async () => {
    const p = find(
      await problemsOf('flows:\n  - filePattern: /a\n    kinesisStream: s\n    dataProcessingOptions:\n      - optionName: CSVTOJSN\n'),
      'flows[0].dataProcessingOptions[0].optionName',
    );
    expect(p.message).toMatch(/valid: SINGLELINE, CSVTOJSON, LOGTOJSON, JSON, ADDMETADATA, ADDEC2METADATA, ADDBRACKETS/);
    expect(p.hint).toBe('did you mean `CSVTOJSON`?');
    expect(p).toMatchObject({ line: 5, column: 21 });
  });

  it('reports an invalid regular expression', async () => {
    const problems = await problemsOf(
      'flows:\n  - filePattern: /a\n    kinesisStream: s\n    multiLineStartPattern: "^(\\\\d+"\n    dataProcessingOptions:\n      - {optionName: LOGTOJSON, logFormat: SYSLOG, matchPattern: "[a-"}\n',
    );
    expect(find(problems, 'flows[0].multiLineStartPattern').message).toMatch(/not a valid regular expression/);
    expect(find(problems, 'flows[0].multiLineStartPattern').line).toBe(4);
    expect(find(problems, 'flows[0].dataProcessingOptions[0].matchPattern').message).toMatch(/not a valid regular expression/);
  });

  it('warns about a misspelt key with did-you-mean and ignores it, as the Kinesis Agent ignores unknown keys', () => {
    const warnings = warningsOf('cloudwatch:\n  emitMetric: false\nflows:\n  - filePattern: /a\n    kinesisStream: s\n    maxBufferSizeRecrods: 100\n');
    expect(warnings).toContain('agent.yaml:6:5 flows[0].maxBufferSizeRecrods: is not a known key and is ignored (hint: did you mean `maxBufferSizeRecords`?)');
    expect(warnings).toContain('agent.yaml:2:3 cloudwatch.emitMetric: is not a known key and is ignored (hint: did you mean `cloudwatch.emitMetrics`?)');
  });

  it('reports a key given both dotted and nested', async () => {
    const p = find(await problemsOf('kinesis:\n  endpoint: a.example\nkinesis.endpoint: b.example\nflows: [{filePattern: /a, kinesisStream: s}]\n'), 'kinesis.endpoint');
    expect(p.message).toMatch(/given twice/);
    expect(p.line).toBe(3);
  });

  it('reports a LOGTOJSON matchPattern that nothing names', async () => {
    const p = find(
      await problemsOf('flows: [{filePattern: /a, kinesisStream: s, dataProcessingOptions: [{optionName: LOGTOJSON, logFormat: COMMONAPACHELOG, matchPattern: "^(\\\\S+)"}]}]\n'),
      'flows[0].dataProcessingOptions[0].matchPattern',
    );
    expect(p.message).toMatch(/no named groups/);
  });

  it('reports CSVTOJSON without customFieldNames, and warns about keys an option does not take', async () => {
    const problems = await problemsOf('flows: [{filePattern: /a, kinesisStream: s, dataProcessingOptions: [{optionName: CSVTOJSON}]}]\n');
    expect(find(problems, 'flows[0].dataProcessingOptions[0]').message).toMatch(/needs `customFieldNames`/);
    const warnings = warningsOf('flows: [{filePattern: /a, kinesisStream: s, dataProcessingOptions: [{optionName: SINGLELINE, jsonFormat: COMPACT}]}]\n');
    expect(warnings).toEqual([expect.stringMatching(/flows\[0\]\.dataProcessingOptions\[0\]\.jsonFormat: is not a known key and is ignored \(hint: SINGLELINE takes parseOptions/)]);
  });

  it('reports a wrongly typed value', async () => {
    const problems = await problemsOf('cloudwatch.emitMetrics: maybe\nflows: [{filePattern: /a, kinesisStream: s, skipHeaderLines: lots, maxInFlightRequests: 65}]\n');
    expect(find(problems, 'cloudwatch.emitMetrics').message).toMatch(/expects true or false/);
    expect(find(problems, 'flows[0].skipHeaderLines').message).toMatch(/expects a whole number/);
    expect(find(problems, 'flows[0].maxInFlightRequests').message).toBe('65 is over the maximum 64');
  });

  it('reports a partition key on a Firehose flow and aggregation there', async () => {
    const problems = await problemsOf('flows: [{filePattern: /a, deliveryStream: d, partitionKey: {constant: x}, aggregation: true}]\n');
    expect(find(problems, 'flows[0].partitionKey.constant').message).toMatch(/Kinesis Data Streams flows only/);
    expect(find(problems, 'flows[0].aggregation').message).toMatch(/Kinesis Data Streams flows only/);
  });

  it('reports several problems at once, one per line in the error message', async () => {
    const t = await tempConfigDir({
      'agent.yaml': `kinesis.endpoint: ftp://x
flows:
  - filePattern: /a
    kinesisStream: s
    maxBufferSizeRecords: 900
  - filePattern: /b
    initialPosition: MIDDLE
  - filePattern: /c
    kinesisStream: c
    dataProcessingOptions: [{optionName: NOPE}]
`,
    });
    try {
      const err = await loadConfig(t.path('agent.yaml'), { env: {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.code).toBe('CONFIG_INVALID');
      const paths = e.problems.map((p) => p.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'kinesis.endpoint',
          'flows[0].maxBufferSizeRecords',
          'flows[1].initialPosition',
          'flows[1]',
          'flows[2].dataProcessingOptions[0].optionName',
        ]),
      );
      const lines = e.message.split('\n');
      expect(lines).toHaveLength(e.problems.length);
      for (const line of lines) expect(line).toMatch(/^\/.*agent\.yaml:\d+:\d+ \S+: /);
    } finally {
      await t.cleanup();
    }
  });

  it('reports a config file that does not exist', async () => {
    const err = await loadConfig('/nonexistent/agent.yaml', { env: {} }).catch((e: unknown) => e as ConfigError) as ConfigError;
    expect(err.problems[0]!.message).toMatch(/does not exist/);
  });
});

describe('problem order', () => {
  it('lists problems top to bottom, whatever order they were found in', async () => {
    const problems = await problemsOf('flows:\n  - filePattern: []\n    kinesisStream: s\n    maxBufferSizeRecords: 0\ncheckpointTimeToLiveDays: 0\n');
    expect(problems.map((p) => p.line)).toEqual([2, 4, 5]);
    expect(problems[0]!.message).toBe('is an empty list');
  });
});

describe('shapes', () => {
  it('reports flows written as a map instead of a list', async () => {
    const problems = await problemsOf('flows:\n  filePattern: /a\n  kinesisStream: s\n');
    expect(problems).toHaveLength(1);
    expect(find(problems, 'flows').message).toBe('expects a list of flows, got a map');
  });

  it('reports dataProcessingOptions written as a map instead of a list', async () => {
    const problems = await problemsOf('flows:\n  - filePattern: /a\n    kinesisStream: s\n    dataProcessingOptions: {optionName: SINGLELINE}\n');
    expect(find(problems, 'flows[0].dataProcessingOptions').message).toMatch(/expects a list of processing options/);
  });
});
