import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * End-to-end tests run the built CLI as a real process, so the suite builds
 * dist/ first: `npm test` works on a fresh clone without a separate build.
 */
export default function setup(): void {
  const require = createRequire(import.meta.url);
  const tsc = require.resolve('typescript/bin/tsc');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
  } catch (err) {
    // tsc still emits on type errors; the typecheck step is where they fail
    // the build, so unit tests of other stages can go on meanwhile.
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? '';
    process.stderr.write(`warning: build of dist/ reported errors:\n${out.slice(0, 4000)}\n`);
  }
}
