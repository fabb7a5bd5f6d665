/**
 * Reads the Kinesis Agent's checkpoint database: SQLite, table
 * FILE_CHECKPOINTS(flow, path, fileId, lastModifiedTime, size, offset,
 * lastUpdated), primary key (flow, path). Source: awslabs/amazon-kinesis-agent,
 * src/com/amazon/kinesis/streaming/agent/tailing/checkpoints/SQLiteFileCheckpointStore.java
 * (schema, one row per flow and path, `lastUpdated` written by SQLite's
 * strftime('%Y-%m-%d %H:%M:%f','now'), UTC). Read with Node's built-in
 * `node:sqlite` (no native addon), opened read-only.
 */
import { AgentError } from '../errors.js';


export interface KinesisAgentCheckpoint {
  /** `kinesis:<stream>:<dir>/<glob>` or `fh:<stream>:<dir>/<glob>` (see flow-id.ts). */
  flow: string;
  /** Absolute path of the file when the row was written. */
  path: string;
  /** Device and inode as decimal strings, as src/source/identity.ts writes them. */
  dev: string;
  ino: string;
  /** Bytes below this offset were sent. */
  offset: number;
  /** ms since epoch, as the Java agent saw the file. */
  lastModifiedTime: number;
  size: number;
  /** ms since epoch (UTC); 0 when the column cannot be read. */
  lastUpdated: number;
}

/** The database cannot be read: a user-fixable problem with a hint. */
export class KinesisAgentDbError extends AgentError {
  constructor(path: string, reason: string, hint: string, options?: { cause?: unknown }) {
    // A CONFIG_ code: the user must fix the path or the Node (exit 2, no restart loop).
    super('CONFIG_IMPORT_CHECKPOINTS', `cannot read the Kinesis Agent's checkpoints at ${path}: ${reason}`, hint, options);
  }
}

/**
 * Java's `UnixFileKey.toString()`: `(dev=<hex>,ino=<decimal>)`, st_dev in
 * `Long.toHexString` (unsigned hex) and st_ino as a signed long. Source:
 * OpenJDK sun/nio/fs/UnixFileKey.java, through the Kinesis Agent's
 * tailing/FileId.java (`attr.fileKey().toString()`). undefined for any
 * other text (a non-Unix file key).
 */
export function parseJavaFileKey(text: string): { dev: string; ino: string } | undefined {
  const m = /^\(dev=([0-9a-f]{1,16}),ino=(-?\d{1,20})\)$/.exec(text);
  if (!m) return undefined;
  const dev = BigInt(`0x${m[1]!}`);
  // A signed long in Java: an inode above 2^63 prints negative.
  const ino = BigInt.asUintN(64, BigInt(m[2]!));
  return { dev: dev.toString(), ino: ino.toString() };
}

/** `2024-05-01 12:34:56.789` (SQLite's strftime, UTC) to ms since epoch; 0 when unreadable. */
export function parseSqliteTime(text: unknown): number {
  if (typeof text !== 'string') return 0;
  const ms = Date.parse(`${text.replace(' ', 'T')}Z`);
  return Number.isFinite(ms) ? ms : 0;
}

interface SqliteModule {
  DatabaseSync: new (path: string, options?: { readOnly?: boolean }) => {
    prepare(sql: string): { all(): unknown[] };
    close(): void;
  };
}

/**
 * `node:sqlite`, loaded only when a database is read. It is built into Node
 * from 22.5 (behind `--experimental-sqlite` until 22.13 and 23.4); the
 * packaged agent runs the pinned Node 24, where it needs no flag.
 */
async function loadSqlite(path: string): Promise<SqliteModule> {
  try {
    return (await import('node:sqlite')) as unknown as SqliteModule;
  } catch (err) {
    throw new KinesisAgentDbError(
      path,
      `this Node (${process.version}) has no node:sqlite`,
      'run the packaged kinesis-agent (Node 24), or Node 22.13 or later (22.5 to 22.12: start node with --experimental-sqlite)',
      { cause: err },
    );
  }
}

/**
 * Every row of FILE_CHECKPOINTS whose fileId is a Unix file key, oldest
 * update first. Rows with another fileId are counted in `skipped`.
 * @throws KinesisAgentDbError when the file is missing, not SQLite, or has no such table
 */
export async function readKinesisAgentCheckpoints(path: string): Promise<{ rows: KinesisAgentCheckpoint[]; skipped: number }> {
  const { DatabaseSync } = await loadSqlite(path);
  let db;
  try {
    db = new DatabaseSync(path, { readOnly: true });
  } catch (err) {
    throw new KinesisAgentDbError(path, (err as Error).message, 'check the path and that this user may read it', { cause: err });
  }
  try {
    let raw: unknown[];
    try {
      raw = db
        .prepare('select flow, path, fileId, lastModifiedTime, size, offset, lastUpdated from FILE_CHECKPOINTS order by lastUpdated')
        .all();
    } catch (err) {
      throw new KinesisAgentDbError(path, (err as Error).message, 'point it at the checkpointFile of the Kinesis Agent (default /var/run/aws-kinesis-agent/checkpoints)', {
        cause: err,
      });
    }
    const rows: KinesisAgentCheckpoint[] = [];
    let skipped = 0;
    for (const r of raw as Array<Record<string, unknown>>) {
      const key = typeof r.fileId === 'string' ? parseJavaFileKey(r.fileId) : undefined;
      const offset = Number(r.offset);
      if (!key || typeof r.flow !== 'string' || typeof r.path !== 'string' || !Number.isSafeInteger(offset) || offset < 0) {
        skipped++;
        continue;
      }
      rows.push({
        flow: r.flow,
        path: r.path,
        ...key,
        offset,
        lastModifiedTime: Number(r.lastModifiedTime) || 0,
        size: Number(r.size) || 0,
        lastUpdated: parseSqliteTime(r.lastUpdated),
      });
    }
    return { rows, skipped };
  } finally {
    db.close();
  }
}
