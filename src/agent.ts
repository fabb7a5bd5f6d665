import { CheckpointStore } from './checkpoint/index.js';
import { loadConfig, secretsExposureWarning } from './config/index.js';
import type { AgentConfig, FlowConfig } from './config/types.js';
import { Flow } from './flow.js';
import { importBeforeStart } from './migrate/at-start.js';
import { registerConfigSecrets, type Logger } from './log.js';
import { observe, startObservability, type Observability } from './metrics/index.js';

const CHECKPOINT_WRITE_INTERVAL_MS = 200;

/**
 * The daemon: one checkpoint store shared by every flow, and one Flow per
 * `flows[]` entry. Stopping drains every flow within shutdownTimeoutMillis
 * and writes the checkpoints last, so they name only acknowledged data.
 */
export class Agent {
  private readonly flows = new Map<string, Flow>();
  private store: CheckpointStore | undefined;
  private stopping: Promise<void> | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private observability: Observability | undefined;

  constructor(
    private config: AgentConfig,
    private readonly log: Logger,
  ) {}

  get currentConfig(): AgentConfig {
    return this.config;
  }

  async start(): Promise<void> {
    this.store = await CheckpointStore.open(this.config.checkpointFile, {
      ttlDays: this.config.checkpointTimeToLiveDays,
      log: this.log.child({ component: 'checkpoint' }),
      // After a crash, everything acknowledged since the last write is sent
      // again: a short interval keeps those duplicates near what was in flight.
      minWriteIntervalMillis: CHECKPOINT_WRITE_INTERVAL_MS,
    });
    this.warnAboutConfig();
    for (const flowConfig of this.config.flows) await this.startFlow(flowConfig);
    await this.startObservability();
    this.log.info(
      { flows: this.flows.size, checkpointFile: this.config.checkpointFile, node: process.version, nodeFlags: process.execArgv },
      'agent started',
    );
  }

  private warnAboutConfig(): void {
    for (const warning of this.config.warnings) this.log.warn(warning);
    const exposure = secretsExposureWarning(this.config);
    if (exposure) this.log.warn({ configFile: this.config.configFile }, exposure);
  }

  private async startFlow(flowConfig: FlowConfig): Promise<void> {
    if (!this.store) throw new Error('agent not started');
    await importBeforeStart(this.store, flowConfig, this.config, this.log.child({ component: 'import', flow: flowConfig.id }));
    const flow = new Flow(flowConfig, this.config, this.store, this.log);
    this.flows.set(flowConfig.id, flow);
    await flow.start();
  }

  private async startObservability(): Promise<void> {
    this.observability = await startObservability({
      config: this.config,
      log: this.log,
      flows: () => this.flowList.map(observe),
    });
  }

  /** The status server's base URL, when `http.listen` is set. */
  get statusUrl(): string | undefined {
    return this.observability?.statusUrl;
  }

  /** Idempotent: a second signal while draining waits for the same drain. */
  stop(): Promise<void> {
    this.stopping ??= this.reloading.then(() => this.drain());
    return this.stopping;
  }

  private async drain(): Promise<void> {
    // Monotonic: a wall clock stepped back must not stretch the drain.
    const deadline = performance.now() + this.config.shutdownTimeoutMillis;
    // Metrics stop beside the flows, not before them: a CloudWatch endpoint
    // that does not answer must not eat the flows' drain time.
    const observabilityStopped = this.observability?.stop() ?? Promise.resolve();
    await Promise.all([...this.flows.values()].map((f) => f.stop(deadline)));
    await this.store?.close();
    await Promise.race([observabilityStopped, delay(Math.max(0, deadline - performance.now()))]);
    this.log.info('agent stopped');
  }

  /**
   * SIGHUP: flows whose configuration is unchanged keep running and keep
   * their place; removed and changed flows drain and stop; new and changed
   * flows start from their checkpoints. A config with errors leaves the
   * running one in place. Reloads are serialised.
   */
  reload(path: string): Promise<void> {
    this.reloading = this.reloading.then(() => this.applyReload(path));
    return this.reloading;
  }

  private async applyReload(path: string): Promise<void> {
    if (this.stopping) return;
    let next: AgentConfig;
    try {
      next = await loadConfig(path);
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'reload: configuration has errors; keeping the running one');
      return;
    }
    registerConfigSecrets(next);
    const agentChanged = fingerprint(withoutFlows(next)) !== fingerprint(withoutFlows(this.config));
    const nextById = new Map(next.flows.map((f) => [f.id, f]));
    const stopping: Flow[] = [];
    for (const [id, flow] of this.flows) {
      const wanted = nextById.get(id);
      if (!wanted || agentChanged || fingerprint(flowShape(wanted)) !== fingerprint(flowShape(flow.config))) stopping.push(flow);
    }
    const deadline = performance.now() + next.shutdownTimeoutMillis;
    await Promise.all(stopping.map((f) => f.stop(deadline)));
    for (const f of stopping) this.flows.delete(f.config.id);
    await this.store?.flush();
    if (agentChanged) await this.observability?.stop();
    this.config = next;
    if (agentChanged) this.warnAboutConfig();
    let started = 0;
    for (const flowConfig of next.flows) {
      if (this.flows.has(flowConfig.id)) continue;
      await this.startFlow(flowConfig);
      started += 1;
    }
    if (agentChanged) await this.startObservability();
    this.log.info({ stopped: stopping.length, started, running: this.flows.size }, 'configuration reloaded');
  }

  status() {
    return [...this.flows.values()].map((f) => f.status());
  }

  get flowList(): Flow[] {
    return [...this.flows.values()];
  }
}

function withoutFlows(config: AgentConfig): Omit<AgentConfig, 'flows' | 'dropInFiles'> {
  const { flows: _flows, dropInFiles: _dropIns, ...rest } = config;
  return rest;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** What a flow does, without where it stands in the file. */
function flowShape(flow: FlowConfig): Omit<FlowConfig, 'index' | 'definedIn'> {
  const { index: _index, definedIn: _definedIn, ...rest } = flow;
  return rest;
}

/** A comparable form of a config: regular expressions by their source. */
function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof RegExp ? `/${v.source}/${v.flags}` : v));
}
