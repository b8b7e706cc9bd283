import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * The tests mutation testing runs (npm run mutate): everything that runs
 * on the embedded mode in seconds. Emulator, image, chaos and child-process
 * tests are left out: each mutant would wait on Java emulators or a build.
 * Setup, timeouts and workers are those of vitest.config.ts.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'test/unit/**/*.test.ts',
      'test/contract/warehouse.test.ts',
      'test/e2e/{embedded-run,rerun-causes,input-versions,example}.test.ts',
      'test/integration/{fan-out-window,management-api}.test.ts',
    ],
    exclude: ['**/node_modules/**', 'test/fixtures/**', 'test/unit/architecture.test.ts'],
  },
});
