/**
 * Takes over the Kinesis Agent's read positions, once per flow, so that a
 * host moving from it to this agent neither loses nor repeats a line.
 *
 * For a flow that has never run here, and whose Kinesis Agent flow id
 * (flow-id.ts) has rows in its database (kinesis-agent-db.ts):
 * - a file of the flow whose (device, inode) is a row's fileId resumes at
 *   that row's offset;
 * - a file with no row is placed as the Kinesis Agent would have placed it
 *   when resuming from its latest checkpoint (FileTailer.initialize and
 *   SourceFileTracker.initialize(FileCheckpoint) in
 *   awslabs/amazon-kinesis-agent, src/com/amazon/kinesis/streaming/agent/tailing/):
 *   files last modified before the file of the flow's latest row were done
 *   (their end), newer ones are read from their start.
 * The result is written as ordinary checkpoint entries of the flow, with a
 * mark in the checkpoint file so that the import never happens twice, and
 * logged. A flow that already has checkpoints here is left alone: its own
 * positions are newer.
 */
import { open, stat } from 'node:fs/promises';
import type { CheckpointEntry } from '../checkpoint/entry.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import type { FlowConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { hashPrefix, readPrefix } from '../source/fingerprint.js';
import { PatternSet } from '../source/patterns.js';
import { kinesisAgentFlowId } from './flow-id.js';
import type { KinesisAgentCheckpoint } from './kinesis-agent-db.js';

export type FlowImport =
  | { kind: 'imported'; flowId: string; kinesisAgentFlow: string; resumed: number; done: number; fromStart: number }
  /** Imported before (the mark in the checkpoint file). */
  | { kind: 'already'; flowId: string; from: string }
  /** The flow has checkpoints of its own. */
  | { kind: 'has-run'; flowId: string }
  /** A list of patterns: the Kinesis Agent has no such flow. */
  | { kind: 'no-equivalent'; flowId: string }
  | { kind: 'no-rows'; flowId: string; kinesisAgentFlow: string };

interface FoundFile {
  path: string;
  dev: string;
  ino: string;
  size: number;
  mtimeMs: number;
}

async function filesOf(flow: FlowConfig): Promise<FoundFile[]> {
  const out: FoundFile[] = [];
  for (const p of await new PatternSet(flow.filePatterns, flow.excludePatterns).list()) {
    try {
      const st = await stat(p, { bigint: true });
      if (!st.isFile()) continue;
      out.push({ path: String(p), dev: st.dev.toString(), ino: st.ino.toString(), size: Number(st.size), mtimeMs: Number(st.mtimeMs) });
    } catch {
      // Gone since the listing: nothing to place.
    }
  }
  return out;
}

async function fingerprintOf(path: string, size: number): Promise<{ fingerprint: string; fingerprintBytes: number } | undefined> {
  try {
    const fh = await open(path, 'r');
    try {
      const prefix = await readPrefix(fh, size);
      return { fingerprint: hashPrefix(prefix), fingerprintBytes: prefix.length };
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * Imports one flow's positions from the Kinesis Agent's rows, unless it was
 * imported before or has run here. Entries and mark reach the checkpoint
 * file with the store's next write.
 * @param rows every row of the database (rows of other flows are ignored)
 * @param from the database's path, kept in the mark
 */
export async function importFlow(
  store: CheckpointStore,
  flow: FlowConfig,
  rows: readonly KinesisAgentCheckpoint[],
  from: string,
  log: Logger,
): Promise<FlowImport> {
  const mark = store.importedFrom(flow.id);
  if (mark) return { kind: 'already', flowId: flow.id, from: mark.from };
  if (store.entries(flow.id).length > 0) return { kind: 'has-run', flowId: flow.id };
  const kinesisAgentFlow = kinesisAgentFlowId(flow);
  if (kinesisAgentFlow === undefined) return { kind: 'no-equivalent', flowId: flow.id };
  const mine = rows.filter((r) => r.flow === kinesisAgentFlow);
  if (mine.length === 0) return { kind: 'no-rows', flowId: flow.id, kinesisAgentFlow };

  const files = await filesOf(flow);
  const byIdentity = new Map(files.map((f) => [`${f.dev}:${f.ino}`, f]));
  const rowOf = new Map<FoundFile, KinesisAgentCheckpoint>();
  for (const r of mine) {
    const f = byIdentity.get(`${r.dev}:${r.ino}`);
    // Several rows can name one file (it was checkpointed under its old and
    // its new path): the latest row (rows come oldest first) is its position.
    if (f) rowOf.set(f, r);
  }
  // The file the Kinesis Agent was reading: its latest row. Files with no
  // row are older or newer than it.
  const latest = mine[mine.length - 1]!;
  const current = byIdentity.get(`${latest.dev}:${latest.ino}`);
  const currentMtime = current?.mtimeMs ?? latest.lastModifiedTime;

  const entries: Omit<CheckpointEntry, 'updatedAt'>[] = [];
  let resumed = 0;
  let done = 0;
  let fromStart = 0;
  for (const f of files) {
    const row = rowOf.get(f);
    let offset: number;
    if (row) {
      offset = row.offset;
      resumed++;
    } else if (f.mtimeMs < currentMtime) {
      offset = f.size;
      done++;
    } else {
      offset = 0;
      fromStart++;
    }
    const fp = await fingerprintOf(f.path, f.size);
    if (!fp) continue;
    entries.push({ flowId: flow.id, path: f.path, dev: f.dev, ino: f.ino, ...fp, offset });
  }
  store.recordImport(flow.id, entries, { from, at: Date.now() });
  const result: FlowImport = { kind: 'imported', flowId: flow.id, kinesisAgentFlow, resumed, done, fromStart };
  log.info({ ...result, from }, "imported the Kinesis Agent's checkpoints for this flow");
  return result;
}
