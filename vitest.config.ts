import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/fixtures/**'],
    setupFiles: ['test/support/quiet-setup.ts'],
    // One Pub/Sub and one Firestore emulator for the whole run (see the file).
    globalSetup: ['test/support/global-emulators.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: keep integration tests from starving each other.
    maxWorkers: 2,
  },
});
