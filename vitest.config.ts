import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Tests that build and install the packages, boot systemd in a container and
 * build the container image (minutes each, mostly waiting on disks and
 * networks): a project of their own that starts when the others are done,
 * so they never hold the two workers the quick tests need.
 */
const SYSTEM = [
  'test/packaging/packages.test.ts',
  'test/packaging/systemd.test.ts',
  'test/packaging/rpm-install.test.ts',
  'test/packaging/container-sidecar.test.ts',
];

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Integration tests start real processes and servers; two cores do not
    // reward more parallelism than this.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...SYSTEM] },
      },
      {
        extends: true,
        test: {
          name: 'system',
          include: SYSTEM,
          sequence: { groupOrder: 1 },
          // A debootstrap, a package build and an image build on a cold machine.
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
