/**
 * The top-level keys of a config file, one row each (key-row.ts): what
 * agent.ts reads, the JSON Schema and docs/configuration.md show. Defaults
 * are the Kinesis Agent's (its AgentConfiguration.java) unless a row says it
 * differs; each destination's endpoint and region rows are its own
 * (src/sink/<kind>/options.ts).
 */
import { DESTINATION_LIST } from '../sink/destinations.js';
import { keyTable, rowsOf, type KeyRow } from './key-row.js';

/** The Kinesis Agent's default checkpointFile (its AgentConfiguration.java): imported from when present. */
export const KINESIS_AGENT_CHECKPOINT_DB = '/var/run/aws-kinesis-agent/checkpoints';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Ours and the Kinesis Agent's keys that take effect. */
export const TOP = keyTable({
  flows: { type: 'list', required: true, description: 'The list of flows (see Flow keys). Required, unless `agent.d/` adds them.' },
  checkpointFile: {
    type: 'string',
    unit: 'path',
    default: '/var/lib/kinesis-agent/checkpoints',
    description: 'Where read positions are kept. Relative paths are relative to the config file.',
    differs: `the Kinesis Agent's \`${KINESIS_AGENT_CHECKPOINT_DB}\` is lost on reboot`,
  },
  checkpointTimeToLiveDays: { type: 'int', default: 7, min: 1, unit: 'days', description: 'Checkpoints of files not seen for this long are dropped.' },
  importCheckpointsFrom: {
    type: 'string',
    unit: 'path',
    allowEmpty: true,
    ours: true,
    defaultText: `\`${KINESIS_AGENT_CHECKPOINT_DB}\`, read when it exists`,
    description:
      'The Kinesis Agent\'s checkpoint database to take each new flow\'s positions from, once (README: Migrating from the Kinesis Agent). Named here, a database that cannot be read stops the start (exit 2). `""` turns the import off.',
  },
  shutdownTimeoutMillis: {
    type: 'int',
    default: 10_000,
    min: 1,
    belowMin: 'the Kinesis Agent does not wait for sends still running at a stop then (Agent.shutDown waits only while time remains); 1 ms is the shortest wait here',
    unit: 'ms',
    description: 'How long a stop waits for in-flight sends and the last checkpoint.',
  },
  'sts.endpoint': { type: 'string', unit: 'URL', allowEmpty: true, defaultText: 'the SDK\'s', description: 'STS endpoint used for `assumeRoleARN`, written as `kinesis.endpoint`.' },
  'cloudwatch.emitMetrics': { type: 'bool', default: true, description: 'Send the agent\'s metrics to CloudWatch.' },
  'cloudwatch.endpoint': { type: 'string', unit: 'URL', allowEmpty: true, defaultText: 'the region\'s', description: 'CloudWatch endpoint, written as `kinesis.endpoint`.' },
  'cloudwatch.region': {
    type: 'string',
    allowEmpty: true,
    ours: true,
    defaultText: 'from the endpoint host, else the default region chain',
    description: 'Region for CloudWatch.',
    differs: 'the Kinesis Agent\'s CloudWatch client uses `us-east-1`',
  },
  'cloudwatch.namespace': { type: 'string', default: 'AWSKinesisAgent', description: 'CloudWatch namespace of the metrics.' },
  'cloudwatch.tagInstance': { type: 'bool', default: false, description: 'Add the instance id as a metric dimension.' },
  'cloudwatch.metricsBufferTimeMillis': { type: 'int', default: 30_000, min: 1, unit: 'ms', description: 'How often metrics are sent to CloudWatch.' },
  awsAccessKeyId: {
    type: 'string',
    defaultText: 'the default credential chain',
    description: 'Static access key id; with `awsSecretAccessKey` it takes precedence over every other credential source. Give both or neither.',
  },
  awsSecretAccessKey: { type: 'string', defaultText: 'the default credential chain', description: 'Static secret key, with `awsAccessKeyId`.' },
  awsSessionToken: { type: 'string', description: 'Session token to go with the static keys.' },
  assumeRoleARN: {
    type: 'string',
    description: 'Role to assume (through STS) with the credentials above or the default chain, as session `AWSKinesisAgent` for one hour (as the Kinesis Agent does).',
  },
  assumeRoleExternalId: { type: 'string', description: 'External id sent when assuming `assumeRoleARN`.' },
  proxy: {
    type: 'string',
    unit: 'URL',
    ours: true,
    defaultText: '`HTTPS_PROXY` / `NO_PROXY` from the environment',
    description: 'HTTP(S) proxy for every AWS call: an `http://` or `https://` URL.',
  },
  'tls.caFile': {
    type: 'string',
    unit: 'path',
    ours: true,
    defaultText: 'Node\'s trusted CAs',
    description:
      'PEM file of CA certificates trusted besides Node\'s own, for the Kinesis, Firehose, STS and CloudWatch connections: the root of a TLS-inspecting proxy, or a private endpoint\'s CA. Relative to the config file; read at start (a missing file or one without a certificate is a config error). `NODE_EXTRA_CA_CERTS` does the same for every connection of the process.',
  },
  'log.level': {
    type: 'enum',
    values: LOG_LEVELS,
    anyCase: true,
    default: 'info',
    description: 'Log level, in any case (the Kinesis Agent\'s `TRACE`..`ERROR` work); `KINESIS_AGENT_LOG_LEVEL` in the environment wins.',
  },
  'log.statusReportingPeriodSeconds': { type: 'int', default: 30, min: 1, unit: 's', description: 'How often the progress line is logged.' },
  'http.listen': {
    type: 'string',
    ours: true,
    defaultText: 'absent: no socket at all',
    description: 'Address of the local status server (`/healthz`, `/status`, `/metrics`): `host:port`, `:port` or `port` (host 127.0.0.1), `[::1]:port`.',
  },
  'http.unhealthyAfterMillis': {
    type: 'int',
    default: 60_000,
    min: 1000,
    unit: 'ms',
    ours: true,
    description: 'How long a flow with bytes waiting may go without delivering (or a flow stay starting) before `/healthz` answers 503. Needs `http.listen`.',
  },
  // AWS SDK for Java 1.x ClientConfiguration defaults, which the Kinesis Agent inherits.
  connectionTimeoutMillis: {
    type: 'int',
    default: 10_000,
    min: 1,
    zeroIsDefault: 'the Kinesis Agent\'s AWS SDK for Java takes 0 as no timeout (ClientConfiguration); here every call has a bound, so that a hung connection is retried instead of holding the flow',
    unit: 'ms',
    description: 'Time to establish a connection.',
  },
  socketTimeoutMillis: {
    type: 'int',
    default: 50_000,
    min: 1,
    zeroIsDefault: 'the Kinesis Agent\'s AWS SDK for Java takes 0 as no timeout (ClientConfiguration); here every call has a bound, so that a hung connection is retried instead of holding the flow',
    unit: 'ms',
    description: 'Time a request may wait for data on an open connection.',
  },
  maxConnections: {
    type: 'int',
    default: 50,
    min: 1,
    unit: 'connections',
    defaultText: 'the larger of 50 and `maxSendingThreads`',
    description: 'Most open connections per AWS client.',
  },
});

/** Kinesis Agent keys accepted so that its agent.json loads unchanged: type-checked, warned about, changing nothing here. */
export const TOP_NO_EFFECT = keyTable({
  maxSendingThreads: {
    type: 'int',
    min: 1,
    description: 'The Kinesis Agent\'s sending threads.',
    noEffect: 'sends are asynchronous, not on threads; per-flow concurrency is `maxInFlightRequests` (it still raises the `maxConnections` default, as in the agent)',
  },
  maxSendingThreadsPerCore: {
    type: 'int',
    min: 1,
    description: 'The Kinesis Agent\'s sending threads per core.',
    noEffect: 'sends are asynchronous, not on threads; per-flow concurrency is `maxInFlightRequests`',
  },
  sendingThreadsKeepAliveMillis: { type: 'int', min: 0, unit: 'ms', description: 'The Kinesis Agent\'s idle sending thread lifetime.', noEffect: 'there is no sending thread pool' },
  sendingThreadsMaxQueueSize: {
    type: 'int',
    min: 1,
    description: 'The Kinesis Agent\'s sending thread pool queue.',
    noEffect: 'there is no sending thread pool; each flow\'s queue is bounded by `maxQueueBytes`',
  },
  'cloudwatch.metricsQueueSize': { type: 'int', min: 1, description: 'The Kinesis Agent\'s queue of metric datums.', noEffect: 'metrics are counters aggregated in place, not queued datums' },
  connectionTTLMillis: {
    type: 'int',
    min: -1,
    unit: 'ms',
    description: 'The Kinesis Agent\'s connection lifetime.',
    noEffect: 'connections are kept alive and reused by the Node HTTP agent for their whole life',
  },
  useTcpKeepAlive: { type: 'bool', description: 'The Kinesis Agent\'s TCP keep-alive.', noEffect: 'the HTTP agent keeps connections alive already' },
  useHttpGzip: { type: 'bool', description: 'The Kinesis Agent\'s gzip of requests.', noEffect: 'Kinesis and Firehose requests are sent uncompressed by the AWS SDK for JavaScript' },
  'log.file': { type: 'string', unit: 'path', allowEmpty: true, description: 'The Kinesis Agent\'s log file.', noEffect: 'logs go to stdout as JSON lines (journald or the container runtime keeps them)' },
  'log.maxBackupIndex': { type: 'int', min: -1, description: 'The Kinesis Agent\'s log rotation.', noEffect: 'logs go to stdout; rotation belongs to journald or logrotate' },
  'log.maxFileSize': { type: 'int', min: -1, unit: 'bytes', description: 'The Kinesis Agent\'s log rotation.', noEffect: 'logs go to stdout; rotation belongs to journald or logrotate' },
  'log.emitMetrics': {
    type: 'bool',
    description: 'The Kinesis Agent\'s metrics in its log.',
    noEffect: 'progress is logged every `log.statusReportingPeriodSeconds` and metrics are served on /metrics',
  },
  'log.emitInternalMetrics': { type: 'bool', description: 'The Kinesis Agent\'s internal metrics.', noEffect: 'per-flow counters are always kept and served on /metrics and /status' },
  userAgent: { type: 'string', allowEmpty: true, description: 'The Kinesis Agent\'s user agent prefix.', noEffect: 'requests carry the AWS SDK for JavaScript\'s user agent; a custom prefix is not sent' },
  userAgentOverride: { type: 'string', allowEmpty: true, description: 'The Kinesis Agent\'s user agent.', noEffect: 'requests carry the AWS SDK for JavaScript\'s user agent; it cannot be replaced' },
  'userDefinedCredentialsProvider.classname': {
    type: 'string',
    allowEmpty: true,
    description: 'The Kinesis Agent\'s Java credential provider class.',
    noEffect: 'Java credential provider classes cannot be loaded; use the default chain (environment, profile, web identity, instance role) or assumeRoleARN',
  },
  'userDefinedCredentialsProvider.location': {
    type: 'string',
    allowEmpty: true,
    description: 'The Kinesis Agent\'s Java credential provider jar.',
    noEffect: 'Java credential provider classes cannot be loaded; use the default chain (environment, profile, web identity, instance role) or assumeRoleARN',
  },
  'checkpoints.queryTimeoutSeconds': {
    type: 'int',
    min: 0,
    unit: 's',
    description: 'The Kinesis Agent\'s SQLite checkpoint query timeout.',
    noEffect: 'checkpoints are one file replaced atomically (temp file, fsync, rename), not a SQLite database: there is no query to time out',
  },
  'checkpoints.connectionTimeoutSeconds': {
    type: 'int',
    min: 0,
    unit: 's',
    description: 'The Kinesis Agent\'s SQLite checkpoint connection timeout.',
    noEffect: 'checkpoints are one file replaced atomically (temp file, fsync, rename), not a SQLite database: there is no connection to time out',
  },
});

const services = rowsOf(TOP).findIndex((row) => row.name === 'sts.endpoint');

/** Every top-level key, in the order the docs list them: each destination's endpoint and region first among the services', those without effect last. */
export const TOP_ROWS: readonly KeyRow[] = [
  ...rowsOf(TOP).slice(0, services),
  ...DESTINATION_LIST.flatMap((d) => d.keys.service),
  ...rowsOf(TOP).slice(services),
  ...rowsOf(TOP_NO_EFFECT),
];
