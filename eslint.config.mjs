// Keeps the architecture visible: services import shared/, never each other,
// and no promise is left floating (an unawaited publish is lost data).
import tseslint from 'typescript-eslint';

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
      '**/.compute/**',
      'bin/**',
      'examples/**/.compute/**',
      // The scaffold of `compute init`: checked by installing it in a project (test/e2e/init-and-image.test.ts).
      'templates/**',
    ],
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  service('planner', ['executor', 'worker']),
  service('executor', ['planner', 'worker']),
  service('worker', ['planner', 'executor']),
  {
    files: ['shared/**/*.ts'],
    // The CLI is the composition root: it alone wires the services together.
    ignores: ['shared/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/planner/**', '**/executor/**', '**/worker/**'],
              message: 'shared/ is the core: it must not import a service.',
            },
          ],
        },
      ],
    },
  },
);
