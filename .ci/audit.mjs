// Fails CI on high or critical advisories in runtime dependencies, and on
// anything it cannot read as an audit: it fails closed. The one answer that
// lets the build pass without an audit is the registry saying it has no bulk
// advisory endpoint (HTTP 405 on POST /-/npm/v1/security/advisories/bulk, as
// registry mirrors answer); that is said plainly in the log.
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const ADVISORY_ENDPOINT = '/-/npm/v1/security/advisories/bulk';

/**
 * The verdict on one `npm audit --omit=dev --json` run: `{ exit, lines }`.
 * `run` is what spawnSync returned: { stdout, stderr, status, error }.
 * Exit 0: an audit with no high or critical advisory, or the registry's
 * documented 405 on the advisory endpoint. Exit 1: everything else (the tool
 * did not run, the answer is not JSON, an error object of any other kind, a
 * report without counts, a serious advisory).
 */
export function verdict(run) {
  if (run.error) return { exit: 1, lines: [`npm audit did not run: ${run.error.message ?? run.error}`] };
  let report;
  try {
    report = JSON.parse(run.stdout ?? '');
  } catch {
    return { exit: 1, lines: [`npm audit gave no JSON (exit ${run.status}):`, run.stderr ?? ''] };
  }
  if (report === null || typeof report !== 'object' || Array.isArray(report)) {
    return { exit: 1, lines: [`npm audit gave JSON that is not a report: ${String(run.stdout).slice(0, 200)}`] };
  }
  if (report.statusCode !== undefined || report.error !== undefined || report.message !== undefined) {
    const endpoint = String(report.uri ?? report.message ?? '');
    if (report.statusCode === 405 && endpoint.includes(ADVISORY_ENDPOINT)) {
      return { exit: 0, lines: [`npm audit unavailable: the registry answers 405 on ${ADVISORY_ENDPOINT}; audit not run`] };
    }
    const what = report.message ?? report.error?.summary ?? report.error?.code ?? JSON.stringify(report.error);
    return { exit: 1, lines: [`npm audit failed (${report.statusCode ?? 'no status'}): ${what}`] };
  }
  const counts = report.metadata?.vulnerabilities;
  if (!counts || typeof counts !== 'object') return { exit: 1, lines: ['npm audit report has no metadata.vulnerabilities counts'] };
  const lines = [`npm audit (runtime dependencies): ${JSON.stringify(counts)}`];
  const serious = (counts.high ?? 0) + (counts.critical ?? 0);
  if (serious === 0) return { exit: 0, lines };
  for (const [name, v] of Object.entries(report.vulnerabilities ?? {})) {
    if (v.severity === 'high' || v.severity === 'critical') lines.push(`  ${v.severity}: ${name} ${v.range ?? ''}`);
  }
  return { exit: 1, lines };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 120_000 });
  const { exit, lines } = verdict(run);
  for (const line of lines) console.log(line);
  process.exit(exit);
}
