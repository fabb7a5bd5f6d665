/** The top level of a config file: everything but `flows`, into AgentConfig. */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { DESTINATION_LIST, perDestination } from '../sink/destinations.js';
import type { AgentConfig, ServiceEndpoint } from './types.js';
import type { FlatMap } from './flatten.js';
import type { ProblemList } from './problems.js';
import { Reader } from './reader.js';
import { normalizeEndpoint, regionFromEndpoint, REGION_SHAPE } from './region.js';

export const DEFAULT_CHECKPOINT_FILE = '/var/lib/kinesis-agent/checkpoints';
/** The Kinesis Agent's default checkpointFile (its AgentConfiguration.java): imported from when present. */
export const KINESIS_AGENT_CHECKPOINT_DB = '/var/run/aws-kinesis-agent/checkpoints';

export const AGENT_DEFAULTS = {
  checkpointTimeToLiveDays: 7,
  shutdownTimeoutMillis: 10_000,
  cloudwatchEmitMetrics: true,
  cloudwatchNamespace: 'AWSKinesisAgent',
  cloudwatchTagInstance: false,
  cloudwatchMetricsBufferTimeMillis: 30_000,
  logStatusReportingPeriodSeconds: 30,
  /** AWS SDK for Java 1.x ClientConfiguration defaults, which the agent inherits. */
  connectionTimeoutMillis: 10_000,
  socketTimeoutMillis: 50_000,
  maxConnections: 50,
  httpHost: '127.0.0.1',
  httpUnhealthyAfterMillis: 60_000,
};

export const TOP_KEYS = [
  'flows',
  'checkpointFile',
  'checkpointTimeToLiveDays',
  'importCheckpointsFrom',
  'shutdownTimeoutMillis',
  ...DESTINATION_LIST.flatMap((d) => [`${d.kind}.endpoint`, `${d.kind}.region`]),
  'sts.endpoint',
  'cloudwatch.emitMetrics',
  'cloudwatch.endpoint',
  'cloudwatch.region',
  'cloudwatch.namespace',
  'cloudwatch.tagInstance',
  'cloudwatch.metricsBufferTimeMillis',
  'awsAccessKeyId',
  'awsSecretAccessKey',
  'awsSessionToken',
  'assumeRoleARN',
  'assumeRoleExternalId',
  'proxy',
  'tls.caFile',
  'log.level',
  'log.statusReportingPeriodSeconds',
  'http.listen',
  'http.unhealthyAfterMillis',
  'connectionTimeoutMillis',
  'socketTimeoutMillis',
  'maxConnections',
] as const;

/** Kinesis Agent keys accepted so that its agent.json loads unchanged, which change nothing here. */
export const TOP_NO_EFFECT: Record<string, string> = {
  maxSendingThreads: 'sends are asynchronous, not on threads; per-flow concurrency is `maxInFlightRequests` (it still raises the `maxConnections` default, as in the agent)',
  maxSendingThreadsPerCore: 'sends are asynchronous, not on threads; per-flow concurrency is `maxInFlightRequests`',
  sendingThreadsKeepAliveMillis: 'there is no sending thread pool',
  sendingThreadsMaxQueueSize: 'there is no sending thread pool; each flow\'s queue is bounded by `maxQueueBytes`',
  'cloudwatch.metricsQueueSize': 'metrics are counters aggregated in place, not queued datums',
  connectionTTLMillis: 'connections are kept alive and reused by the Node HTTP agent for their whole life',
  useTcpKeepAlive: 'the HTTP agent keeps connections alive already',
  useHttpGzip: 'Kinesis and Firehose requests are sent uncompressed by the AWS SDK for JavaScript',
  'log.file': 'logs go to stdout as JSON lines (journald or the container runtime keeps them)',
  'log.maxBackupIndex': 'logs go to stdout; rotation belongs to journald or logrotate',
  'log.maxFileSize': 'logs go to stdout; rotation belongs to journald or logrotate',
  'log.emitMetrics': 'progress is logged every `log.statusReportingPeriodSeconds` and metrics are served on /metrics',
  'log.emitInternalMetrics': 'per-flow counters are always kept and served on /metrics and /status',
  userAgent: 'requests carry the AWS SDK for JavaScript\'s user agent; a custom prefix is not sent',
  userAgentOverride: 'requests carry the AWS SDK for JavaScript\'s user agent; it cannot be replaced',
  'userDefinedCredentialsProvider.classname': 'Java credential provider classes cannot be loaded; use the default chain (environment, profile, web identity, instance role) or assumeRoleARN',
  'userDefinedCredentialsProvider.location': 'Java credential provider classes cannot be loaded; use the default chain (environment, profile, web identity, instance role) or assumeRoleARN',
  'checkpoints.queryTimeoutSeconds': 'checkpoints are one file replaced atomically (temp file, fsync, rename), not a SQLite database: there is no query to time out',
  'checkpoints.connectionTimeoutSeconds': 'checkpoints are one file replaced atomically (temp file, fsync, rename), not a SQLite database: there is no connection to time out',
};

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export type AgentTop = Omit<AgentConfig, 'configFile' | 'dropInFiles' | 'flows'>;

export function readTop(flat: FlatMap, problems: ProblemList, file: string, env: NodeJS.ProcessEnv, pos: { line: number; column: number } | undefined): AgentTop {
  const r = new Reader(flat, problems, '', pos);
  const warnings: string[] = [];
  r.warnUnknown([...TOP_KEYS, ...Object.keys(TOP_NO_EFFECT)]);
  for (const [key, why] of Object.entries(TOP_NO_EFFECT)) {
    if (r.has(key)) warnings.push(`${problems.file}:${r.entry(key)?.keyPos?.line ?? '?'} ${key} has no effect here: ${why}`);
  }
  // Typed even when without effect: the agent would reject a bad value too.
  const maxSendingThreads = r.optInt('maxSendingThreads', { min: 1 });
  r.optInt('maxSendingThreadsPerCore', { min: 1 });
  r.optInt('sendingThreadsKeepAliveMillis', { min: 0 });
  r.optInt('sendingThreadsMaxQueueSize', { min: 1 });
  r.optInt('cloudwatch.metricsQueueSize', { min: 1 });
  r.optInt('connectionTTLMillis', { min: -1 });
  r.optInt('log.maxBackupIndex', { min: -1 });
  r.optInt('log.maxFileSize', { min: -1 });
  r.optInt('checkpoints.queryTimeoutSeconds', { min: 0 });
  r.optInt('checkpoints.connectionTimeoutSeconds', { min: 0 });
  for (const k of ['useTcpKeepAlive', 'useHttpGzip', 'log.emitMetrics', 'log.emitInternalMetrics']) r.bool(k, false);
  for (const k of ['log.file', 'userAgent', 'userAgentOverride', 'userDefinedCredentialsProvider.classname', 'userDefinedCredentialsProvider.location']) r.str(k, { allowEmpty: true });

  const baseDir = dirname(file);
  const checkpointRaw = r.str('checkpointFile') ?? DEFAULT_CHECKPOINT_FILE;
  const checkpointFile = isAbsolute(checkpointRaw) ? checkpointRaw : resolvePath(baseDir, checkpointRaw);
  const importRaw = r.str('importCheckpointsFrom', { allowEmpty: true });
  const importCheckpoints =
    importRaw === undefined
      ? { path: KINESIS_AGENT_CHECKPOINT_DB, explicit: false }
      : importRaw === ''
        ? undefined
        : { path: isAbsolute(importRaw) ? importRaw : resolvePath(baseDir, importRaw), explicit: true };

  // The Kinesis Agent's own default config ships `"kinesis.endpoint": ""`: empty means the default endpoint.
  const endpoint = (key: string): string | undefined => {
    const raw = r.str(key, { allowEmpty: true });
    if (raw === undefined || raw.trim() === '') return undefined;
    const n = normalizeEndpoint(raw);
    if (n.ok) return n.url;
    r.fail(key, n.message, n.hint);
    return undefined;
  };
  const region = (key: string): string | undefined => {
    const v = r.str(key, { allowEmpty: true }) || undefined;
    if (v !== undefined && !REGION_SHAPE.test(v)) {
      r.fail(key, `\`${v}\` is not a region name`, 'write a region such as us-west-2');
      return undefined;
    }
    return v;
  };
  const service = (name: string): ServiceEndpoint => {
    const ep = endpoint(`${name}.endpoint`);
    const out: ServiceEndpoint = {};
    // Only what the config says; the default chain is applied once per flow (region.ts resolveTarget).
    const rg = region(`${name}.region`) ?? regionFromEndpoint(ep);
    if (rg) out.region = rg;
    if (ep) out.endpoint = ep;
    return out;
  };
  const destinations = perDestination((d) => service(d.kind));
  const stsEndpoint = endpoint('sts.endpoint');
  const cwEndpoint = endpoint('cloudwatch.endpoint');

  const cloudwatch: AgentConfig['cloudwatch'] = {
    emitMetrics: r.bool('cloudwatch.emitMetrics', AGENT_DEFAULTS.cloudwatchEmitMetrics),
    namespace: r.str('cloudwatch.namespace') ?? AGENT_DEFAULTS.cloudwatchNamespace,
    tagInstance: r.bool('cloudwatch.tagInstance', AGENT_DEFAULTS.cloudwatchTagInstance),
    metricsBufferTimeMillis: r.int('cloudwatch.metricsBufferTimeMillis', AGENT_DEFAULTS.cloudwatchMetricsBufferTimeMillis, { min: 1 }),
  };
  if (cwEndpoint) cloudwatch.endpoint = cwEndpoint;
  const cwRegion = region('cloudwatch.region') ?? regionFromEndpoint(cwEndpoint);
  if (cwRegion) cloudwatch.region = cwRegion;

  const credentials: AgentConfig['credentials'] = {};
  const cred = (key: string, field: keyof AgentConfig['credentials']) => {
    const v = r.str(key);
    if (v !== undefined) credentials[field] = v;
  };
  cred('awsAccessKeyId', 'accessKeyId');
  cred('awsSecretAccessKey', 'secretAccessKey');
  cred('awsSessionToken', 'sessionToken');
  cred('assumeRoleARN', 'assumeRoleARN');
  cred('assumeRoleExternalId', 'assumeRoleExternalId');
  if ((credentials.accessKeyId === undefined) !== (credentials.secretAccessKey === undefined)) {
    const missing = credentials.accessKeyId === undefined ? 'awsAccessKeyId' : 'awsSecretAccessKey';
    r.failKey(missing === 'awsAccessKeyId' ? 'awsSecretAccessKey' : 'awsAccessKeyId', `is given without \`${missing}\``, 'give both keys, or neither to use the default credential chain');
  }
  if (credentials.sessionToken !== undefined && credentials.accessKeyId === undefined) {
    r.failKey('awsSessionToken', 'is given without `awsAccessKeyId` and `awsSecretAccessKey`', 'a session token belongs with a key pair');
  }
  if (credentials.assumeRoleExternalId !== undefined && credentials.assumeRoleARN === undefined) {
    r.failKey('assumeRoleExternalId', 'is given without `assumeRoleARN`', 'the external id is sent when assuming that role');
  }

  let proxy: string | undefined;
  const proxyRaw = r.str('proxy');
  if (proxyRaw !== undefined) {
    try {
      const u = new URL(proxyRaw);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      proxy = proxyRaw;
    } catch {
      // The URL may carry a password: never quote it back.
      r.fail('proxy', 'is not an http:// or https:// URL', 'write proxy: http://proxy.example:3128');
    }
  }

  const caFileRaw = r.str('tls.caFile');
  let caCertificates: string | undefined;
  if (caFileRaw !== undefined) {
    const caFile = isAbsolute(caFileRaw) ? caFileRaw : resolvePath(baseDir, caFileRaw);
    const hint = 'give a PEM file of CA certificates (-----BEGIN CERTIFICATE-----), e.g. your TLS-inspecting proxy\'s root CA';
    let text: string | undefined;
    try {
      text = readFileSync(caFile, 'utf8');
    } catch (err) {
      r.fail('tls.caFile', `cannot read ${caFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, hint);
    }
    if (text !== undefined) {
      if (text.includes('-----BEGIN CERTIFICATE-----')) caCertificates = text;
      else r.fail('tls.caFile', `${caFile} holds no PEM certificate`, hint);
    }
  }

  const levelRaw = r.str('log.level');
  let level: AgentConfig['log']['level'] = 'info';
  if (levelRaw !== undefined) {
    const l = levelRaw.trim().toLowerCase();
    const found = LOG_LEVELS.find((x) => x === l);
    if (found) level = found;
    else r.fail('log.level', `\`${levelRaw}\` is not a log level`, `use one of ${LOG_LEVELS.join(', ')} (any case; the agent's TRACE..ERROR work)`);
  }

  let http: AgentConfig['http'];
  const listen = r.str('http.listen');
  const unhealthyAfterMillis = r.int('http.unhealthyAfterMillis', AGENT_DEFAULTS.httpUnhealthyAfterMillis, { min: 1000 });
  if (listen !== undefined) {
    const parsed = parseListen(listen);
    if (parsed) http = { ...parsed, unhealthyAfterMillis };
    else r.fail('http.listen', `\`${listen}\` is not host:port`, 'write 127.0.0.1:9090, :9090 (loopback) or 0.0.0.0:9090 (all interfaces)');
  } else if (r.has('http.unhealthyAfterMillis')) {
    warnings.push(`${problems.file}:${r.entry('http.unhealthyAfterMillis')?.keyPos?.line ?? '?'} http.unhealthyAfterMillis has no effect without http.listen`);
  }

  const maxConnectionsDefault = Math.max(AGENT_DEFAULTS.maxConnections, maxSendingThreads ?? 0);

  const out: AgentTop = {
    checkpointFile,
    importCheckpoints,
    checkpointTimeToLiveDays: r.int('checkpointTimeToLiveDays', AGENT_DEFAULTS.checkpointTimeToLiveDays, { min: 1 }),
    shutdownTimeoutMillis: r.int('shutdownTimeoutMillis', AGENT_DEFAULTS.shutdownTimeoutMillis, { min: 1 }),
    ...destinations,
    sts: stsEndpoint ? { endpoint: stsEndpoint } : {},
    cloudwatch,
    credentials,
    log: {
      level,
      statusReportingPeriodSeconds: r.int('log.statusReportingPeriodSeconds', AGENT_DEFAULTS.logStatusReportingPeriodSeconds, { min: 1 }),
    },
    connection: {
      connectionTimeoutMillis: r.int('connectionTimeoutMillis', AGENT_DEFAULTS.connectionTimeoutMillis, { min: 1 }),
      socketTimeoutMillis: r.int('socketTimeoutMillis', AGENT_DEFAULTS.socketTimeoutMillis, { min: 1 }),
      maxConnections: r.int('maxConnections', maxConnectionsDefault, { min: 1 }),
      ...(caCertificates ? { caCertificates } : {}),
    },
    warnings,
  };
  if (proxy) out.proxy = proxy;
  if (http) out.http = http;
  return out;
}

/** `host:port`, `:port`, `port` or `[v6]:port`; the host defaults to loopback. */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const t = text.trim();
  let host = AGENT_DEFAULTS.httpHost;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(t);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
  } else if (/^\d+$/.test(t)) {
    portText = t;
  } else {
    const i = t.lastIndexOf(':');
    if (i === -1) return undefined;
    const h = t.slice(0, i);
    portText = t.slice(i + 1);
    if (h.includes(':')) return undefined;
    if (h !== '') host = h;
  }
  if (!/^\d+$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  return { host, port };
}
