import type { AgentConfig, FlowConfig } from './config/types.js';

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

/** Whether anything but the flows differs (credentials, endpoints, http, cloudwatch...). */
export function agentSettingsChanged(a: AgentConfig, b: AgentConfig): boolean {
  return fingerprint(withoutFlows(a)) !== fingerprint(withoutFlows(b));
}

function withoutFlows(config: AgentConfig): Omit<AgentConfig, 'flows' | 'dropInFiles' | 'warnings'> {
  const { flows: _flows, dropInFiles: _dropIns, warnings: _warnings, ...rest } = config;
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
