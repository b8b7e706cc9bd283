import { requireManifest } from '../../manifest/build-manifest.ts';
import { dateFlag, oneComputationFlag, stringFlag } from '../args.ts';
import { loadProject, printJson, type Command } from '../command.ts';
import { openWarehouse } from '../wiring.ts';
import { computationFromFlag } from './run.ts';

export const ENTITY_FLAG = { type: 'string', description: 'only this entity', aliases: ['entityId'] } as const;

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
    const entry = computationFromFlag(await requireManifest(project), name);
    const opened = await openWarehouse(project);
    try {
      const results = await opened.results.read(entry.name, date, entityId === undefined ? undefined : [entityId]);
      if (input.flags.json === true) printJson(input, { computation: entry.name, date, results });
      else if (results.length === 0)
        input.io.stdout(
          `No stored results for ${entry.name} on ${date}${entityId === undefined ? '' : ` for entity ${entityId}`}.\n`,
        );
      else for (const r of results) input.io.stdout(`${r.entityId}\t${JSON.stringify(r.result)}\n`);
      return 0;
    } finally {
      await opened.close();
    }
  },
};
