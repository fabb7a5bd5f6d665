/** Endpoints and regions, resolved the way the Kinesis Agent's users write them. */

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

/** Explicit, else from the endpoint host, else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1. */
export function resolveRegion(explicit: string | undefined, endpoint: string | undefined, env: NodeJS.ProcessEnv): string {
  return (
    explicit ??
    regionFromEndpoint(endpoint) ??
    (env.AWS_REGION || undefined) ??
    (env.AWS_DEFAULT_REGION || undefined) ??
    DEFAULT_REGION
  );
}

export const REGION_SHAPE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
