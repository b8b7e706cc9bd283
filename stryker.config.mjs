// Mutation testing of the core (npm run mutate): Stryker changes one piece of
// code at a time (a condition, an operator, a constant) and runs the tests
// that cover it; a mutant the tests do not notice ("survived") is a test gap.
// Too slow for every CI run; figures and the survivors judged harmless are in
// docs/mutation-testing.md. `npm run mutate -- --mutate shared/plan/decide.ts`
// narrows it to one file.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  mutate: [
    'shared/manifest/**/*.ts',
    'shared/plan/**/*.ts',
    'shared/runtime/**/*.ts',
    'shared/batches/**/*.ts',
    'shared/warehouse/**/*.ts',
    'executor/**/*.ts',
  ],
  ignorePatterns: ['coverage', 'bench/out', '.compute', 'examples/portfolio/warehouse.duckdb', 'reports'],
  concurrency: 2,
  timeoutMS: 60_000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
};
