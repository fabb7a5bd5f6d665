import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { verdict } from '../../.ci/audit.mjs';

type Run = { stdout?: string; stderr?: string; status?: number | null; error?: Error };
const decide = verdict as (run: Run) => { exit: number; lines: string[] };

const ENDPOINT = 'https://registry.npmjs.org/-/npm/v1/security/advisories/bulk';
const report = (counts: Record<string, number>, vulnerabilities = {}) => JSON.stringify({ metadata: { vulnerabilities: counts }, vulnerabilities });

describe('CI audit fails closed', () => {
  const cases: Array<[string, Run, number]> = [
    ['a clean report passes', { stdout: report({ high: 0, critical: 0, low: 2 }), status: 0 }, 0],
    ['a high advisory fails', { stdout: report({ high: 1 }, { x: { severity: 'high', range: '<2' } }), status: 1 }, 1],
    ['a critical advisory fails', { stdout: report({ critical: 1 }), status: 1 }, 1],
    [
      "the registry's documented 405 on the advisory endpoint passes",
      { stdout: JSON.stringify({ message: `405 Method Not Allowed - POST ${ENDPOINT}`, uri: ENDPOINT, statusCode: 405, error: { summary: '' } }), status: 1 },
      0,
    ],
    ['a 405 on another URL fails', { stdout: JSON.stringify({ message: '405 Method Not Allowed - POST https://x/y', uri: 'https://x/y', statusCode: 405 }), status: 1 }, 1],
    ['a 500 from the endpoint fails', { stdout: JSON.stringify({ message: `500 - POST ${ENDPOINT}`, uri: ENDPOINT, statusCode: 500 }), status: 1 }, 1],
    ['an error object without status fails', { stdout: JSON.stringify({ error: { code: 'ENOLOCK', summary: 'no lockfile' } }), status: 1 }, 1],
    ['a message alone fails', { stdout: JSON.stringify({ message: 'network timeout' }), status: 1 }, 1],
    ['no JSON at all fails', { stdout: '', stderr: 'npm error ENOTFOUND', status: 1 }, 1],
    ['text that is not JSON fails', { stdout: 'Segmentation fault', status: 139 }, 1],
    ['JSON that is not a report fails', { stdout: '[]', status: 0 }, 1],
    ['a report without counts fails', { stdout: '{}', status: 0 }, 1],
    ['npm that did not run fails', { error: new Error('spawnSync npm ENOENT'), status: null }, 1],
  ];
  it.each(cases)('%s', (_name, run, exit) => {
    expect(decide(run).exit).toBe(exit);
  });

  it('the script exits with the verdict when run by node (a missing npm fails)', () => {
    const r = spawnSync(process.execPath, ['.ci/audit.mjs'], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/did not run|no JSON/);
  });
});
