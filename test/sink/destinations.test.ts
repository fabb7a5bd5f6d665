import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/index.js';
import { destinationLabel } from '../../src/metrics/observed-flow.ts';
import { DESTINATION_LIST, maxRecordBytes } from '../../src/sink/index.ts';

/** The one flow of a config text, or the problems it has. */
function flowOf(flow: Record<string, unknown>, top: Record<string, unknown> = {}) {
  try {
    return { flow: parseConfigText(JSON.stringify({ ...top, flows: [{ filePattern: '/a', ...flow }] }), 'agent.json', { env: {} }).flows[0]! };
  } catch (err) {
    if (err instanceof ConfigError) return { problems: err.problems.map((p) => `${p.path}: ${p.message}`) };
    throw err;
  }
}

describe.each(DESTINATION_LIST.map((d) => [d.kind, d] as const))('the %s descriptor is what config, sink and metrics use', (_kind, d) => {
  it('its stream key makes a flow of its kind, with batches up to its API limits by default', () => {
    const { flow } = flowOf({ [d.streamKey]: 's' });
    expect(flow?.destination).toEqual({ kind: d.kind, streamName: 's' });
    expect(flow?.maxBufferSizeRecords).toBe(d.limits.recordsPerCall);
    expect(flow?.maxBufferSizeBytes).toBe(d.limits.bytesPerCall);
  });

  it('config allows batches up to its limits and not one record or byte more', () => {
    expect(flowOf({ [d.streamKey]: 's', maxBufferSizeRecords: d.limits.recordsPerCall, maxBufferSizeBytes: d.limits.bytesPerCall }).flow).toBeDefined();
    expect(flowOf({ [d.streamKey]: 's', maxBufferSizeRecords: d.limits.recordsPerCall + 1 }).problems).toEqual([
      `flows[0].maxBufferSizeRecords: ${d.limits.recordsPerCall + 1} is over the maximum ${d.limits.recordsPerCall}`,
    ]);
    expect(flowOf({ [d.streamKey]: 's', maxBufferSizeBytes: d.limits.bytesPerCall + 1 }).problems).toEqual([
      `flows[0].maxBufferSizeBytes: ${d.limits.bytesPerCall + 1} is over the maximum ${d.limits.bytesPerCall}`,
    ]);
  });

  it('lines are cut to fit one of its records', () => {
    expect(maxRecordBytes(d.kind)).toBeLessThanOrEqual(d.limits.bytesPerRecord);
    expect(maxRecordBytes(d.kind, 0)).toBe(d.limits.bytesPerRecord);
  });

  it('its endpoint keys are taken at the top level and in its flows, and ignored with a warning in a flow of another kind, as the Kinesis Agent ignores a key it does not read', () => {
    const endpoint = 'http://127.0.0.1:4567';
    const { flow } = flowOf({ [d.streamKey]: 's', [`${d.kind}.endpoint`]: endpoint }, { [`${d.kind}.endpoint`]: endpoint });
    expect(flow?.endpoint).toBe(endpoint);
    for (const other of DESTINATION_LIST.filter((o) => o !== d)) {
      const config = parseConfigText(JSON.stringify({ flows: [{ filePattern: '/a', [other.streamKey]: 's', [`${d.kind}.endpoint`]: endpoint }] }), 'agent.json', { env: { AWS_REGION: 'us-east-1' } });
      expect(config.flows[0]!.endpoint).toBeUndefined();
      expect(config.warnings).toEqual([
        expect.stringContaining(`flows[0].${d.kind}.endpoint: does not apply to a ${other.title} flow and is ignored`),
      ]);
    }
  });

  it('a stream name that breaks its rule is refused', () => {
    expect(flowOf({ [d.streamKey]: 'no spaces' }).problems).toEqual([`flows[0].${d.streamKey}: \`no spaces\` is not a valid stream name`]);
  });

  it('metrics and status name its streams with its label', () => {
    expect(destinationLabel({ kind: d.kind, streamName: 'web' })).toBe(d.label('web'));
    expect(d.label('web')).toMatch(/^[A-Za-z]+:web$/);
  });
});

describe('the registry', () => {
  it('has one descriptor per kind, each with its own stream key and flow keys', () => {
    const keys = DESTINATION_LIST.flatMap((d) => [d.streamKey, ...d.keys.flow.map((row) => row.name)]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(DESTINATION_LIST.map((d) => d.kind)).size).toBe(DESTINATION_LIST.length);
  });

  it('a flow naming two destinations sends to Firehose, as the Kinesis Agent\'s FileFlowFactory picks', () => {
    const [a, b] = DESTINATION_LIST;
    const { flow } = flowOf({ [a!.streamKey]: 's', [b!.streamKey]: 't' });
    const firehose = DESTINATION_LIST.find((d) => d.kind === 'firehose')!;
    expect(flow?.destination.kind).toBe('firehose');
    expect(flow?.destination.streamName).toBe(firehose === a ? 's' : 't');
  });
});
