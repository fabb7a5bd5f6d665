import { readFile, stat } from 'node:fs/promises';

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
 * Reads the checkpoint file as src/checkpoint/store.ts writes it
 * ({version, entries: [...]}), or a bare list of entries. Only reads: a
 * running agent may replace it at any moment (atomically), which is fine.
 * undefined when there is no file.
 */
export async function readCheckpointFile(path: string): Promise<CheckpointRow[] | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as unknown;
  const list = Array.isArray(parsed) ? parsed : (parsed as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(list)) return [];
  const rows: CheckpointRow[] = [];
  for (const raw of list) {
    if (typeof raw !== 'object' || raw === null) continue;
    const r = raw as Record<string, unknown>;
    if (typeof r.path !== 'string' || typeof r.offset !== 'number') continue;
    const row: CheckpointRow = {
      flowId: String(r.flowId ?? ''),
      path: r.path,
      dev: String(r.dev ?? ''),
      ino: String(r.ino ?? ''),
      offset: r.offset,
      updatedAt: typeof r.updatedAt === 'number' ? r.updatedAt : 0,
      file: 'gone',
    };
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
