/** Flows, agents and records for delivery tests; every endpoint is loopback. */
import type { AgentConfig, FlowConfig } from '../../src/config/types.ts';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { silentLogger, type Logger } from '../../src/log.ts';
import { Conditions } from '../../src/events/conditions.ts';
import { FlowEvents } from '../../src/events/flow-events.ts';
import type { Acker, SourceRecord } from '../../src/pipeline/types.ts';
import { createDelivery, perDestination, type Delivery } from '../../src/sink/index.ts';
import { credentialsFor } from '../../src/aws/credentials.ts';
import { requestHandlerFor } from '../../src/aws/transport.ts';
import type { DestinationAdapter } from '../../src/sink/adapter.ts';
import type { DestinationContext } from '../../src/sink/errors.ts';
import { KINESIS } from '../../src/sink/kinesis/index.ts';
import { memoryLogger } from '../metrics/memory-log.ts';
import { AwsProtocolServer } from '../servers/aws-protocol-server.ts';
import { testFlowConfig } from '../support/flow-config.ts';
import { LOCAL_AWS_ENV, TEST_CREDENTIALS, TEST_REGION } from '../support/kinesis-local.ts';

// No test may reach an AWS account or the instance metadata service.
Object.assign(process.env, LOCAL_AWS_ENV);

export function makeFlow(overrides: Partial<FlowConfig> = {}): FlowConfig {
  return testFlowConfig({
    definedIn: '/etc/agent.json',
    maxBufferAgeMillis: 50,
    maxBufferSizeBytes: 4 * 1024 * 1024,
    retryInitialBackoffMillis: 20,
    retryMaxBackoffMillis: 200,
    ...overrides,
  });
}

export function makeAgent(endpoint: string, overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    configFile: '/etc/agent.json',
    dropInFiles: [],
    checkpointFile: '/tmp/checkpoints',
    checkpointTimeToLiveDays: 7,
    shutdownTimeoutMillis: 10_000,
    ...perDestination(() => ({ endpoint, region: TEST_REGION })),
    sts: { endpoint },
    cloudwatch: { emitMetrics: false, endpoint, region: TEST_REGION, namespace: 'test', tagInstance: false, metricsBufferTimeMillis: 60_000 },
    credentials: { ...TEST_CREDENTIALS },
    log: { level: 'info', statusReportingPeriodSeconds: 60 },
    connection: { connectionTimeoutMillis: 5_000, socketTimeoutMillis: 10_000, maxConnections: 50 },
    flows: [],
    warnings: [],
    ...overrides,
  };
}

/** Remembers every acknowledged range of one fake file. */
export class RecordingAcker implements Acker {
  /** One [start, end) per record acknowledged, however the delivery merged them. */
  readonly acked: [number, number][] = [];
  private readonly bounds = new Map<number, number>();

  /** Records this acker belongs to: a range covering several of them is split back into one entry each. */
  track(records: readonly SourceRecord[]): void {
    for (const r of records) this.bounds.set(r.start, r.end);
  }

  ack(start: number, end: number): void {
    let at = start;
    while (at < end) {
      const next = this.bounds.get(at);
      if (next === undefined || next > end) {
        this.acked.push([at, end]);
        return;
      }
      this.acked.push([at, next]);
      at = next;
    }
  }
  /** How many times each start offset was acknowledged. */
  counts(): Map<number, number> {
    const m = new Map<number, number>();
    for (const [s] of this.acked) m.set(s, (m.get(s) ?? 0) + 1);
    return m;
  }
}

/** Lines `line-<i> ...\n`, laid end to end like a file. */
export function makeRecords(count: number, acker: Acker, pad = 0, prefix = 'line'): SourceRecord[] {
  const out: SourceRecord[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const data = Buffer.from(`${prefix}-${i} ${'x'.repeat(pad)}\n`);
    out.push({ data, acker, start: offset, end: offset + data.length, file: { path: 'test.log' } });
    offset += data.length;
  }
  if (acker instanceof RecordingAcker) acker.track(out);
  return out;
}

/**
 * Lines `<prefix><i> xxx\n` of the given lengths in bytes (at least the
 * prefix, the index, a space and the newline), laid end to end like a file.
 */
export function sizedRecords(lengths: readonly number[], acker: Acker, prefix = 'r'): SourceRecord[] {
  const out: SourceRecord[] = [];
  let offset = 0;
  for (let i = 0; i < lengths.length; i++) {
    const head = `${prefix}${i} `;
    const data = Buffer.alloc(Math.max(lengths[i]!, head.length + 1), 0x78);
    data.write(head);
    data[data.length - 1] = 0x0a;
    out.push({ data, acker, start: offset, end: offset + data.length, file: { path: 'test.log' } });
    offset += data.length;
  }
  if (acker instanceof RecordingAcker) acker.track(out);
  return out;
}

export interface Harness {
  delivery: Delivery;
  metrics: FlowEvents;
  flow: FlowConfig;
}

export function startDelivery(flow: FlowConfig, agent: AgentConfig, log: Logger = silentLogger()): Harness {
  const metrics = new FlowEvents(Conditions.detached(log));
  const delivery = createDelivery({ flow, agent, metrics, log });
  delivery.start();
  return { delivery, metrics, flow };
}

/**
 * User records sent in calls that failed as a whole (a timeout, a dropped
 * connection, a 5xx): the destination may have stored such a call although
 * its answer never came, and the records go again (docs/guarantees.md: one
 * call's records per such call). Every attempt either was acknowledged
 * (recordsSent), failed inside an answer (recordSendErrors, not stored), or
 * failed as a whole; read once everything is acknowledged.
 */
export function recordsInFailedCalls(metrics: FlowEvents): number {
  return metrics.recordSendAttempts - metrics.recordsSent - metrics.recordSendErrors;
}

/** Pushes every record, waiting whenever the delivery says it is full. */
export async function pushAll(delivery: Delivery, records: SourceRecord[]): Promise<void> {
  for (const r of records) {
    if (!delivery.push(r)) await delivery.drained();
  }
}

/** Pushes every record and waits until `acker` has one acknowledgement per record; false if that did not come in `timeoutMs`. */
export async function deliverAll(delivery: Delivery, records: SourceRecord[], acker: RecordingAcker, timeoutMs?: number): Promise<boolean> {
  const before = acker.acked.length;
  await pushAll(delivery, records);
  return until(() => acker.acked.length === before + records.length, timeoutMs);
}

export interface ServerStreams {
  /** Kinesis data streams to create: name -> shard count. */
  kinesis?: Record<string, number>;
  /** Firehose delivery streams to create. */
  firehose?: string[];
  /** Serve HTTPS (see AwsProtocolServer.start). */
  tls?: boolean | 'trusted';
  /** A server per test (default), or one for the whole describe block. */
  per?: 'test' | 'suite';
}

export interface ServerSuite {
  readonly server: AwsProtocolServer;
  /** A started delivery of makeFlow(`flow`) to the server, with makeAgent's settings and `agent`'s overrides. */
  start(flow?: Partial<FlowConfig>, opts?: { agent?: Partial<AgentConfig>; log?: Logger }): Harness;
}

/**
 * The protocol server of a describe block: started before each test (or
 * once, `per: 'suite'`) with the streams given, stopped after. Without
 * streams, one Kinesis stream `test` of one shard, as makeFlow sends to.
 */
export function useProtocolServer(streams: ServerStreams = { kinesis: { test: 1 } }): ServerSuite {
  let server: AwsProtocolServer | undefined;
  const [before, after] = streams.per === 'suite' ? [beforeAll, afterAll] : [beforeEach, afterEach];
  before(async () => {
    server = await AwsProtocolServer.start(streams.tls === undefined ? {} : { tls: streams.tls });
    for (const [name, shards] of Object.entries(streams.kinesis ?? {})) server.createStream(name, shards);
    for (const name of streams.firehose ?? []) server.createDeliveryStream(name);
  });
  after(async () => {
    await server?.stop();
  });
  return {
    get server() {
      return server!;
    },
    start(flow = {}, opts = {}) {
      return startDelivery(makeFlow(flow), makeAgent(server!.endpoint, opts.agent), opts.log);
    },
  };
}

/** Polls until `check` holds or the deadline passes; returns whether it held. */
export async function until(check: () => boolean, timeoutMs = 20_000, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return check();
}

/** A debug logger whose JSON lines the test can read back. */
export function captureLogger(): { log: Logger; lines: () => Record<string, unknown>[] } {
  return memoryLogger('debug');
}

/**
 * A Kinesis adapter sending PutRecords to `endpoint` (https) on the agent's
 * own HTTP/2 exchange, in CBOR or in JSON, one attempt per call: for tests
 * that send entries and read the answer or the error themselves.
 */
export function ownH2KinesisAdapter(
  endpoint: string,
  opts: { streamName: string; streamArn?: string; cbor: boolean; connection: AgentConfig['connection'] },
): DestinationAdapter {
  const agent = makeAgent(endpoint, { connection: opts.connection });
  const context: DestinationContext = { kind: 'kinesis', streamName: opts.streamName, region: TEST_REGION, flowIndex: 0, ...(opts.streamArn ? { streamArn: opts.streamArn } : {}) };
  return KINESIS.create({
    flow: makeFlow({ destination: { kind: 'kinesis', streamName: opts.streamArn ?? opts.streamName } }),
    context,
    clientConfig: {
      region: TEST_REGION,
      endpoint,
      credentials: credentialsFor(agent, TEST_REGION),
      maxAttempts: 1,
      requestHandler: requestHandlerFor({ endpoint, defaultHttp2: true, connection: opts.connection, proxy: undefined }),
    },
    transport: { path: { kind: 'own-h2' }, endpoint, connection: opts.connection, cbor: opts.cbor },
    log: silentLogger(),
    conditions: Conditions.detached(silentLogger()),
  }).adapter;
}
