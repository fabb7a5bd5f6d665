import type { AgentConfig, FlowConfig } from './config/types.js';
import { AgentError } from './errors.js';

/** What a reload does with each flow, by id. */
export interface ReloadPlan {
  /** Running, and the same in the new configuration: left alone, keeping their place. */
  keep: string[];
  /** Running, and changed or removed (or the agent-wide settings changed): drained and stopped. */
  stop: string[];
  /** In the new configuration and not kept: built, then started from their checkpoints. */
  start: FlowConfig[];
}

/**
 * Decides a reload (SIGHUP): a flow is kept only when it runs now, is still
 * configured, has the same shape (everything but where it is written), and
 * the agent-wide settings are the same; every other configured flow (new,
 * changed, or one that failed before) starts. Pure; `running` maps the id of
 * each running flow to its configuration.
 */
export function planReload(current: AgentConfig, running: ReadonlyMap<string, FlowConfig>, next: AgentConfig): ReloadPlan {
  const agentChanged = agentSettingsChanged(current, next);
  const nextById = new Map(next.flows.map((f) => [f.id, f]));
  const keep: string[] = [];
  const stop: string[] = [];
  for (const [id, config] of running) {
    const wanted = nextById.get(id);
    if (wanted && !agentChanged && fingerprint(flowShape(wanted)) === fingerprint(flowShape(config))) keep.push(id);
    else stop.push(id);
  }
  const start = next.flows.filter((f) => !keep.includes(f.id));
  return { keep, stop, start };
}

/**
 * Whether an agent-wide setting the flows use differs (credentials,
 * endpoints, network, shutdownTimeoutMillis...): every flow restarts then.
 * What only the agent's own reporting reads (`log.*`, `http.*`,
 * `cloudwatch.*`: see observabilitySettingsChanged) is not one of them, so
 * changing a log level or the status port leaves every flow in its place.
 */
export function agentSettingsChanged(a: AgentConfig, b: AgentConfig): boolean {
  return fingerprint(flowSettings(a)) !== fingerprint(flowSettings(b));
}

/**
 * Whether the metrics, the status server and the progress log must start
 * again: any agent-wide setting differs (CloudWatch uses the credentials
 * and the network settings too), `log.*`, `http.*` or `cloudwatch.*`
 * included. Pure.
 */
export function observabilitySettingsChanged(a: AgentConfig, b: AgentConfig): boolean {
  return fingerprint(withoutFlows(a)) !== fingerprint(withoutFlows(b));
}

function withoutFlows(config: AgentConfig): Omit<AgentConfig, 'flows' | 'dropInFiles' | 'warnings'> {
  const { flows: _flows, dropInFiles: _dropIns, warnings: _warnings, ...rest } = config;
  return rest;
}

function flowSettings(config: AgentConfig): Omit<AgentConfig, 'flows' | 'dropInFiles' | 'warnings' | 'log' | 'http' | 'cloudwatch'> {
  const { log: _log, http: _http, cloudwatch: _cloudwatch, ...rest } = withoutFlows(config);
  return rest;
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

/**
 * Settings used once, when the agent starts (the checkpoint store is opened
 * with them and shared by every flow), so a reload cannot apply them.
 */
const READ_AT_START = ['checkpointFile', 'checkpointTimeToLiveDays'] as const;

/** A reload that changes a setting read only at start: refused whole, so nothing half-applies. */
export class ReloadNeedsRestartError extends AgentError {
  constructor(readonly changes: ReadonlyArray<{ key: string; from: unknown; to: unknown }>) {
    super(
      'RELOAD_NEEDS_RESTART',
      changes.map((c) => `${c.key} changed from ${String(c.from)} to ${String(c.to)}`).join('; ') + ': a reload cannot apply it, it is read at start',
      `restart the agent (systemctl restart kinesis-agent) to use it, or set it back to reload the rest; move the checkpoint file there first to keep each file's progress`,
    );
  }
}

/**
 * Which settings read only at start (checkpointFile,
 * checkpointTimeToLiveDays) differ between the running configuration and
 * the new one; a reload goes ahead only when none does. Pure.
 */
export function settingsReadAtStartChanged(current: AgentConfig, next: AgentConfig): Array<{ key: string; from: unknown; to: unknown }> {
  return READ_AT_START.filter((key) => current[key] !== next[key]).map((key) => ({ key, from: current[key], to: next[key] }));
}
