/**
 * The one client for the EC2 instance metadata service, used by
 * ADDEC2METADATA, the CloudWatch `Instance` dimension and the region chain:
 * IMDSv2 (a session token from PUT /latest/api/token, then GETs carrying
 * it), falling back to IMDSv1 where the token PUT is unknown, at the IPv4 or
 * IPv6 address as the AWS SDKs choose it. Every request has a short timeout
 * because off EC2 the address usually answers nothing at all.
 */
export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';
export const DEFAULT_IMDS_ENDPOINT_IPV6 = 'http://[fd00:ec2::254]';
const TOKEN_TTL_SECONDS = '21600';

export interface InstanceIdentity {
  privateIp?: string;
  availabilityZone?: string;
  instanceId?: string;
  instanceType?: string;
  accountId?: string;
  imageId?: string;
  region?: string;
}

export interface InstanceMetadata {
  identity: InstanceIdentity;
  /** Instance tags, keys lower-cased as the Kinesis Agent does; undefined when not asked for or not exposed. */
  tags?: [string, string][];
  /** Why tags are missing when they were asked for. */
  tagsProblem?: string;
}

export class ImdsError extends Error {
  readonly status: number | undefined;

  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImdsError';
    this.status = status;
  }
}

/**
 * ctx endpoint, else AWS_EC2_METADATA_SERVICE_ENDPOINT, else the link-local
 * address (its IPv6 form when AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is IPv6,
 * as the AWS SDKs read it).
 */
export function resolveImdsEndpoint(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const ipv6 = env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE?.toLowerCase() === 'ipv6';
  const url = explicit ?? (env.AWS_EC2_METADATA_SERVICE_ENDPOINT || undefined) ?? (ipv6 ? DEFAULT_IMDS_ENDPOINT_IPV6 : DEFAULT_IMDS_ENDPOINT);
  return url.replace(/\/+$/, '');
}

/** AWS_EC2_METADATA_DISABLED=true, as the AWS SDKs read it. */
export function imdsDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.AWS_EC2_METADATA_DISABLED?.toLowerCase() === 'true';
}

/** A client for the endpoint the environment names, or undefined when metadata is disabled there. */
export function imdsClientFor(env: NodeJS.ProcessEnv = process.env, timeoutMs = 1000): ImdsClient | undefined {
  return imdsDisabled(env) ? undefined : new ImdsClient(resolveImdsEndpoint(undefined, env), timeoutMs);
}

export class ImdsClient {
  private readonly endpoint: string;
  private readonly timeoutMs: number;

  constructor(endpoint: string, timeoutMs = 1000) {
    this.endpoint = endpoint;
    this.timeoutMs = timeoutMs;
  }

  private async request(method: string, path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      return await fetch(this.endpoint + path, {
        method,
        headers,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: 'error',
      });
    } catch (err) {
      throw new ImdsError(`${method} ${path} failed: ${(err as Error).message}`, undefined, { cause: err });
    }
  }

  /** A session token, or undefined where only IMDSv1 is served (the PUT is unknown there). */
  async token(signal?: AbortSignal): Promise<string | undefined> {
    const res = await this.request('PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS }, signal);
    const body = await res.text();
    if (res.ok) return body;
    if (res.status === 404 || res.status === 405) return undefined;
    throw new ImdsError(`PUT /latest/api/token answered ${res.status}`, res.status);
  }

  /** The body of a GET, or undefined on 404. */
  async get(path: string, token: string | undefined, signal?: AbortSignal): Promise<string | undefined> {
    const res = await this.request('GET', path, token ? { 'X-aws-ec2-metadata-token': token } : {}, signal);
    const body = await res.text();
    if (res.ok) return body;
    if (res.status === 404) return undefined;
    throw new ImdsError(`GET ${path} answered ${res.status}`, res.status);
  }

  /** One metadata value (`/latest/meta-data/<path>`), trimmed; undefined when absent or unreachable. */
  async metadata(path: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const token = await this.token(signal);
      return (await this.get(`/latest/meta-data/${path}`, token, signal))?.trim();
    } catch {
      return undefined;
    }
  }

  async fetchMetadata(withTags: boolean, signal?: AbortSignal): Promise<InstanceMetadata> {
    const token = await this.token(signal);
    const doc = await this.get('/latest/dynamic/instance-identity/document', token, signal);
    if (doc === undefined) throw new ImdsError('no instance identity document', 404);
    let identity: InstanceIdentity;
    try {
      identity = JSON.parse(doc) as InstanceIdentity;
    } catch (err) {
      throw new ImdsError('instance identity document is not JSON', undefined, { cause: err });
    }
    const result: InstanceMetadata = { identity };
    if (withTags) {
      const list = await this.get('/latest/meta-data/tags/instance', token, signal);
      if (list === undefined) {
        result.tagsProblem = 'instance tags are not exposed in instance metadata';
      } else {
        const tags: [string, string][] = [];
        for (const key of list.split('\n').map((k) => k.trim()).filter((k) => k.length > 0)) {
          const value = await this.get(`/latest/meta-data/tags/instance/${encodeURIComponent(key)}`, token, signal);
          if (value !== undefined) tags.push([key.toLowerCase(), value]);
        }
        result.tags = tags;
      }
    }
    return result;
  }
}
