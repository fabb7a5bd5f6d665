/**
 * Writes a checkpoint database the way the Kinesis Agent does
 * (SQLiteFileCheckpointStore.java: the same table and primary key, and
 * lastUpdated from SQLite's own strftime unless a row gives one).
 */
import { statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

export interface JavaRow {
  flow: string;
  path: string;
  fileId: string;
  offset: number;
  lastModifiedTime?: number;
  size?: number;
  lastUpdated?: string;
}

export function writeKinesisAgentDb(path: string, rows: JavaRow[]): void {
  const db = new DatabaseSync(path);
  try {
    db.exec(
      'create table if not exists FILE_CHECKPOINTS(flow text, path text, fileId text, lastModifiedTime bigint, size bigint, offset bigint, lastUpdated datetime, primary key (flow, path))',
    );
    const insert = db.prepare(
      "insert or replace into FILE_CHECKPOINTS values(?, ?, ?, ?, ?, ?, coalesce(?, strftime('%Y-%m-%d %H:%M:%f', 'now')))",
    );
    for (const r of rows) insert.run(r.flow, r.path, r.fileId, r.lastModifiedTime ?? 0, r.size ?? 0, r.offset, r.lastUpdated ?? null);
  } finally {
    db.close();
  }
}

/** Java's UnixFileKey.toString() for a file on this machine. */
export function javaFileKey(path: string): string {
  const st = statSync(path, { bigint: true });
  return `(dev=${st.dev.toString(16)},ino=${st.ino.toString()})`;
}
