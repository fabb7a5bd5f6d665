import { expect } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkConfig, parseConfigText, type ConfigSource } from '../../src/config/index.js';
import type { ConfigProblem } from '../../src/config/index.js';

/** A temp directory with files written into it, removed by cleanup(). */
export async function tempConfigDir(files: Record<string, string>): Promise<{ dir: string; path: (name: string) => string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ka-config-'));
  for (const [name, text] of Object.entries(files)) {
    const p = join(dir, name);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, text);
  }
  return { dir, path: (name) => join(dir, name), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Problems for a config text written to a real file. */
export async function problemsOf(text: string, name = 'agent.yaml', env: NodeJS.ProcessEnv = {}): Promise<ConfigProblem[]> {
  const t = await tempConfigDir({ [name]: text });
  try {
    const { config, problems } = await checkConfig(t.path(name), { env });
    if (config) expect(problems).toEqual([]);
    return problems;
  } finally {
    await t.cleanup();
  }
}

export function find(problems: ConfigProblem[], path: string): ConfigProblem {
  const p = problems.find((x) => x.path === path);
  if (!p) throw new Error(`no problem at ${path}; got:\n${problems.map((x) => `${x.path}: ${x.message}`).join('\n')}`);
  return p;
}

/** The warnings of a config that loads (it must load), as `run` logs them and `validate` prints them. */
export function warningsOf(text: string, name = 'agent.yaml', opts: { env?: NodeJS.ProcessEnv; dropIns?: ConfigSource[] } = {}): string[] {
  // A region in the environment: the us-east-1 fallback warning is not among the ones under test.
  return parseConfigText(text, name, { env: { AWS_REGION: 'us-east-1', ...opts.env }, dropIns: opts.dropIns ?? [] }).warnings;
}
