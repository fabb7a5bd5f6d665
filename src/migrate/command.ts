/**
 * `kinesis-agent import-checkpoints FILE [-c CONFIG]`: the import made
 * explicit, before the first start. Each flow of the configuration takes
 * its positions from the Kinesis Agent's database FILE (same rules as at
 * start: once per flow, never over a flow's own checkpoints), and the
 * checkpoint file is written. Stop the Kinesis Agent first (its positions
 * must be final) and run this before starting kinesis-agent (both write the
 * checkpoint file).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CheckpointStore, decodeCheckpoints } from '../checkpoint/index.js';
import { defaultConfigPath, loadConfig } from '../config/index.js';
import { AgentError } from '../errors.js';
import { silentLogger } from '../log.js';
import { importFlow, type FlowImport } from './import.js';
import { readKinesisAgentCheckpoints } from './kinesis-agent-db.js';

export interface ImportIo {
  stdout: (text: string) => void;
}

class ImportUsageError extends AgentError {
  constructor(message: string) {
    super('USAGE', message, 'kinesis-agent import-checkpoints FILE [-c CONFIG]; FILE is the Kinesis Agent\'s checkpointFile (default /var/run/aws-kinesis-agent/checkpoints)');
  }
}

/** One line per flow, for people. */
export function describeImport(r: FlowImport): string {
  switch (r.kind) {
    case 'imported':
      return `${r.flowId}: imported from ${r.kinesisAgentFlow}: ${r.resumed} file(s) resume at the Kinesis Agent's offset, ${r.done} older file(s) done, ${r.fromStart} newer file(s) from their start`;
    case 'already':
      return `${r.flowId}: already imported from ${r.from}; unchanged`;
    case 'has-run':
      return `${r.flowId}: has checkpoints of its own; unchanged`;
    case 'no-equivalent':
      return `${r.flowId}: several filePatterns, which no Kinesis Agent flow has; unchanged`;
    case 'no-rows':
      return `${r.flowId}: no rows for ${r.kinesisAgentFlow}; unchanged`;
  }
}

/** Exit code 0 when every flow was considered; errors are thrown (AgentError). */
export async function importCheckpointsCommand(argv: string[], io: ImportIo = { stdout: (t) => process.stdout.write(t) }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { config: { type: 'string', short: 'c' } } });
  } catch (err) {
    throw new ImportUsageError((err as Error).message);
  }
  const [file, extra] = parsed.positionals;
  if (file === undefined || extra !== undefined) throw new ImportUsageError(file === undefined ? 'no database file given' : `unexpected argument '${extra}'`);
  const configPath = parsed.values.config ?? defaultConfigPath();
  if (!configPath) throw new ImportUsageError('no configuration file given and none found');
  const config = await loadConfig(configPath);
  const { rows, skipped } = await readKinesisAgentCheckpoints(file);
  const store = await CheckpointStore.open(config.checkpointFile, { ttlDays: config.checkpointTimeToLiveDays, log: silentLogger() });
  const imported: string[] = [];
  try {
    for (const flow of config.flows) {
      const result = await importFlow(store, flow, rows, file, silentLogger());
      if (result.kind === 'imported') imported.push(flow.id);
      io.stdout(`${describeImport(result)}\n`);
    }
  } finally {
    await store.close();
  }
  // The store only logs a failed write (a running agent retries it); here it must be known.
  const written = decodeCheckpoints(await readFile(config.checkpointFile, 'utf8').catch(() => ''));
  if (imported.length > 0 && (written.kind !== 'ok' || imported.some((id) => !written.contents.imported[id]))) {
    throw new AgentError('IMPORT_WRITE', `could not write the checkpoint file ${config.checkpointFile}`, 'check that its directory exists and this user may write it');
  }
  if (skipped > 0) io.stdout(`${skipped} row(s) without a Unix file identity were skipped\n`);
  io.stdout(`checkpoints written to ${config.checkpointFile}\n`);
  return 0;
}
