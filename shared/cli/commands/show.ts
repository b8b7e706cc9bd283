import { requireManifest } from '../../manifest/build-manifest.ts';
import { requireComputation } from '../../manifest/manifest.ts';
import { dateFlag, oneComputationFlag, stringFlag } from '../args.ts';
import { loadProject, printJson, type Command } from '../command.ts';
import { openStateStore, openWarehouse } from '../wiring.ts';
import type { CheckOutcome } from '../../checks/run-checks.ts';

export const ENTITY_FLAG = { type: 'string', description: 'only this entity', aliases: ['entityId'] } as const;

async function checkOutcomes(
  project: Parameters<typeof openStateStore>[0],
  name: string,
  date: string,
): Promise<CheckOutcome[] | null> {
  const store = await openStateStore(project);
  try {
    return (await store.states.get(date, name))?.checks?.outcomes ?? null;
  } finally {
    await store.close();
  }
}

export const showCommand: Command = {
  name: 'show',
  summary: 'print the stored results of a computation for a date',
  flags: {
    computation: { type: 'string', description: 'computation name (required)' },
    date: { type: 'string', description: 'date YYYY-MM-DD (required)' },
    'entity-id': ENTITY_FLAG,
  },
  async run(input) {
    const name = oneComputationFlag(input.flags, 'show');
    const date = dateFlag(input.flags, 'date', true);
    const entityId = stringFlag(input.flags, 'entity-id');
    const project = await loadProject(input);
    const entry = requireComputation(await requireManifest(project), name);
    const opened = await openWarehouse(project);
    try {
      const results = await opened.results.read(entry.name, date, entityId === undefined ? undefined : [entityId]);
      // Issue 22: what the result checks found on these results, from the computation-date's state.
      const checks = entry.config.checks.length === 0 ? null : await checkOutcomes(project, entry.name, date);
      if (input.flags.json === true) printJson(input, { computation: entry.name, date, results, checks });
      else if (results.length === 0)
        input.io.stdout(
          `No stored results for ${entry.name} on ${date}${entityId === undefined ? '' : ` for entity ${entityId}`}.\n`,
        );
      else for (const r of results) input.io.stdout(`${r.entityId}\t${JSON.stringify(r.result)}\n`);
      if (input.flags.json !== true)
        for (const c of checks ?? [])
          input.io.stdout(`check ${c.name} (${c.severity}): ${c.passed ? 'passed' : 'FAILED'}: ${c.message}\n`);
      return 0;
    } finally {
      await opened.close();
    }
  },
};
