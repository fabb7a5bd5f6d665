/** The top level of a config file: everything but `flows`, into AgentConfig. */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { perDestination } from '../sink/destinations.js';
import { KINESIS_AGENT_CHECKPOINT_DB, TOP, TOP_NO_EFFECT, TOP_ROWS } from './agent-keys.js';
import type { AgentConfig } from './types.js';
import type { FlatMap } from './flatten.js';
import { rowsOf, type KeyRow } from './key-row.js';
import type { ProblemList } from './problems.js';
import { Reader } from './reader.js';
import { readEndpoint, readServiceKeys } from './service-keys.js';

export const DEFAULT_CHECKPOINT_FILE = TOP.checkpointFile.default;
/** Where the status server listens when `http.listen` names only a port. */
const DEFAULT_HTTP_HOST = '127.0.0.1';

export type AgentTop = Omit<AgentConfig, 'configFile' | 'dropInFiles' | 'flows'>;

/** The top level of a config file, each key read through its row (agent-keys.ts). */
export function readTop(flat: FlatMap, problems: ProblemList, file: string, env: NodeJS.ProcessEnv, pos: { line: number; column: number } | undefined): AgentTop {
  const r = new Reader(flat, problems, '', pos);
  const warnings: string[] = [];
  r.warnUnknown(TOP_ROWS.map((row) => row.name));
  for (const row of rowsOf(TOP_NO_EFFECT)) {
    if (r.has(row.name)) warnings.push(`${problems.file}:${r.entry(row.name)?.keyPos?.line ?? '?'} ${row.name} has no effect here: ${row.noEffect}`);
    // Typed even when without effect: the agent would reject a bad value too.
    r.read(row);
  }
  const maxSendingThreads = r.read(TOP_NO_EFFECT.maxSendingThreads);

  const baseDir = dirname(file);
  const checkpointRaw = r.read(TOP.checkpointFile);
  const checkpointFile = isAbsolute(checkpointRaw) ? checkpointRaw : resolvePath(baseDir, checkpointRaw);
  const importRaw = r.read(TOP.importCheckpointsFrom);
  const importCheckpoints =
    importRaw === undefined
      ? { path: KINESIS_AGENT_CHECKPOINT_DB, explicit: false }
      : importRaw === ''
        ? undefined
        : { path: isAbsolute(importRaw) ? importRaw : resolvePath(baseDir, importRaw), explicit: true };

  // Only what the config says; the default chain is applied once per flow (region.ts resolveTarget).
  const destinations = perDestination((d) => readServiceKeys(r, d.keys.service));
  const stsEndpoint = readEndpoint(r, TOP['sts.endpoint']);

  const cloudwatch: AgentConfig['cloudwatch'] = {
    emitMetrics: r.read(TOP['cloudwatch.emitMetrics']),
    namespace: r.read(TOP['cloudwatch.namespace']),
    tagInstance: r.read(TOP['cloudwatch.tagInstance']),
    metricsBufferTimeMillis: r.read(TOP['cloudwatch.metricsBufferTimeMillis']),
    ...readServiceKeys(r, [TOP['cloudwatch.endpoint'], TOP['cloudwatch.region']]),
  };

  const credentials: AgentConfig['credentials'] = {};
  const cred = (row: KeyRow & { type: 'string' }, field: keyof AgentConfig['credentials']) => {
    const v = r.read(row);
    if (v !== undefined) credentials[field] = v;
  };
  cred(TOP.awsAccessKeyId, 'accessKeyId');
  cred(TOP.awsSecretAccessKey, 'secretAccessKey');
  cred(TOP.awsSessionToken, 'sessionToken');
  cred(TOP.assumeRoleARN, 'assumeRoleARN');
  cred(TOP.assumeRoleExternalId, 'assumeRoleExternalId');
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
  const proxyRaw = r.read(TOP.proxy);
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

  const caFileRaw = r.read(TOP['tls.caFile']);
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

  const level = r.read(TOP['log.level']);

  let http: AgentConfig['http'];
  const listen = r.read(TOP['http.listen']);
  const unhealthyAfterMillis = r.read(TOP['http.unhealthyAfterMillis']);
  if (listen !== undefined) {
    const parsed = parseListen(listen);
    if (parsed) http = { ...parsed, unhealthyAfterMillis };
    else r.fail('http.listen', `\`${listen}\` is not host:port`, 'write 127.0.0.1:9090, :9090 (loopback) or 0.0.0.0:9090 (all interfaces)');
  } else if (r.has('http.unhealthyAfterMillis')) {
    warnings.push(`${problems.file}:${r.entry('http.unhealthyAfterMillis')?.keyPos?.line ?? '?'} http.unhealthyAfterMillis has no effect without http.listen`);
  }

  // As in the Kinesis Agent: more sending threads than connections would wait for one.
  const maxConnections = { ...TOP.maxConnections, default: Math.max(TOP.maxConnections.default, maxSendingThreads ?? 0) };

  const out: AgentTop = {
    checkpointFile,
    importCheckpoints,
    checkpointTimeToLiveDays: r.read(TOP.checkpointTimeToLiveDays),
    shutdownTimeoutMillis: r.read(TOP.shutdownTimeoutMillis),
    ...destinations,
    sts: stsEndpoint ? { endpoint: stsEndpoint } : {},
    cloudwatch,
    credentials,
    log: {
      level,
      statusReportingPeriodSeconds: r.read(TOP['log.statusReportingPeriodSeconds']),
    },
    connection: {
      connectionTimeoutMillis: r.read(TOP.connectionTimeoutMillis),
      socketTimeoutMillis: r.read(TOP.socketTimeoutMillis),
      maxConnections: r.read(maxConnections),
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
  let host = DEFAULT_HTTP_HOST;
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
