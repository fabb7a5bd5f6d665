import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FlowConfig } from '../../src/config/types.js';
import { javaSourceFile, kinesisAgentFlowId } from '../../src/migrate/flow-id.js';
import { KinesisAgentDbError, parseJavaFileKey, parseSqliteTime, readKinesisAgentCheckpoints } from '../../src/migrate/kinesis-agent-db.js';
import { tempDir } from '../source/support/helpers.js';
import { writeKinesisAgentDb } from './kinesis-agent-db.ts';

describe("the Kinesis Agent's checkpoint database", () => {
  it.each([
    // Java: "(dev=" + Long.toHexString(st_dev) + ",ino=" + st_ino + ")"
    ['(dev=803,ino=1234567)', { dev: '2051', ino: '1234567' }],
    ['(dev=fd01,ino=42)', { dev: '64769', ino: '42' }],
    ['(dev=0,ino=-1)', { dev: '0', ino: '18446744073709551615' }],
    ['(dev=ffffffffffffffff,ino=9007199254740993)', { dev: '18446744073709551615', ino: '9007199254740993' }],
  ])('reads the file key %s', (text, expected) => {
    expect(parseJavaFileKey(text)).toEqual(expected);
  });

  it.each(['', '(dev=803,ino=12', 'C:\\\\file', '(dev=xyz,ino=1)', '(dev=803, ino=1)'])('refuses the file key %j', (text) => {
    expect(parseJavaFileKey(text)).toBeUndefined();
  });

  it("reads SQLite's strftime('%Y-%m-%d %H:%M:%f','now') as UTC", () => {
    expect(parseSqliteTime('2024-05-01 12:34:56.789')).toBe(Date.UTC(2024, 4, 1, 12, 34, 56, 789));
    expect(parseSqliteTime(null)).toBe(0);
    expect(parseSqliteTime('yesterday')).toBe(0);
  });

  it.each([
    ['/var/log/app.log', '/var/log/app.log'],
    ['/var/log//httpd/access_log*', '/var/log/httpd/access_log*'],
    ['/app.log', '//app.log'],
  ])("prints the source %s as Java's SourceFile.toString() does", (pattern, expected) => {
    expect(javaSourceFile(pattern)).toBe(expected);
  });

  it('builds the flow id as KinesisFileFlow / FirehoseFileFlow do', () => {
    const flow = (kind: 'kinesis' | 'firehose', filePatterns: string[]) =>
      ({ id: 'mine', filePatterns, destination: { kind, streamName: 'logs' } }) as unknown as FlowConfig;
    expect(kinesisAgentFlowId(flow('kinesis', ['/var/log/app.log*']))).toBe('kinesis:logs:/var/log/app.log*');
    expect(kinesisAgentFlowId(flow('firehose', ['/var/log/app.log']))).toBe('fh:logs:/var/log/app.log');
    expect(kinesisAgentFlowId(flow('kinesis', ['/a.log', '/b.log']))).toBeUndefined();
  });

  describe('reading', () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    beforeEach(async () => ({ dir, cleanup } = await tempDir('ka-kadb-')));
    afterEach(() => cleanup());

    it('reads every row with a Unix file key, oldest update first, and skips the others', async () => {
      const path = join(dir, 'checkpoints');
      writeKinesisAgentDb(path, [
        { flow: 'kinesis:s:/l/a*', path: '/l/a.1', fileId: '(dev=803,ino=7)', offset: 10, lastUpdated: '2024-01-01 00:00:02.000' },
        { flow: 'kinesis:s:/l/a*', path: '/l/a', fileId: '(dev=803,ino=8)', offset: 20, lastUpdated: '2024-01-01 00:00:03.000' },
        { flow: 'kinesis:s:/l/a*', path: '/l/b', fileId: 'something-else', offset: 5, lastUpdated: '2024-01-01 00:00:01.000' },
      ]);
      const { rows, skipped } = await readKinesisAgentCheckpoints(path);
      expect(skipped).toBe(1);
      expect(rows.map((r) => [r.path, r.dev, r.ino, r.offset])).toEqual([
        ['/l/a.1', '2051', '7', 10],
        ['/l/a', '2051', '8', 20],
      ]);
      expect(rows[1]!.lastUpdated).toBe(Date.UTC(2024, 0, 1, 0, 0, 3));
    });

    it('fails with a hint on a file that is not the database', async () => {
      const empty = join(dir, 'empty.db');
      new DatabaseSync(empty).close();
      await expect(readKinesisAgentCheckpoints(empty)).rejects.toBeInstanceOf(KinesisAgentDbError);
      await expect(readKinesisAgentCheckpoints(join(dir, 'missing'))).rejects.toThrow(/cannot read the Kinesis Agent's checkpoints/);
    });
  });
});
