import { join } from 'node:path';
import { CheckpointStore } from '../../../src/checkpoint/store.js';
import type { FlowConfig } from '../../../src/config/types.js';
import { createLogger, silentLogger } from '../../../src/log.js';

/** KA_TEST_LOG=debug shows the source's decisions on stderr. */
const testLog = () =>
  process.env.KA_TEST_LOG ? createLogger({ level: process.env.KA_TEST_LOG as 'debug', destination: process.stderr }) : silentLogger();
import { Conditions } from '../../../src/events/conditions.js';
import { FlowEvents } from '../../../src/events/flow-events.js';
import { FileSource, type FileSourceOptions } from '../../../src/source/file-source.js';
import { CollectingSink, type CollectingSinkOptions } from './collecting-sink.js';

export interface Harness {
  source: FileSource;
  sink: CollectingSink;
  store: CheckpointStore;
  metrics: FlowEvents;
  /** Stops reading, waits for every pushed record's ack, flushes the store. */
  stop(): Promise<void>;
}

/** A FileSource over a checkpoint store in `dir`, pushing into a CollectingSink. */
export async function startSource(
  dir: string,
  flow: FlowConfig,
  opts: { sink?: CollectingSinkOptions; source?: Partial<FileSourceOptions>; sinkInstance?: CollectingSink } = {},
): Promise<Harness> {
  const store = await CheckpointStore.open(join(dir, 'state', 'checkpoints'), {
    ttlDays: 7,
    log: silentLogger(),
    minWriteIntervalMillis: 20,
  });
  const sink = opts.sinkInstance ?? new CollectingSink(opts.sink);
  const log = testLog();
  const metrics = new FlowEvents(Conditions.detached(log));
  const source = new FileSource({
    flow,
    store,
    sink,
    metrics,
    log,
    maxRecordBytes: 1024 * 1024,
    rotatedGraceMillis: 200,
    multiLineFlushMillis: 200,
    ...opts.source,
  });
  await source.start();
  return {
    source,
    sink,
    store,
    metrics,
    async stop() {
      await source.stop();
      const deadline = Date.now() + 10_000;
      while (sink.pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await store.close();
    },
  };
}
