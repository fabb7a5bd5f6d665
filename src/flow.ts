import type { AgentConfig, FlowConfig } from './config/types.js';
import type { CheckpointStore } from './checkpoint/index.js';
import type { Logger } from './log.js';
import { FlowMetrics } from './metrics/flow-metrics.js';
import { ProcessStage } from './pipeline/process-stage.js';
import { createProcessorChain, type ProcessorChain } from './process/index.js';
import { createDelivery, maxSourceRecordBytes, type Delivery } from './sink/index.js';
import { FileSource } from './source/index.js';

/**
 * One `flows[]` entry, wired: FileSource -> ProcessStage -> Delivery, with
 * acknowledgements flowing back to the file's checkpoint tracker.
 */
export class Flow {
  readonly config: FlowConfig;
  readonly metrics = new FlowMetrics();
  private readonly log: Logger;
  private readonly chain: ProcessorChain;
  private readonly delivery: Delivery;
  private readonly store: CheckpointStore;
  /** Made at start, once the destination's record size limit is known. */
  private source: FileSource | undefined;

  constructor(config: FlowConfig, agent: AgentConfig, store: CheckpointStore, log: Logger) {
    this.config = config;
    this.store = store;
    this.log = log.child({ flow: config.id });
    this.chain = createProcessorChain(config.dataProcessingOptions, { metrics: this.metrics, log: this.log });
    this.delivery = createDelivery({ flow: config, agent, metrics: this.metrics, log: this.log });
  }

  async start(): Promise<void> {
    // ADDEC2METADATA's first fetch, so the first records carry the metadata too.
    await this.chain.ready();
    // A stream may take records up to 10 MiB: lines are cut at what it takes.
    const limits = await this.delivery.learnLimits();
    this.source ??= new FileSource({
      flow: this.config,
      store: this.store,
      sink: new ProcessStage(this.chain, this.delivery),
      metrics: this.metrics,
      log: this.log,
      maxRecordBytes: maxSourceRecordBytes(this.config, limits),
    });
    this.delivery.start();
    await this.source.start();
    this.log.info({ patterns: this.config.filePatterns, destination: this.config.destination }, 'flow started');
  }

  /**
   * Stops reading, then gives buffered and in-flight records until the
   * deadline to be acknowledged; whatever is not stays uncommitted and is
   * read again after a restart.
   * `deadline` is monotonic ms (performance.now()).
   */
  async stop(deadline: number): Promise<void> {
    await this.source?.stop();
    await this.delivery.close(Math.max(0, deadline - performance.now()));
    this.chain.close();
    this.log.info('flow stopped');
  }

  status() {
    return { id: this.config.id, destination: this.config.destination, files: this.source?.status() ?? [] };
  }
}
