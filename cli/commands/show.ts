import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import { dateFlag, oneComputationFlag, stringFlag } from '../args.ts';
import { loadProject, printJson, type Command } from '../command.ts';
import { openPorts } from '../open-ports.ts';
import { computationFromFlag } from './run.ts';
import { isPartial, shownStatus } from '../../shared/plan/decide.ts';
import type { ComputationState } from '../../shared/ports/state-store.ts';

/**
 * What the stored results do not say by themselves: that they lack the
 * failed entities (partial), or that the last attempt failed or was
 * blocked, so they are what an earlier run stored.
 */
function resultsNote(name: string, date: string, state: ComputationState | null, any: boolean): string | null {
  if (state === null) return null;
  const again = `compute run --date ${date} --computation ${name}`;
  if (isPartial(state)) {
    const ids = (state.failures ?? []).map((f) => f.entityId);
    return `⚠️ ${name} on ${date} is partial: ${state.counts?.failed ?? 0} of ${state.counts?.planned ?? 0} entities failed and have no result here${ids.length > 0 ? ` (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''})` : ''}. Run it again: ${again}`;
  }
  if (state.status === 'failed' || state.status === 'blocked' || state.status === 'impossible')
    return any
      ? `❌ ${name} on ${date} is ${state.status} since ${state.finishedAt ?? state.updatedAt}: these results are older, from an earlier run. Run it again: ${again}`
      : `${name} on ${date} is ${state.status}${state.error !== null ? `: ${state.error}` : state.reason !== null ? `: ${state.reason}` : ''}`;
  if (state.status === 'running') return `${name} on ${date} is running: these results are from before it started`;
  return null;
}
import type { CheckOutcome } from '../../shared/checks/run-checks.ts';

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
    const opened = await openPorts(project, 'inspect', { env: input.io.env });
    const store = opened.state;
    try {
      const [results, state] = await Promise.all([
        opened.results.read(entry.name, date, entityId === undefined ? undefined : [entityId]),
        store.states.get(date, entry.name),
      ]);
      const note = resultsNote(entry.name, date, state, results.length > 0);
      // Issue 22: what the result checks found on these results, from the computation-date's state.
      const checks: CheckOutcome[] | null = entry.config.checks.length === 0 ? null : (state?.checks?.outcomes ?? null);
      if (input.flags.json === true) {
        printJson(input, {
          computation: entry.name,
          date,
          status: state === null ? null : shownStatus(state),
          note,
          failedEntities: state?.failures ?? [],
          results,
          checks,
        });
        return 0;
      }
      if (note !== null) input.io.stderr(`${note}\n`);
      if (results.length === 0)
        input.io.stdout(
          `No stored results for ${entry.name} on ${date}${entityId === undefined ? '' : ` for entity ${entityId}`}.\n`,
        );
      else for (const r of results) input.io.stdout(`${r.entityId}\t${JSON.stringify(r.result)}\n`);
      for (const c of checks ?? [])
        input.io.stdout(`check ${c.name} (${c.severity}): ${c.passed ? 'passed' : 'FAILED'}: ${c.message}\n`);
      return 0;
    } finally {
      await opened.close();
    }
  },
};
