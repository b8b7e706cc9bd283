import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, json } from '../../support/cli.ts';
import { computationSource, tempProject, type TempProject } from '../../support/temp-project.ts';

interface ValidateOutput {
  ok: boolean;
  errors: Array<{ code: string; message: string }>;
}

const RULES = {
  'rules/risk.ts': 'export const limit = 3;\n',
  'rules/fees.ts': 'export const rate = 0.01;\n',
};

describe('a rule used in code but not listed in the config', () => {
  let project: TempProject | undefined;
  afterEach(async () => {
    await project?.remove();
    project = undefined;
  });

  it('is refused by validate at the line that reads it, once per rule', async () => {
    project = await tempProject({
      ...RULES,
      'computations/score.ts': computationSource(
        { name: 'Score', type: 'global', rules: ['risk'] },
        [
          'const limit = ctx.rules.risk.limit;',
          '    const rate = ctx.rules.fees.rate;',
          "    const again = ctx.rules['fees'].rate;",
          '    const { tax } = ctx.rules;',
          '    return limit * rate * again * tax;',
        ].join('\n'),
      ),
    });
    const result = await cli(['validate', '--project', project.root, '--json']);
    expect(result.code).toBe(1);
    const errors = json<ValidateOutput>(result).errors;
    expect(errors.map((e) => e.code)).toEqual(['RULE_NOT_LISTED', 'RULE_NOT_LISTED']);
    expect(errors[0]!.message).toBe(
      "computations/score.ts:9: computation 'Score' uses ctx.rules.fees, but its config does not list 'fees' in rules, so ctx.rules.fees would be undefined when it runs. Add 'fees' to rules in its getConfig() (rules: ['risk', 'fees']).",
    );
    expect(errors[1]!.message).toContain("computations/score.ts:11: computation 'Score' uses ctx.rules.tax");
    expect(errors[1]!.message).toMatch(/rules\/ has no module tax.ts or tax.js either.$/);
  });

  it('leaves a `rules` field of the data alone: only the context of process() has ctx.rules', async () => {
    project = await tempProject({
      ...RULES,
      'computations/score.ts': computationSource(
        { name: 'Score', type: 'global', requires: { policies: {} }, rules: ['risk'] },
        [
          'const sizes = ctx.data.policies.map((policy) => policy.rules.length);',
          '    const first = ctx.data.policies[0].rules.max;',
          '    return { sizes, first, limit: ctx.rules.risk.limit };',
        ].join('\n'),
      ),
    });
    const result = await cli(['validate', '--project', project.root, '--json']);
    expect(json<ValidateOutput>(result)).toMatchObject({ ok: true, errors: [] });
  });

  it('passes validate when every rule read is listed', async () => {
    project = await tempProject({
      ...RULES,
      'computations/score.ts': computationSource(
        { name: 'Score', type: 'global', rules: ['risk', 'fees'] },
        'return ctx.rules.risk.limit * ctx.rules.fees.rate;',
      ),
    });
    const result = await cli(['validate', '--project', project.root, '--json']);
    expect(json<ValidateOutput>(result)).toMatchObject({ ok: true, errors: [] });
  });

  it('names the unlisted rule at run time when the code picks it by a computed name', async () => {
    project = await tempProject({
      ...RULES,
      'compute.config.json': JSON.stringify({ warehouse: { type: 'duckdb', path: 'w.duckdb' } }),
      'computations/score.ts': computationSource(
        { name: 'Score', type: 'per-entity', requires: { readings: {} }, rules: ['risk'] },
        "const name = 'fe' + 'es';\n    return ctx.rules[name].rate;",
      ),
    });
    const instance = await DuckDBInstance.create(join(project.root, 'w.duckdb'));
    const connection = await instance.connect();
    await connection.run("CREATE TABLE readings AS SELECT 'd1' AS entity_id, DATE '2026-03-01' AS date, 1.5 AS value");
    connection.closeSync();
    instance.closeSync();
    const result = await cli(['run', '--project', project.root, '--date', '2026-03-01', '--json']);
    const run = json<{ computations: Array<{ name: string; status: string; error?: string | null }> }>(result);
    const status = await cli(['status', '--project', project.root, '--json']);
    const text = JSON.stringify(json(status)) + JSON.stringify(run);
    expect(text).toContain("Score reads ctx.rules.fees, but its config does not list 'fees' in rules (listed: risk)");
    expect(text).not.toContain('Cannot read properties of undefined');
  });
});
