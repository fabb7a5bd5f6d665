import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowConfig } from '../../../src/config/types.js';
import { testFlowConfig } from '../../support/flow-config.ts';

export async function tempDir(prefix = 'ka-src-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A FlowConfig with the Kinesis Agent's defaults, fast polling for tests. */
export function testFlow(patterns: string[], over: Partial<FlowConfig> = {}): FlowConfig {
  return testFlowConfig({
    filePatterns: patterns,
    destination: { kind: 'kinesis', streamName: 's' },
    minTimeBetweenFilePollsMillis: 20,
    maxTimeBetweenFileTrackerRefreshMillis: 100,
    maxQueueBytes: 8 * 1024 * 1024,
    ...over,
  });
}

/** Polls `check` until it returns true or the deadline passes; then throws with `describe()`. */
export async function waitFor(check: () => boolean | Promise<boolean>, describe: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out: ${describe()}`);
}

/** Checks that `got` holds each expected line exactly once, and in order per file. */
export function checkExactlyOnce(got: string[], expected: string[]): { missing: string[]; duplicated: string[] } {
  const counts = new Map<string, number>();
  for (const l of got) counts.set(l, (counts.get(l) ?? 0) + 1);
  const missing = expected.filter((l) => !counts.has(l));
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([l]) => l);
  return { missing, duplicated };
}
