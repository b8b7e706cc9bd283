import { afterEach, describe, expect, it } from 'vitest';
import { cli, json } from '../../support/cli.ts';
import { computationSource, tempProject, type TempProject } from '../../support/temp-project.ts';

interface ValidateOutput {
  ok: boolean;
  computations: Array<{ name: string }>;
  errors: Array<{ code: string; message: string }>;
}

describe('a computation file that cannot be loaded', () => {
  let project: TempProject | undefined;
  afterEach(async () => {
    await project?.remove();
    project = undefined;
  });

  it('names file:line:column of a TypeScript syntax error and shows the line', async () => {
    project = await tempProject({
      'computations/good.ts': computationSource({ name: 'Good', type: 'global' }),
      'computations/broken.ts': [
        "import { Computation } from 'computation-system';",
        'interface Row {',
        '  id: string; )))',
        '}',
        'export default class Broken extends Computation {}',
        '',
      ].join('\n'),
    });
    const result = await cli(['validate', '--project', project.root, '--json']);
    expect(result.code).toBe(1);
    const [error] = json<ValidateOutput>(result).errors;
    expect(error!.code).toBe('LOAD_FAILED');
    expect(error!.message).toContain('computations/broken.ts:3:15: syntax error:');
    expect(error!.message).toContain('3 |   id: string; )))');
    // The caret sits under the first ')'.
    const lines = error!.message.split('\n');
    const code = lines.find((l) => l.includes('3 |'))!;
    const caret = lines.find((l) => l.trimEnd().endsWith('^'))!;
    expect(code[caret.indexOf('^')]).toBe(')');
  });

  it('names file:line:column of a JavaScript syntax error, which Node reports without a line', async () => {
    project = await tempProject({
      'computations/broken.js': [
        "import { Computation } from 'computation-system';",
        'export default class Broken extends Computation {',
        "  static getConfig() { return { name: 'Broken', type: 'global' }; }",
        '  process() { return (; }',
        '}',
        '',
      ].join('\n'),
    });
    const result = await cli(['validate', '--project', project.root]);
    expect(result.code).toBe(1);
    expect(result.stderr + result.stdout).toContain('computations/broken.js:4:23: syntax error: Unexpected token');
  });

  it('names file:line:column of a syntax error in a helper module the computation imports', async () => {
    project = await tempProject({
      'computations/uses-helper.ts': [
        "import { Computation } from 'computation-system';",
        "import { half } from './_lib/math.ts';",
        'export default class UsesHelper extends Computation {',
        "  static getConfig() { return { name: 'UsesHelper', type: 'global' }; }",
        '  process() { return half(4); }',
        '}',
        '',
      ].join('\n'),
      'computations/_lib/math.ts': 'export const half = (x: number) => (x / 2;\n',
    });
    const result = await cli(['validate', '--project', project.root, '--json']);
    const [error] = json<ValidateOutput>(result).errors;
    expect(error!.message).toContain(
      'computations/uses-helper.ts could not be loaded: computations/_lib/math.ts:1:42: syntax error:',
    );
    expect(error!.message).toContain('1 | export const half = (x: number) => (x / 2;');
  });

  it('keeps the loader message for errors that are not syntax errors', async () => {
    project = await tempProject({ 'computations/throws.ts': "throw new Error('boom at import');\n" });
    const result = await cli(['validate', '--project', project.root, '--json']);
    expect(json<ValidateOutput>(result).errors.map((e) => e.message)).toEqual([
      'computations/throws.ts could not be loaded: boom at import',
    ]);
  });

  it('refuses a file that exports no computation class, but not a helper whose name starts with _', async () => {
    project = await tempProject({
      'computations/good.ts': computationSource({ name: 'Good', type: 'global' }),
      'computations/helpers.ts': 'export const twice = (x: number) => 2 * x;\n',
      'computations/_lib/math.ts': 'export const half = (x: number) => x / 2;\n',
    });
    const result = await cli(['validate', '--project', project.root, '--json']);
    const output = json<ValidateOutput>(result);
    expect(result.code).toBe(1);
    expect(output.errors.map((e) => [e.code, e.message.split(' ')[0]])).toEqual([
      ['NO_COMPUTATION', 'computations/helpers.ts'],
    ]);
    expect(output.computations.map((c) => c.name)).toEqual(['Good']);
  });
});
