import type { AgentConfig } from '../../src/config/types.ts';
import { FlowEvents } from '../../src/events/flow-events.ts';
import type { ObservedFlow } from '../../src/metrics/observed-flow.ts';

/** An AgentConfig with the defaults filled in, for the reporters' tests. */
export function agentConfig(over: Partial<AgentConfig> = {}): AgentConfig {
  return {
    configFile: '/tmp/agent.yaml',
    dropInFiles: [],
    checkpointFile: '/tmp/checkpoints',
    checkpointTimeToLiveDays: 7,
    shutdownTimeoutMillis: 10_000,
    kinesis: { region: 'us-east-1' },
    firehose: { region: 'us-east-1' },
    sts: {},
    cloudwatch: { emitMetrics: true, namespace: 'AWSKinesisAgent', tagInstance: false, metricsBufferTimeMillis: 30_000, region: 'us-east-1' },
    credentials: { accessKeyId: 'AKIDTESTTESTTEST', secretAccessKey: 'test-secret-key' },
    log: { level: 'info', statusReportingPeriodSeconds: 30 },
    connection: { connectionTimeoutMillis: 2000, socketTimeoutMillis: 5000, maxConnections: 10 },
    flows: [],
    warnings: [],
    ...over,
  };
}

export function observedFlow(id: string, kind: 'kinesis' | 'firehose', streamName: string, files: Array<Record<string, unknown>> = []): ObservedFlow {
  return { id, destination: { kind, streamName }, metrics: new FlowEvents(), files: () => files };
}

/** Polls until check() returns a value other than undefined, or fails at the deadline. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Loopback-only AWS environment for SDK clients in tests. */
export const TEST_ENV: NodeJS.ProcessEnv = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};
