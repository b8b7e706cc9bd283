import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // *.slow.test.ts: multi-process fault scenarios that take minutes; `npm run test:slow` runs them (CI too).
    exclude: [
      '**/node_modules/**',
      'test/fixtures/**',
      ...(process.env.COMPUTE_TEST_SLOW === '1' ? [] : ['**/*.slow.test.ts']),
    ],
    setupFiles: ['test/support/quiet-setup.ts'],
    // One Pub/Sub and one Firestore emulator for the whole run (see the file).
    globalSetup: ['test/support/global-emulators.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: keep integration tests from starving each other.
    maxWorkers: 2,
  },
});
