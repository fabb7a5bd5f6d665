/**
 * The import as the agent runs it: before each flow starts (at start and
 * when a reload adds a flow), from `importCheckpointsFrom` or else the
 * Kinesis Agent's default database when that file exists.
 */
import { access } from 'node:fs/promises';
import type { CheckpointStore } from '../checkpoint/store.js';
import type { AgentConfig, FlowConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { importFlow, type FlowImport } from './import.js';
import { readKinesisAgentCheckpoints } from './kinesis-agent-db.js';

/**
 * Imports this flow's Kinesis Agent positions if it has none of its own yet.
 * The database is opened only for a flow that could take them.
 * @throws KinesisAgentDbError when `importCheckpointsFrom` names a database that cannot be read
 *   (the default database that cannot be read is a warning)
 */
export async function importBeforeStart(store: CheckpointStore, flow: FlowConfig, agent: AgentConfig, log: Logger): Promise<FlowImport | undefined> {
  const source = agent.importCheckpoints;
  if (!source) return undefined;
  if (store.importedFrom(flow.id) || store.entries(flow.id).length > 0) return undefined;
  if (!source.explicit) {
    try {
      await access(source.path);
    } catch {
      return undefined;
    }
  }
  let rows;
  try {
    ({ rows } = await readKinesisAgentCheckpoints(source.path));
  } catch (err) {
    if (source.explicit) throw err;
    log.warn({ flow: flow.id, path: source.path, err: String(err) }, "cannot read the Kinesis Agent's checkpoints; the flow starts at initialPosition");
    return undefined;
  }
  const result = await importFlow(store, flow, rows, source.path, log);
  if (result.kind === 'no-rows' || result.kind === 'no-equivalent') log.info({ ...result, path: source.path }, "no Kinesis Agent checkpoints for this flow");
  return result;
}
