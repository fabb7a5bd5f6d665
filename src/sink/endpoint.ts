/** Endpoint and region of a flow's destination: the flow's override, else the agent's. */
import type { AgentConfig, FlowConfig } from '../config/types.js';

const REGION_LABEL = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

export interface ResolvedEndpoint {
  endpoint: string | undefined;
  region: string;
}

export function resolveEndpoint(flow: FlowConfig, agent: AgentConfig, env: NodeJS.ProcessEnv = process.env): ResolvedEndpoint {
  const service = agent[flow.destination.kind];
  const endpoint = flow.endpoint ?? service.endpoint;
  let fromHost: string | undefined;
  if (endpoint) {
    try {
      fromHost = new URL(endpoint).hostname.split('.').find((label) => REGION_LABEL.test(label));
    } catch {
      fromHost = undefined;
    }
  }
  const region = flow.region ?? service.region ?? fromHost ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1');
  return { endpoint, region };
}
