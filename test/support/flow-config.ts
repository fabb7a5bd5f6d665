import type { FlowConfig } from '../../src/config/types.ts';

/**
 * A complete FlowConfig for tests that build a stage by hand: the Kinesis
 * Agent's defaults where they exist, with the overrides a test needs.
 */
export function testFlowConfig(overrides: Partial<FlowConfig> = {}): FlowConfig {
  return {
    id: 'test-flow',
    index: 0,
    definedIn: 'test',
    filePatterns: ['/tmp/x.log'],
    excludePatterns: [],
    destination: { kind: 'kinesis', streamName: 'test' },
    initialPosition: 'START_OF_FILE',
    partitionKey: { kind: 'RANDOM' },
    aggregation: false,
    maxBufferAgeMillis: 1000,
    maxBufferSizeRecords: 500,
    maxBufferSizeBytes: 5 * 1024 * 1024,
    minTimeBetweenFilePollsMillis: 100,
    maxTimeBetweenFileTrackerRefreshMillis: 10_000,
    retryInitialBackoffMillis: 100,
    retryMaxBackoffMillis: 1000,
    publishQueueCapacity: 100,
    maxQueueBytes: 16 * 1024 * 1024,
    maxInFlightRequests: 4,
    skipHeaderLines: 0,
    truncatedRecordTerminator: '\n',
    dataProcessingOptions: [],
    ...overrides,
  };
}
