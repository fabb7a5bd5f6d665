/**
 * globalSetup of the vitest project `system`: starts the debootstrap the
 * system tests share as the run begins, so it downloads and unpacks
 * (reniced) while the quick tests run instead of after them. Nothing is
 * awaited here; a failure is left for the test that needs the root, which
 * tries again and reports it. Teardown waits for it, so no half-made root
 * is left behind.
 */
import { which } from '../../../scripts/package-lib.ts';
import { IS_ROOT } from './host.ts';
import { debianRootfs } from './rootfs.ts';

export default function setup(): () => Promise<void> {
  if (!IS_ROOT || which('debootstrap') === undefined) return async () => {};
  const pending = debianRootfs().catch(() => undefined);
  return async () => {
    await pending;
  };
}
