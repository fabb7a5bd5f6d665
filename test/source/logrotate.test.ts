import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkExactlyOnce, tempDir, testFlow, waitFor } from './support/helpers.js';
import { startSource, type Harness } from './support/harness.js';
import { LineWriter } from './support/writer.js';

const run = promisify(execFile);

async function haveLogrotate(): Promise<boolean> {
  try {
    await run('logrotate', ['--version']);
    return true;
  } catch {
    return false;
  }
}
const available = await haveLogrotate();
if (!available && process.env.CI) throw new Error('logrotate is not installed: apt-get install -y logrotate');

/**
 * Real logrotate, run over and over (`-f`, its own state file) while a
 * writer appends numbered lines: every line must arrive once.
 */
describe.skipIf(!available)('real logrotate', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let h: Harness | undefined;
  beforeEach(async () => ({ dir, cleanup } = await tempDir('ka-logrotate-')));
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    await cleanup();
  });

  async function scenario(opts: {
    directives: string[];
    pattern: (log: string) => string;
    rotations: number;
    intervalMs: number;
    /** Pause the writer while logrotate runs (copytruncate's window between copy and truncate). */
    pauseWriter?: boolean;
    /** Also wait until the agent has read everything before logrotate runs. */
    catchUpFirst?: boolean;
  }) {
    const log = join(dir, 'app.log');
    await writeFile(log, '');
    const conf = join(dir, 'logrotate.conf');
    await writeFile(conf, `${log} {\n  ${opts.directives.join('\n  ')}\n}\n`, { mode: 0o644 });
    const state = join(dir, 'logrotate.state');
    h = await startSource(dir, testFlow([opts.pattern(log)], { minTimeBetweenFilePollsMillis: 10, maxTimeBetweenFileTrackerRefreshMillis: 50 }), {
      // How long a rotated-away file is still read once quiet. The writer's
      // appendFile opens the path, then writes through the thread pool: on a
      // loaded machine a batch opened before the rename lands in the rotated
      // file hundreds of ms later (300 ms lost one such batch in about one
      // run in ten under load 8). The agent's default is 5 s.
      source: { rotatedGraceMillis: 1500 },
    });
    const writer = new LineWriter(log);
    writer.start();
    let rotatedOk = 0;
    for (let i = 0; i < opts.rotations; i++) {
      await new Promise((r) => setTimeout(r, opts.intervalMs));
      if (opts.pauseWriter) await writer.pause();
      if (opts.catchUpFirst) {
        const n = writer.next;
        await waitFor(() => h!.sink.records.length >= n, () => `caught up ${h!.sink.records.length}/${n}`);
      }
      const r = await run('logrotate', ['-f', '-s', state, conf]).then(
        () => true,
        () => false,
      );
      if (r) rotatedOk++;
      writer.resume();
    }
    await new Promise((r) => setTimeout(r, 100));
    await writer.stop();
    const expected = writer.written();
    await waitFor(
      () => checkExactlyOnce(h!.sink.lines(), expected).missing.length === 0,
      () => {
        const c = checkExactlyOnce(h!.sink.lines(), expected);
        return `written ${expected.length}, got ${h!.sink.records.length}, missing ${c.missing.length} (${c.missing.slice(0, 3).join(',')}), status ${JSON.stringify(h!.source.status())}`;
      },
      20_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    const { missing, duplicated } = checkExactlyOnce(h.sink.lines(), expected);
    expect({ missing: missing.length, duplicated: duplicated.slice(0, 5) }).toEqual({ missing: 0, duplicated: [] });
    expect(h.sink.lines().length).toBe(expected.length);
    expect(rotatedOk).toBeGreaterThan(0);
    console.log(
      `logrotate ${opts.directives.join(',')}: ${expected.length} lines written, ${rotatedOk} rotations, ` +
        `${missing.length} missing, ${duplicated.length} duplicated`,
    );
    return expected.length;
  }

  it('create: renamed file read to its end, new file from its start', async () => {
    await scenario({ directives: ['rotate 200', 'create', 'missingok'], pattern: (l) => l, rotations: 12, intervalMs: 150 });
  });

  it('create with a pattern that also matches the rotated files (numeric shifting)', async () => {
    await scenario({ directives: ['rotate 3', 'create', 'missingok'], pattern: (l) => `${l}*`, rotations: 12, intervalMs: 150 });
  });

  it('copytruncate: the copy supplies what the original had not given, nothing twice (writer paused during the run)', async () => {
    await scenario({
      directives: ['rotate 200', 'copytruncate', 'missingok'],
      pattern: (l) => `${l}*`,
      rotations: 12,
      intervalMs: 150,
      pauseWriter: true,
    });
  });

  // Without the copy in the patterns, bytes not read before the truncation
  // are gone: the test lets the agent catch up before each run.
  it('copytruncate with only the live file matched: restarts at 0 after each truncation', async () => {
    await scenario({
      catchUpFirst: true,
      directives: ['rotate 200', 'copytruncate', 'missingok'],
      pattern: (l) => l,
      rotations: 12,
      intervalMs: 150,
      pauseWriter: true,
    });
  });

  it('dateext + compress + delaycompress: rotated files read to their end before gzip replaces them', async () => {
    await scenario({
      directives: ['rotate 200', 'create', 'missingok', 'dateext', 'dateformat -%Y%m%d-%H%M%S', 'compress', 'delaycompress'],
      pattern: (l) => `${l}*`,
      rotations: 4,
      intervalMs: 1100,
    });
  });
});
