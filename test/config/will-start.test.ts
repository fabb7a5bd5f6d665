import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/index.js';
import { ConfigError, parseConfigText, type AgentConfig } from '../../src/config/index.js';
import { main } from '../../src/cli/main.js';
import { silentLogger } from '../../src/log.js';
import { FlowEvents } from '../../src/events/flow-events.js';
import { ProcessStage } from '../../src/pipeline/process-stage.js';
import { createProcessorChain } from '../../src/process/index.js';
import { createDelivery, maxRecordBytes } from '../../src/sink/index.js';
import { FileSource } from '../../src/source/index.js';
import { allSampleEntries } from '../process/option-samples.js';
import { tempConfigDir } from './helpers.js';

/**
 * `validate` means "will start": whatever the config reader accepts, every
 * flow's processors, delivery and source can be built from.
 */
let store: CheckpointStore;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ka-will-start-'));
  store = await CheckpointStore.open(join(dir, 'checkpoints'), { ttlDays: 7, log: silentLogger() });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function buildEveryFlow(config: AgentConfig): Promise<void> {
  for (const flow of config.flows) {
    const metrics = new FlowEvents();
    const log = silentLogger();
    // A closed port: ADDEC2METADATA's first fetch fails at once, off EC2 as on it.
    const chain = createProcessorChain(flow.dataProcessingOptions, { metrics, log, ec2MetadataEndpoint: 'http://127.0.0.1:9' });
    const delivery = createDelivery({ flow, agent: config, metrics, log });
    new FileSource({ flow, store, sink: new ProcessStage(chain, delivery), metrics, log, maxRecordBytes: maxRecordBytes(flow.destination) });
    chain.close();
    await delivery.close(0);
  }
}

/** Whether one processing option entry loads on its own. */
function loads(entry: Record<string, unknown>): boolean {
  try {
    parseConfigText(JSON.stringify({ flows: [{ filePattern: '/a', kinesisStream: 's', dataProcessingOptions: [entry] }] }), 'agent.json', { env: {} });
    return true;
  } catch (err) {
    if (err instanceof ConfigError) return false;
    throw err;
  }
}
const ENTRIES = allSampleEntries();
const GOOD_ENTRIES = ENTRIES.filter(loads);

/** Values a flow key may take; the first ones load, the last one of some does not. */
const FLOW_VALUES: Record<string, unknown[]> = {
  initialPosition: ['START_OF_FILE', 'END_OF_FILE', 'middle'],
  partitionKeyOption: ['RANDOM', 'DETERMINISTIC'],
  aggregation: [true, 'no'],
  maxBufferSizeRecords: [1, 500, '250', 501],
  maxBufferAgeMillis: [1000, '60000', 10],
  multiLineStartPattern: ['^\\d{4}-', '(?i)^\\[', '^[${}]', '['],
  fileFooterPattern: ['^END$'],
  skipHeaderLines: [0, '2'],
  truncatedRecordTerminator: ['\n', ''],
  aggregatedRecordSizeBytes: [0, 4096],
  'kinesis.endpoint': ['', 'http://127.0.0.1:4567'],
  'firehose.endpoint': [''],
};

const flowArb = fc.record({
  dest: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom({ kinesisStream: 'orders' }, { deliveryStream: 'orders-fh' }) },
    { weight: 1, arbitrary: fc.constant({ kinesisStream: 'arn:aws:kinesis:us-east-1:123456789012:stream/x' }) },
  ),
  keys: fc.dictionary(fc.constantFrom(...Object.keys(FLOW_VALUES)), fc.nat(), { maxKeys: 3 }),
  options: fc.array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...GOOD_ENTRIES) }, { weight: 1, arbitrary: fc.constantFrom(...ENTRIES) }), { maxLength: 4 }),
});

const configArb = fc.record({
  flows: fc.array(flowArb, { minLength: 1, maxLength: 2 }),
  top: fc.dictionary(fc.constantFrom('kinesis.endpoint', 'firehose.endpoint', 'cloudwatch.emitMetrics', 'checkpoints.queryTimeoutSeconds', 'maxSendingThreads'), fc.constantFrom('', 'y', '0', 5, true), { maxKeys: 3 }),
}).map(({ flows, top }) =>
  JSON.stringify({
    ...top,
    flows: flows.map((f, i) => {
      const out: Record<string, unknown> = { filePattern: `/var/log/app${i}/*.log`, ...f.dest };
      for (const [k, n] of Object.entries(f.keys)) out[k] = FLOW_VALUES[k]![n % FLOW_VALUES[k]!.length];
      if (f.options.length > 0) out.dataProcessingOptions = f.options;
      return out;
    }),
  }),
);

describe('validate means "will start"', () => {
  it('builds every flow of any configuration the reader accepts, and accepts a good share of them', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(configArb, async (text) => {
        let config: AgentConfig;
        try {
          config = parseConfigText(text, 'agent.json', { env: {} });
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          return;
        }
        accepted++;
        await buildEveryFlow(config);
      }),
      { numRuns: 120 },
    );
    expect(accepted).toBeGreaterThan(5);
    expect(GOOD_ENTRIES.length).toBeGreaterThan(ENTRIES.length / 2);
  }, 120_000);

  it('refuses a LOGTOJSON customFieldNames that does not fit the format or the matchPattern groups: validate and run both exit 2', async () => {
    const t = await tempConfigDir({
      'format.json': JSON.stringify({ flows: [{ filePattern: '/a', kinesisStream: 's', dataProcessingOptions: [{ optionName: 'LOGTOJSON', logFormat: 'COMMONAPACHELOG', customFieldNames: ['host', 'when'] }] }] }),
      'groups.json': JSON.stringify({ flows: [{ filePattern: '/a', kinesisStream: 's', dataProcessingOptions: [{ optionName: 'LOGTOJSON', logFormat: 'SYSLOG', matchPattern: '^(\\S+) (\\S+)$', customFieldNames: ['a'] }] }] }),
    });
    const stderr = process.stderr.write.bind(process.stderr);
    const written: string[] = [];
    process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write;
    try {
      for (const name of ['format.json', 'groups.json']) {
        expect(await main(['validate', t.path(name)])).toBe(2);
        expect(await main(['run', '-c', t.path(name)])).toBe(2);
      }
    } finally {
      process.stderr.write = stderr;
      await t.cleanup();
    }
    expect(written.join('')).toMatch(/flows\[0\]\.dataProcessingOptions\[0\]\.customFieldNames: customFieldNames names 2 field\(s\) but COMMONAPACHELOG has 7/);
    expect(written.join('')).toMatch(/flows\[0\]\.dataProcessingOptions\[0\]\.matchPattern: matchPattern has 2 capturing group\(s\) but customFieldNames names 1/);
  });
});
