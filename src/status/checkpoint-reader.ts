import { readFile, stat } from 'node:fs/promises';
import { CHECKPOINT_FORMAT_VERSION, decodeCheckpoints } from '../checkpoint/codec.js';
import { StatusUnavailableError } from './errors.js';

/** One checkpoint entry, with where its file stands now. */
export interface CheckpointRow {
  flowId: string;
  path: string;
  dev: string;
  ino: string;
  offset: number;
  updatedAt: number;
  /** The file's size now, when the same file (dev, ino) is still at path. */
  size?: number;
  bytesBehind?: number;
  /** 'current', 'moved' (another file at the path now) or 'gone'. */
  file: 'current' | 'moved' | 'gone';
}

/**
 * Reads the checkpoint file through the store's codec
 * (src/checkpoint/codec.ts), so `status` reads exactly what the agent
 * would. Only reads: a running agent may replace it at any moment
 * (atomically), which is fine. undefined when there is no file; throws
 * StatusUnavailableError when the file is not one this agent can read.
 */
export async function readCheckpointFile(path: string): Promise<CheckpointRow[] | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const decoded = decodeCheckpoints(text);
  switch (decoded.kind) {
    case 'corrupt':
      throw new StatusUnavailableError(`checkpoint file ${path} is corrupt (${decoded.reason})`, 'the agent moves a corrupt file aside at its next start');
    case 'newer':
      throw new StatusUnavailableError(
        `checkpoint file ${path} has format version ${String(decoded.version)}, newer than this kinesis-agent reads (${String(CHECKPOINT_FORMAT_VERSION)})`,
        'run `status` of the kinesis-agent version that wrote it',
      );
    case 'sqlite':
      throw new StatusUnavailableError(`${path} is the Kinesis Agent's SQLite checkpoint database`, 'point checkpointFile at this agent\'s own checkpoint file');
    case 'ok':
      break;
  }
  const rows: CheckpointRow[] = [];
  for (const e of decoded.contents.entries) {
    const row: CheckpointRow = { flowId: e.flowId, path: e.path, dev: e.dev, ino: e.ino, offset: e.offset, updatedAt: e.updatedAt, file: 'gone' };
    try {
      const st = await stat(row.path, { bigint: true });
      if (String(st.dev) === row.dev && String(st.ino) === row.ino) {
        row.file = 'current';
        row.size = Number(st.size);
        row.bytesBehind = Math.max(0, row.size - row.offset);
      } else {
        row.file = 'moved';
      }
    } catch {
      row.file = 'gone';
    }
    rows.push(row);
  }
  rows.sort((a, b) => a.flowId.localeCompare(b.flowId) || a.path.localeCompare(b.path));
  return rows;
}
