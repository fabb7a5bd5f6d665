/**
 * A flow's endpoint and region for its SDK client. The rule is
 * src/config/region.ts resolveTarget, which config loading has already
 * applied to every flow (so this returns the flow's own values); it is
 * applied here too for flows built in code without loading a config.
 */
import { flowTarget, LAST_RESORT_REGION } from '../config/region.js';
import type { AgentConfig, FlowConfig } from '../config/types.js';

export interface ResolvedEndpoint {
  endpoint: string | undefined;
  region: string;
}

export function resolveEndpoint(flow: FlowConfig, agent: AgentConfig): ResolvedEndpoint {
  const { endpoint, region } = flowTarget(flow, agent, agent.defaultRegion ?? LAST_RESORT_REGION);
  return { endpoint, region };
}
