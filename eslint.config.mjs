// Keeps the architecture visible: services import shared/, never each other,
// and no promise is left floating (an unawaited publish is lost data).
import tseslint from 'typescript-eslint';
import { noImportCycle } from './eslint/no-import-cycle.mjs';

const SERVICES = ['planner', 'executor', 'worker'];

const service = (name, others) => ({
  files: [`${name}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: others.map((other) => ({
          group: [`**/${other}/**`, `../${other}/*`, `../../${other}/*`],
          message: `${name}/ may import shared/ only, never ${other}/.`,
        })),
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'test/fixtures/**',
      'coverage/**',
      // Stryker's sandbox copies of the tree (left behind when a mutation run is interrupted).
      '.stryker-tmp/**',
      'reports/**',
      '**/.compute/**',
      'bin/**',
      'examples/**/.compute/**',
      // The scaffold of `compute init`: checked by installing it in a project (test/e2e/init-and-image.test.ts).
      'templates/**',
    ],
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Port methods are async by contract; in-memory and local adapters often have nothing to await.
      '@typescript-eslint/require-await': 'off',
      // `const { omitted: _x, ...rest } = value` is how a field is left out of a copy.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, varsIgnorePattern: '^_', argsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      // vitest's asymmetric matchers (expect.any, expect.stringContaining) are typed any, and
      // fixtures stringify scalar cells they built themselves: the unsafe-any and
      // stringification rules would flag every such line of a test without finding a bug.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
  // The layers, bottom up: shared/ (the core), the services, cli/ (the one
  // composition root: it alone wires the services together).
  service('planner', ['executor', 'worker', 'cli']),
  service('executor', ['planner', 'worker', 'cli']),
  service('worker', ['planner', 'executor', 'cli']),
  ...sharedLayers(),
  // Only the composition root (cli/open-ports.ts and the wiring it calls) reads the environment.
  {
    files: ['shared/**/*.ts', ...SERVICES.map((name) => `${name}/**/*.ts`)],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Only the composition root (cli/) reads the environment: take the value as a parameter.',
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { local: { rules: { 'no-import-cycle': noImportCycle } } },
    rules: { 'local/no-import-cycle': 'error' },
  },
);

/**
 * The core's own layers, bottom up: a folder of shared/ may import its own
 * layer and those below, never above, and never a service. (shared/index.ts,
 * the package's public face, and errors.ts sit outside the layers.)
 */
function sharedLayers() {
  const layers = [
    ['util', 'model'],
    ['project', 'manifest', 'schedule'],
    ['ports', 'events', 'warehouse', 'checks', 'logging'],
    ['state', 'plan', 'runtime', 'batches', 'reports'],
    ['adapters', 'http', 'testing', 'console'],
  ];
  const forbidden = (above) => [
    {
      group: [...SERVICES, 'cli'].map((name) => `**/${name}/**`),
      message: 'shared/ is the core: it must not import a service or the CLI.',
    },
    ...above.map((folder) => ({
      group: [`**/${folder}/**`, `../${folder}/*`],
      message: `shared/${folder}/ is in a higher layer of the core (see sharedLayers in eslint.config.mjs).`,
    })),
  ];
  return [
    { files: ['shared/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: forbidden([]) }] } },
    ...layers.flatMap((layer, i) =>
      layer.map((folder) => ({
        files: [`shared/${folder}/**/*.ts`],
        rules: { 'no-restricted-imports': ['error', { patterns: forbidden(layers.slice(i + 1).flat()) }] },
      })),
    ),
  ];
}
