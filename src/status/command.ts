/**
 * `kinesis-agent status`: where every tailed file stands. Asks the running
 * agent (GET /status at http.listen, or --url); when none answers, reads the
 * checkpoint file instead, so it works on a stopped agent too.
 */
import { parseArgs } from 'node:util';
import { defaultConfigPath, loadConfig } from '../config/index.js';
import type { AgentConfig } from '../config/types.js';
import { AgentError, isAgentError } from '../errors.js';
import { readCheckpointFile, type CheckpointRow } from './checkpoint-reader.js';
import { StatusUnavailableError } from './errors.js';
import type { StatusReport } from './snapshot.js';
import { formatCheckpointTable, formatReport } from './table.js';

export interface StatusIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const STATUS_HELP = `Usage: kinesis-agent status [-c FILE] [--url URL] [--json]

Prints each flow and tailed file: size, committed offset, bytes behind, last send.
Asks the running agent at http.listen (or --url); when it does not answer,
reads the checkpoint file named in the configuration.

  -c, --config FILE   configuration file (default: as for run)
      --url URL       the agent's status server, e.g. http://127.0.0.1:9090
      --json          print the JSON instead of tables
`;

const TIMEOUT_MS = 3000;

/**
 * Runs the command with the arguments after `status` (a leading `status` is
 * ignored). Returns the exit code: 0 printed, 1 nothing to print, 2 usage or
 * configuration error.
 */
export async function statusCommand(args: string[], io: StatusIo = defaultIo()): Promise<number> {
  try {
    return await run(args[0] === 'status' ? args.slice(1) : args, io);
  } catch (err) {
    if (isAgentError(err)) {
      io.stderr(`kinesis-agent: ${err.toLine()}\n`);
      return err.code.startsWith('CONFIG') || err.code === 'USAGE' ? 2 : 1;
    }
    io.stderr(`kinesis-agent: status failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

async function run(args: string[], io: StatusIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string', short: 'c' },
        configuration: { type: 'string' },
        url: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new AgentError('USAGE', (err as Error).message, 'run `kinesis-agent status --help`');
  }
  if (values.help) {
    io.stdout(STATUS_HELP);
    return 0;
  }

  const configPath = values.config ?? values.configuration;
  let config: AgentConfig | undefined;
  // With --url alone the configuration is optional: it only adds the checkpoint fallback.
  if (configPath !== undefined || values.url === undefined) config = await loadConfig(configPath ?? defaultConfigPath());

  const url = values.url ?? (config?.http ? urlFor(config.http) : undefined);
  let unreachable: string | undefined;
  if (url !== undefined) {
    const got = await fetchStatus(url);
    if ('report' in got) {
      io.stdout(values.json ? `${JSON.stringify(got.report, null, 2)}\n` : formatReport(got.report, url));
      return 0;
    }
    unreachable = got.error;
  }

  if (!config) {
    throw new StatusUnavailableError(`no agent answers at ${url}: ${unreachable}`, 'check the URL, or pass -c FILE to read the checkpoint file instead');
  }
  const why = url === undefined ? 'no http.listen in the configuration' : `no answer at ${url}: ${unreachable}`;
  const rows = await readCheckpointFile(config.checkpointFile);
  if (rows === undefined) {
    throw new StatusUnavailableError(
      `the agent is not running (${why}) and there is no checkpoint file at ${config.checkpointFile}`,
      'start the agent, or point checkpointFile at the file a previous run wrote',
    );
  }
  if (values.json) {
    io.stdout(`${JSON.stringify({ running: false, reason: why, checkpointFile: config.checkpointFile, entries: rows }, null, 2)}\n`);
  } else {
    io.stdout(`kinesis-agent is not running here (${why}); from ${config.checkpointFile}:\n\n${formatCheckpointTable(rows)}`);
  }
  return 0;
}

/** The address to reach a server listening on host:port; the wildcard addresses mean this machine. */
export function urlFor(http: { host: string; port: number }): string {
  const host = http.host === '0.0.0.0' || http.host === '' ? '127.0.0.1' : http.host === '::' ? '::1' : http.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${http.port}`;
}

async function fetchStatus(url: string): Promise<{ report: StatusReport } | { error: string }> {
  const target = /\/status\/?$/.test(url) ? url : `${url.replace(/\/+$/, '')}/status`;
  try {
    const res = await fetch(target, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) return { error: `HTTP ${res.status}` };
    const report = (await res.json()) as StatusReport;
    if (!Array.isArray(report?.flows)) return { error: 'not a kinesis-agent status answer' };
    return { report };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { error: cause?.code ?? (err as Error).name ?? String(err) };
  }
}

function defaultIo(): StatusIo {
  return { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
}

export type { CheckpointRow };
