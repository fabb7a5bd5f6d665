import { CheckpointStore } from './checkpoint/index.js';
import { loadConfig, secretsExposureWarning } from './config/index.js';
import type { AgentConfig, FlowConfig } from './config/types.js';
import { isAgentError } from './errors.js';
import { ConditionBoard, type Conditions } from './events/conditions.js';
import { FlowEvents } from './events/flow-events.js';
import { Flow } from './flow.js';
import { importBeforeStart } from './migrate/at-start.js';
import { levelFromEnv, registerConfigSecrets, type Logger, type LogLevel } from './log.js';
import { observe, type ObservedFlow } from './metrics/index.js';
import { startObservability, type Observability } from './observability.js';
import { agentSettingsChanged, observabilitySettingsChanged, planReload, ReloadNeedsRestartError, settingsReadAtStartChanged } from './reload-plan.js';
import { regionFromInstanceMetadata } from './aws/region.js';

const CHECKPOINT_WRITE_INTERVAL_MS = 200;

/**
 * Where the agent stands. Named transitions:
 * - start():   created -> starting -> running
 * - reload():  running -> reloading -> running (a reload asked for while one
 *              runs is done right after it; one asked for while starting,
 *              right after the start)
 * - stop():    any -> stopping -> stopped (waits for a start or reload under
 *              way until the shutdown deadline at most, then drains)
 * A failure inside a reload never leaves this machine anywhere but running.
 */
type Lifecycle =
  | { kind: 'created' }
  | { kind: 'starting'; work: Promise<void>; reloadAfter: string | undefined }
  | { kind: 'running' }
  | { kind: 'reloading'; work: Promise<void>; again: string | undefined }
  | { kind: 'stopping'; done: Promise<void> }
  /** `checkpointsWritten`: false when the last checkpoint write, at stop, failed. */
  | { kind: 'stopped'; checkpointsWritten: boolean };

/** A configured flow that is not running: it failed to build or start, or was lost in a reload. */
interface FailedFlow {
  config: FlowConfig;
  since: number;
  reason: string;
  events: FlowEvents;
}

/**
 * The daemon: one checkpoint store shared by every flow, and one Flow per
 * `flows[]` entry. Stopping drains every flow within shutdownTimeoutMillis
 * and writes the checkpoints last, so they name only acknowledged data.
 */
export class Agent {
  private readonly flows = new Map<string, Flow>();
  private readonly failed = new Map<string, FailedFlow>();
  private readonly board = new ConditionBoard();
  private readonly conditions: Conditions;
  private life: Lifecycle = { kind: 'created' };
  private store: CheckpointStore | undefined;
  private observability: Observability | undefined;
  /** The settings the running metrics, status server and progress log were started with; undefined while none run. */
  private observedWith: AgentConfig | undefined;
  private readonly levelOf: (config: AgentConfig) => LogLevel;

  /** `options.levelOf`: the log level a configuration asks for (the CLI's -L wins over `log.level`); applied at each reload. */
  constructor(
    private config: AgentConfig,
    private readonly log: Logger,
    options: { levelOf?: (config: AgentConfig) => LogLevel } = {},
  ) {
    this.conditions = this.board.scope('agent', log);
    this.levelOf = options.levelOf ?? ((c) => levelFromEnv(c.log.level));
  }

  get currentConfig(): AgentConfig {
    return this.config;
  }

  /** Stopped, and the checkpoint file was written at the stop (or there was nothing to write). */
  get stoppedCleanly(): boolean {
    return this.life.kind === 'stopped' && this.life.checkpointsWritten;
  }

  /** created, starting, running, reloading, stopping or stopped. */
  get state(): Lifecycle['kind'] {
    return this.life.kind;
  }

  /**
   * created -> starting -> running. Throws what makes the agent unable to
   * run (CheckpointPathError, StatusListenError, FlowBuildError); a stop
   * asked for meanwhile wins: what was started is stopped by it.
   */
  async start(): Promise<void> {
    // A stop asked for before the start wins: nothing is started.
    if (this.life.kind === 'stopping' || this.life.kind === 'stopped') return;
    if (this.life.kind !== 'created') throw new Error(`the agent cannot start: it is ${this.life.kind}`);
    const work = this.startUp();
    const life: Lifecycle = { kind: 'starting', work: work.catch(() => undefined), reloadAfter: undefined };
    this.life = life;
    try {
      await work;
    } catch (err) {
      // Nothing to drain that matters: the process exits on this error.
      if (this.life === life) this.life = { kind: 'stopped', checkpointsWritten: true };
      throw err;
    }
    if (this.life !== life) return;
    this.life = { kind: 'running' };
    if (life.reloadAfter !== undefined) void this.reload(life.reloadAfter);
  }

  private async startUp(): Promise<void> {
    this.store = await CheckpointStore.open(this.config.checkpointFile, {
      ttlDays: this.config.checkpointTimeToLiveDays,
      log: this.log.child({ component: 'checkpoint' }),
      // After a crash, everything acknowledged since the last write is sent
      // again: a short interval keeps those duplicates near what was in flight.
      minWriteIntervalMillis: CHECKPOINT_WRITE_INTERVAL_MS,
      conditions: this.board.scope('checkpoint', this.log.child({ component: 'checkpoint' })),
    });
    this.warnAboutConfig();
    for (const flowConfig of this.config.flows) {
      if (this.stopAsked) return;
      const flow = this.buildFlow(flowConfig, this.config);
      this.flows.set(flowConfig.id, flow);
      await this.launch(flow, this.config);
    }
    if (this.stopAsked) return;
    await this.startObservability(this.config);
    this.log.info(
      { flows: this.flows.size, checkpointFile: this.config.checkpointFile, node: process.version, nodeFlags: process.execArgv },
      'agent started',
    );
  }

  private get stopAsked(): boolean {
    return this.life.kind === 'stopping' || this.life.kind === 'stopped';
  }

  private warnAboutConfig(): void {
    for (const warning of this.config.warnings) this.log.warn(warning);
    const exposure = secretsExposureWarning(this.config);
    if (exposure) this.log.warn({ configFile: this.config.configFile }, exposure);
  }

  /** Throws FlowBuildError; nothing runs until start(). */
  private buildFlow(flowConfig: FlowConfig, agent: AgentConfig): Flow {
    if (!this.store) throw new Error('agent not started');
    const log = this.log;
    return new Flow(flowConfig, { agent, store: this.store, log, conditions: this.board.scope(`flow ${flowConfig.id}`, log.child({ flow: flowConfig.id })) });
  }

  /**
   * Starts a built flow; first, once, the Kinesis Agent's checkpoints for it
   * when the config asks for an import (src/migrate/).
   * @throws KinesisAgentDbError when `importCheckpointsFrom` cannot be read
   */
  private async launch(flow: Flow, agent: AgentConfig): Promise<void> {
    if (!this.store) throw new Error('agent not started');
    const log = this.log.child({ component: 'import', flow: flow.config.id });
    await importBeforeStart(this.store, flow.config, agent, log);
    await flow.start();
  }

  private async startObservability(config: AgentConfig): Promise<void> {
    this.observability = await startObservability({ config, log: this.log, flows: () => this.observed(), conditions: this.board });
    this.observedWith = config;
  }

  /**
   * any -> stopping -> stopped. Idempotent: a second call waits for the same
   * drain. Never rejects. Ends within shutdownTimeoutMillis (plus the time
   * to write the checkpoint file), whatever the agent was doing.
   */
  stop(): Promise<void> {
    const life = this.life;
    switch (life.kind) {
      case 'stopping':
        return life.done;
      case 'stopped':
        return Promise.resolve();
      case 'created':
        this.life = { kind: 'stopped', checkpointsWritten: true };
        return Promise.resolve();
      case 'starting':
      case 'reloading':
      case 'running': {
        const underWay = life.kind === 'running' ? Promise.resolve() : life.work;
        const done = this.drain(underWay);
        this.life = { kind: 'stopping', done };
        return done;
      }
    }
  }

  private async drain(underWay: Promise<void>): Promise<void> {
    // Monotonic: a wall clock stepped back must not stretch the drain.
    const deadline = performance.now() + this.config.shutdownTimeoutMillis;
    // A start or reload under way finishes its step (it starts nothing new
    // once a stop is asked), but may not hold the drain past the deadline.
    await Promise.race([underWay, delay(deadline - performance.now())]);
    // Metrics stop beside the flows, not before them: a CloudWatch endpoint
    // that does not answer must not eat the flows' drain time.
    const observabilityStopped = this.observability?.stop().catch(() => undefined) ?? Promise.resolve();
    await Promise.all([...this.flows.values()].map((f) => f.stop(deadline)));
    let checkpointsWritten = true;
    try {
      await this.store?.close();
    } catch (err) {
      checkpointsWritten = false;
      this.log.error({ err: describe(err) }, 'cannot write the checkpoint file at stop');
    }
    await Promise.race([observabilityStopped, delay(deadline - performance.now())]);
    this.life = { kind: 'stopped', checkpointsWritten };
    this.log.info(checkpointsWritten ? 'agent stopped' : 'agent stopped without writing its checkpoints');
  }

  /**
   * SIGHUP: flows whose configuration is unchanged keep running and keep
   * their place; new and changed flows are built first (a flow that cannot
   * be built leaves everything as it was), then changed and removed flows
   * drain and stop, then the new ones start from their checkpoints. A start
   * that fails stops the new flows and starts the previous ones again from
   * their checkpoints. Any failure is logged once, as an error naming what
   * failed, and listed on /status `problems` until a reload works. Never
   * rejects; resolves when this reload (and any asked for meanwhile) is done.
   */
  reload(path: string): Promise<void> {
    const life = this.life;
    switch (life.kind) {
      case 'running': {
        const next: Lifecycle = { kind: 'reloading', work: Promise.resolve(), again: path };
        this.life = next;
        next.work = this.reloadWhileAsked(next);
        return next.work;
      }
      case 'reloading':
        life.again = path;
        return life.work;
      case 'starting':
        life.reloadAfter = path;
        return life.work;
      case 'created':
      case 'stopping':
      case 'stopped':
        this.log.info({ state: life.kind }, 'reload ignored: the agent is not running');
        return Promise.resolve();
    }
  }

  private async reloadWhileAsked(life: Extract<Lifecycle, { kind: 'reloading' }>): Promise<void> {
    while (life.again !== undefined && this.life === life) {
      const path = life.again;
      life.again = undefined;
      try {
        await this.applyReload(path);
      } catch (err) {
        // applyReload handles its failures; this is a bug, and still must not wedge the agent.
        this.reloadFailed('unexpected', err, 'reload failed unexpectedly; the flows that ran before are kept where possible');
      }
    }
    if (this.life === life) this.life = { kind: 'running' };
  }

  private async applyReload(path: string): Promise<void> {
    let next: AgentConfig;
    try {
      next = await loadConfig(path, { instanceRegion: regionFromInstanceMetadata });
    } catch (err) {
      return this.reloadFailed('load', err, 'reload: configuration has errors; keeping the running one');
    }
    registerConfigSecrets(next);
    const readAtStart = settingsReadAtStartChanged(this.config, next);
    if (readAtStart.length > 0) {
      return this.reloadFailed('plan', new ReloadNeedsRestartError(readAtStart), 'reload: the new configuration changes a setting read only at start; keeping the running one');
    }
    const running = new Map([...this.flows].map(([id, f]) => [id, f.config]));
    const plan = planReload(this.config, running, next);
    const agentChanged = agentSettingsChanged(this.config, next);
    // Compared with what runs, not with the last configuration: a status
    // server left on its previous port by a failed listen is tried again.
    const reportingWith = this.observedWith;
    // agentChanged stops it below, whatever it runs with, so it must start again.
    const observabilityChanged = agentChanged || reportingWith === undefined || observabilitySettingsChanged(reportingWith, next);

    // 1. Build every new flow while the old ones still run.
    const built: Flow[] = [];
    try {
      for (const flowConfig of plan.start) built.push(this.buildFlow(flowConfig, next));
    } catch (err) {
      const now = performance.now();
      await Promise.all(built.map((f) => f.stop(now)));
      return this.reloadFailed('build', err, 'reload: a flow of the new configuration cannot be built; keeping the running ones');
    }
    if (this.stopAsked) return void (await Promise.all(built.map((f) => f.stop(performance.now()))));

    // 2. Drain and stop the flows that change or go.
    const previous = this.config;
    const outgoing = plan.stop.map((id) => this.flows.get(id)!);
    const deadline = performance.now() + previous.shutdownTimeoutMillis;
    if (agentChanged) await this.stopObservability();
    await Promise.all(outgoing.map((f) => f.stop(deadline)));
    for (const f of outgoing) this.flows.delete(f.config.id);
    await this.store?.flush();

    // 3. Start the new ones; on failure put the previous ones back.
    try {
      for (const flow of built) {
        if (this.stopAsked) break;
        this.flows.set(flow.config.id, flow);
        this.failed.delete(flow.config.id);
        await this.launch(flow, next);
      }
    } catch (err) {
      const undo = performance.now() + previous.shutdownTimeoutMillis;
      await Promise.all(built.map((f) => f.stop(undo)));
      for (const f of built) if (this.flows.get(f.config.id) === f) this.flows.delete(f.config.id);
      await this.store?.flush();
      await this.restoreFlows(outgoing.map((f) => f.config), previous);
      if (agentChanged) await this.restartObservability(reportingWith ?? previous, undefined);
      return this.reloadFailed('start', err, 'reload: a flow of the new configuration failed to start; the previous flows were started again from their checkpoints');
    }
    if (this.stopAsked) return;

    this.config = next;
    this.log.level = this.levelOf(next);
    for (const id of this.failed.keys()) if (!next.flows.some((f) => f.id === id)) this.failed.delete(id);
    // Every reload: a drop-in skipped or a key ignored now was perhaps not before.
    this.warnAboutConfig();
    if (observabilityChanged) await this.restartObservability(next, reportingWith);
    this.conditions.clear('reload', { configFile: path });
    this.log.info({ stopped: outgoing.length, started: built.length, running: this.flows.size }, 'configuration reloaded');
  }

  /** Starts flows again from their checkpoints; one that cannot start is recorded as failed (unhealthy). */
  private async restoreFlows(configs: FlowConfig[], agent: AgentConfig): Promise<void> {
    for (const flowConfig of configs) {
      let flow: Flow | undefined;
      try {
        flow = this.buildFlow(flowConfig, agent);
        this.flows.set(flowConfig.id, flow);
        await this.launch(flow, agent);
      } catch (err) {
        if (flow) {
          await flow.stop(performance.now());
          this.flows.delete(flowConfig.id);
        }
        this.markFailed(flowConfig, err);
      }
    }
  }

  private markFailed(config: FlowConfig, err: unknown): void {
    const reason = describe(err);
    this.failed.set(config.id, { config, since: Date.now(), reason, events: new FlowEvents() });
    this.log.error({ flow: config.id, err: reason }, 'flow lost: it could not be started again; a reload with a configuration that works restarts it');
  }

  private async stopObservability(): Promise<void> {
    const o = this.observability;
    this.observability = undefined;
    this.observedWith = undefined;
    await o?.stop().catch(() => undefined);
  }

  /**
   * After a reload: a status server that cannot listen with the new
   * settings (a port in use) is started again with the ones it had
   * (`fallback`), so /healthz and /status stay where probes look for them
   * and show the problem; every later reload tries the new settings again.
   */
  private async restartObservability(config: AgentConfig, fallback: AgentConfig | undefined): Promise<void> {
    await this.stopObservability();
    try {
      await this.startObservability(config);
      this.conditions.clear('observability');
      return;
    } catch (err) {
      let kept = false;
      if (fallback) {
        try {
          await this.startObservability(fallback);
          kept = true;
        } catch {
          // Neither the new settings nor the previous ones: run without.
        }
      }
      // Each reload that fails to apply them gets its line, like a failed reload.
      this.conditions.forget('observability');
      this.conditions.raise('observability', {
        state: isAgentError(err) ? err.code : 'ERROR',
        level: 'error',
        fields: { err: describe(err), ...(kept && fallback?.http ? { stillListening: `${fallback.http.host}:${fallback.http.port}` } : {}) },
        message: kept
          ? 'cannot start /metrics, /healthz and /status with the reloaded settings; still serving them with the previous ones until a reload works'
          : 'cannot start /metrics, /healthz and /status after the reload; running without them until a reload works',
      });
    }
  }

  /** One error line naming what failed, and a /status problem until a reload works. */
  private reloadFailed(step: 'load' | 'plan' | 'build' | 'start' | 'unexpected', err: unknown, message: string): void {
    // Each failed SIGHUP gets its line, even the same failure again: the
    // operator just asked for it (a retry loop would not come through here).
    this.conditions.forget('reload');
    this.conditions.raise('reload', {
      state: `${step}:${isAgentError(err) ? err.code : 'ERROR'}`,
      level: 'error',
      fields: { step, err: describe(err) },
      message,
      clearedMessage: 'reload works again',
    });
  }

  /** Every configured flow, running or not, in configuration order. */
  private observed(): ObservedFlow[] {
    const out: ObservedFlow[] = [];
    for (const flowConfig of this.config.flows) {
      const flow = this.flows.get(flowConfig.id);
      if (flow) {
        out.push(observe(flow));
        continue;
      }
      const failed = this.failed.get(flowConfig.id);
      if (failed) {
        out.push({
          id: flowConfig.id,
          destination: flowConfig.destination,
          metrics: failed.events,
          state: { kind: 'failed', since: failed.since, reason: failed.reason },
          files: () => [],
        });
      }
    }
    // Flows of a reload under way that the current configuration does not list yet.
    for (const [id, flow] of this.flows) if (!this.config.flows.some((f) => f.id === id)) out.push(observe(flow));
    return out;
  }

}

function describe(err: unknown): string {
  return isAgentError(err) ? err.toLine() : err instanceof Error ? err.message : String(err);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
}
