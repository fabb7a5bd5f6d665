import type { AgentConfig, FlowConfig } from './config/types.js';
import type { CheckpointStore } from './checkpoint/index.js';
import { AgentError, isAgentError } from './errors.js';
import type { Conditions } from './events/conditions.js';
import { FlowEvents } from './events/flow-events.js';
import type { Logger } from './log.js';
import type { FlowState } from './metrics/index.js';
import { ProcessStage } from './pipeline/process-stage.js';
import { createProcessorChain, type ProcessorChain } from './process/index.js';
import { createDelivery, maxSourceRecordBytes, type ApiLimits, type Delivery } from './sink/index.js';
import { FileSource } from './source/index.js';

/** A flow of the configuration could not be built (a processor that can never work, ...). */
export class FlowBuildError extends AgentError {
  constructor(flow: FlowConfig, cause: unknown) {
    const what = isAgentError(cause) ? cause.message : cause instanceof Error ? cause.message : String(cause);
    super('FLOW_BUILD', `flow ${flow.id} (flows[${flow.index}] in ${flow.definedIn}): ${what}`, isAgentError(cause) ? cause.hint : undefined, { cause });
  }
}

export interface FlowDeps {
  agent: AgentConfig;
  store: CheckpointStore;
  log: Logger;
  /** The flow's own scope of conditions (problems on /status), forgotten when it stops. */
  conditions: Conditions;
}

/**
 * One `flows[]` entry, wired: FileSource -> ProcessStage -> Delivery, with
 * acknowledgements flowing back to the file's checkpoint tracker. Built
 * (constructor: nothing runs, nothing opened) apart from started, so that a
 * reload can build every new flow before it stops an old one.
 *
 * Lifecycle: starting -> running -> stopping -> stopped, or starting ->
 * failed; a flow object is started at most once.
 */
export class Flow {
  readonly config: FlowConfig;
  readonly metrics: FlowEvents;
  private lifecycle: FlowState = { kind: 'starting', since: Date.now() };
  /** start() was called: until then the flow's conditions scope may belong to the running flow it replaces. */
  private startCalled = false;
  private readonly log: Logger;
  private readonly chain: ProcessorChain;
  private readonly delivery: Delivery;
  private readonly store: CheckpointStore;
  /** Built with the destination's usual limits; built again at start when the stream takes larger records. */
  private source: FileSource;

  /** Throws FlowBuildError when a part cannot be built; nothing is left running then. */
  constructor(config: FlowConfig, deps: FlowDeps) {
    this.config = config;
    this.store = deps.store;
    this.log = deps.log.child({ flow: config.id });
    this.metrics = new FlowEvents(deps.conditions);
    try {
      this.chain = createProcessorChain(config.dataProcessingOptions, { metrics: this.metrics, log: this.log });
    } catch (err) {
      throw new FlowBuildError(config, err);
    }
    try {
      this.delivery = createDelivery({ flow: config, agent: deps.agent, metrics: this.metrics, log: this.log });
      this.source = this.buildSource(this.delivery.limits);
    } catch (err) {
      this.chain.close();
      throw new FlowBuildError(config, err);
    }
  }

  private buildSource(limits: ApiLimits): FileSource {
    return new FileSource({
      flow: this.config,
      store: this.store,
      // Without processors lines go straight to delivery: nothing makes a Buffer of a line's bytes until its body is written.
      sink: this.config.dataProcessingOptions.length === 0 ? this.delivery : new ProcessStage(this.chain, this.delivery),
      metrics: this.metrics,
      log: this.log,
      maxRecordBytes: maxSourceRecordBytes(this.config, limits),
    });
  }

  get state(): FlowState {
    return this.lifecycle;
  }

  /** starting -> running; on an error, starting -> failed, and the error is thrown (stop() still cleans up). */
  async start(): Promise<void> {
    if (this.lifecycle.kind !== 'starting' || this.startCalled) throw new Error(`flow ${this.config.id} cannot start: it is ${this.lifecycle.kind}`);
    this.startCalled = true;
    try {
      // ADDEC2METADATA's first fetch, so the first records carry the metadata too.
      await this.chain.ready();
      // A stream may take records up to 10 MiB (record-size.ts): lines are then cut at what it takes.
      const before = this.delivery.limits;
      const limits = await this.delivery.learnLimits();
      if (limits.bytesPerRecord !== before.bytesPerRecord) this.source = this.buildSource(limits);
      this.delivery.start();
      await this.source.start();
    } catch (err) {
      this.lifecycle = { kind: 'failed', since: Date.now(), reason: err instanceof Error ? err.message : String(err) };
      throw err;
    }
    if (this.lifecycle.kind !== 'starting') return;
    this.lifecycle = { kind: 'running', since: Date.now() };
    this.log.info({ patterns: this.config.filePatterns, destination: this.config.destination }, 'flow started');
  }

  /**
   * Stops reading, then gives buffered and in-flight records until the
   * deadline to be acknowledged; whatever is not stays uncommitted and is
   * read again after a restart. Also undoes a flow that was only built or
   * failed to start. Never throws. `deadline` is monotonic ms (performance.now()).
   */
  async stop(deadline: number): Promise<void> {
    if (this.lifecycle.kind === 'stopped' || this.lifecycle.kind === 'stopping') return;
    const wasRunning = this.lifecycle.kind === 'running';
    this.lifecycle = { kind: 'stopping', since: Date.now() };
    try {
      await this.source.stop();
      await this.delivery.close(Math.max(0, deadline - performance.now()));
      this.chain.close();
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'error while stopping the flow');
    }
    this.lifecycle = { kind: 'stopped', since: Date.now() };
    // What was wrong with a flow that is gone is nobody's problem now.
    if (this.startCalled) this.metrics.conditions.forgetAll();
    if (wasRunning) this.log.info('flow stopped');
  }

  status() {
    return { id: this.config.id, destination: this.config.destination, state: this.lifecycle.kind, files: this.source.status(), finished: this.source.finished() };
  }
}
