/** Endpoints and regions, resolved the way the Kinesis Agent's users write them, in one place. */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DestinationKind } from '../sink/destinations.js';
import type { StreamArn } from '../sink/descriptor.js';
import type { AgentConfig, FlowConfig } from './types.js';

export const DEFAULT_REGION = 'us-east-1';

export type EndpointResult = { ok: true; url: string } | { ok: false; message: string; hint: string };

/** `kinesis.us-east-1.amazonaws.com` (the agent docs' spelling) gets `https://`. */
export function normalizeEndpoint(raw: string): EndpointResult {
  const text = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { ok: false, message: `\`${raw}\` is not a valid endpoint URL`, hint: 'write a host such as kinesis.us-west-2.amazonaws.com or a URL such as http://127.0.0.1:4567' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, message: `\`${raw}\` uses ${url.protocol}, not http: or https:`, hint: 'endpoints are http:// or https:// URLs' };
  }
  return { ok: true, url: withScheme };
}

const REGION_LABEL = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

/** `https://kinesis.us-west-2.amazonaws.com` -> `us-west-2`; undefined for hosts without one. */
export function regionFromEndpoint(endpoint: string | undefined): string | undefined {
  if (!endpoint) return undefined;
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    return undefined;
  }
  return host.split('.').find((label) => REGION_LABEL.test(label));
}

export const REGION_SHAPE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Where the agent-wide default region came from. */
export type RegionSource = 'AWS_REGION' | 'AWS_DEFAULT_REGION' | 'profile' | 'instance metadata' | 'default';

export interface DefaultRegion {
  region: string;
  source: RegionSource;
}

/**
 * Nothing anywhere names a region: the Kinesis Agent's clients (AWS SDK for
 * Java 1.x, built without a region) use us-east-1 then, and so does this
 * agent, with a warning.
 */
export const LAST_RESORT_REGION: DefaultRegion = { region: DEFAULT_REGION, source: 'default' };

/**
 * The part of the AWS SDKs' region chain that needs no network:
 * AWS_REGION, AWS_DEFAULT_REGION, then `region` of the profile
 * (AWS_PROFILE, else `default`) in the shared config file (AWS_CONFIG_FILE,
 * else ~/.aws/config). undefined when none names one.
 */
export function regionFromEnvOrProfile(env: NodeJS.ProcessEnv): DefaultRegion | undefined {
  if (env.AWS_REGION) return { region: env.AWS_REGION, source: 'AWS_REGION' };
  if (env.AWS_DEFAULT_REGION) return { region: env.AWS_DEFAULT_REGION, source: 'AWS_DEFAULT_REGION' };
  const file = env.AWS_CONFIG_FILE || join(env.HOME || homedir(), '.aws', 'config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const region = profileRegion(text, env.AWS_PROFILE || 'default');
  return region && REGION_SHAPE.test(region) ? { region, source: 'profile' } : undefined;
}

/** `region` of a profile in shared-config INI text: `[default]` or `[profile NAME]`. */
export function profileRegion(text: string, profile: string): string | undefined {
  let inProfile = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const section = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (section) {
      const name = section[1]!.replace(/^profile\s+/, '');
      inProfile = name === profile && (profile === 'default' || section[1]!.startsWith('profile '));
      continue;
    }
    const kv = /^region\s*=\s*(\S+)$/.exec(line);
    if (inProfile && kv) return kv[1];
  }
  return undefined;
}

/** What decides a destination's endpoint and region (the parts of FlowConfig and AgentConfig it reads). */
export interface TargetInputs {
  kind: DestinationKind;
  /** The flow's own `kinesis.endpoint` / `kinesis.region` (or firehose.), region already including its endpoint's host. */
  flowEndpoint: string | undefined;
  flowRegion: string | undefined;
  arn: StreamArn | undefined;
  /** The agent's `kinesis.endpoint` / `kinesis.region` (or firehose.), region including its endpoint's host. */
  serviceEndpoint: string | undefined;
  serviceRegion: string | undefined;
  defaultRegion: DefaultRegion;
}

/**
 * The one rule for a destination's endpoint and region:
 * endpoint: the flow's, else the agent's, else the SDK's for the region;
 * region: the flow's (or its endpoint's host), else the ARN's when no
 * endpoint is set anywhere, else the agent's (or its endpoint's host), else
 * the ARN's, else the default chain (AWS_REGION, AWS_DEFAULT_REGION, the
 * profile, instance metadata, us-east-1).
 */
export function resolveTarget(t: TargetInputs): { endpoint: string | undefined; region: string; usedDefault: boolean } {
  const endpoint = t.flowEndpoint ?? t.serviceEndpoint;
  const specific = t.flowRegion ?? (endpoint === undefined ? t.arn?.region : undefined) ?? t.serviceRegion ?? t.arn?.region;
  return { endpoint, region: specific ?? t.defaultRegion.region, usedDefault: specific === undefined };
}

/** resolveTarget for one flow of an agent config. */
export function flowTarget(flow: FlowConfig, agent: AgentConfig, defaultRegion: DefaultRegion): ReturnType<typeof resolveTarget> {
  const service = agent[flow.destination.kind];
  return resolveTarget({
    kind: flow.destination.kind,
    flowEndpoint: flow.endpoint,
    flowRegion: flow.region,
    arn: flow.destination.arn,
    serviceEndpoint: service.endpoint,
    serviceRegion: service.region,
    defaultRegion,
  });
}

/**
 * Every flow's endpoint and region resolved once (resolveTarget), and the
 * CloudWatch region, with the default chain's answer where nothing more
 * specific names one. `usedDefault`: some destination fell through to it.
 */
export function withResolvedTargets(config: AgentConfig, defaultRegion: DefaultRegion): { config: AgentConfig; usedDefault: boolean } {
  let usedDefault = false;
  const flows = config.flows.map((flow): FlowConfig => {
    const t = flowTarget(flow, config, defaultRegion);
    if (t.usedDefault) usedDefault = true;
    const out: FlowConfig = { ...flow, region: t.region };
    if (t.endpoint !== undefined) out.endpoint = t.endpoint;
    return out;
  });
  const cloudwatch = { ...config.cloudwatch };
  if (cloudwatch.region === undefined) {
    cloudwatch.region = defaultRegion.region;
    if (cloudwatch.emitMetrics) usedDefault = true;
  }
  return { config: { ...config, flows, cloudwatch, defaultRegion }, usedDefault };
}
