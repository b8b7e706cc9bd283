import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import type { Manifest } from '../../shared/manifest/manifest.ts';
import { decide, previousDate, type Decision, type DependencyView } from '../../shared/plan/decide.ts';
import type { StateStore } from '../../shared/ports/state-store.ts';
import type { VersionScope } from '../../shared/ports/warehouse.ts';
import { ComputationReader } from '../../shared/warehouse/computation-reader.ts';
import { inputVersionsFor, versionScope } from '../../shared/runtime/input-versions.ts';
import { notDueReason } from '../../shared/schedule/due.ts';
import { repairWindow, scanRepairWindow } from '../../shared/plan/repair.ts';
import { loadProject, printJson, type Command } from '../command.ts';
import { openPorts } from '../open-ports.ts';
import { RUN_FLAGS, runRequestFromFlags } from './run.ts';
import { formatBytes } from './render.ts';
import type { CheckOutcome } from '../../shared/checks/run-checks.ts';

const ICONS: Record<string, string> = { run: '▶️', skip: '⏭️', blocked: '⛔', impossible: '🚫' };

export interface AnalyzedComputation {
  name: string;
  date: string;
  decision: Decision['decision'];
  reasons: string[];
  changed: string[];
  /** Bytes the run would scan; null when unknown (never 0 for unknown). */
  bytes: number | null;
  /** Its result checks' outcomes when it last ran on the date (issue 22); null when it has none or none ran. */
  checks: CheckOutcome[] | null;
  /** Whether its schedule makes it due on the date; a scheduled run leaves it out when not (a manual run still runs it). */
  due: boolean;
}

/**
 * Simulates a run without running anything: pass by pass, what would run,
 * skip, be blocked or be impossible, and why. A dependency that would
 * re-run makes its dependents 'run' (they skip at run time if its output
 * turns out unchanged).
 */
export async function analyzeDates(
  manifest: Manifest,
  state: StateStore,
  reader: ComputationReader,
  dates: string[],
  selected: string[] | null,
  force: boolean,
  scope: VersionScope = versionScope(manifest),
): Promise<AnalyzedComputation[]> {
  const out: AnalyzedComputation[] = [];
  const willRun = new Set<string>();
  for (const date of dates) {
    const views = new Map<string, DependencyView>();
    for (const entry of manifest.computations) {
      if (selected !== null && !selected.includes(entry.name)) continue;
      const [stored, previous, inputs] = await Promise.all([
        state.states.get(date, entry.name),
        entry.config.isHistorical ? state.states.get(previousDate(entry, date), entry.name) : Promise.resolve(null),
        inputVersionsFor(reader, entry, date, scope),
      ]);
      const deps = new Map(
        await Promise.all(entry.config.dependencies.map(async (d) => [d, await state.states.get(date, d)] as const)),
      );
      const decision = decide({
        manifest,
        entry,
        date,
        force,
        stored,
        previous,
        inputs,
        dependency: (name) => views.get(name) ?? { kind: 'final', state: deps.get(name) ?? null },
      });
      if (
        entry.config.isHistorical &&
        willRun.has(`${previousDate(entry, date)}/${entry.name}`) &&
        decision.decision === 'skip'
      ) {
        decision.decision = 'run';
        decision.reasons = [
          `the previous day (${previousDate(entry, date)}) re-runs first; this re-runs unless its output is unchanged`,
        ];
        decision.changed = ['previous'];
      }
      let bytes: number | null = null;
      if (decision.decision === 'run') {
        const { reads, problems } = await reader.plan(entry, date);
        if (problems.length > 0) decision.reasons.push(...problems.map((p) => `will fail: ${p.message}`));
        else if (!reader.scansAreFree && reads.some((r) => r.mandatory)) {
          // On BigQuery even a first look at a table bills a scan: leave the check to the run.
          decision.reasons.push('mandatory tables are checked when it runs (looking now would bill a BigQuery scan)');
          bytes = (await reader.estimate(reads)).totalBytes;
        } else {
          const impossible = await reader.mandatoryEmpty(reads);
          if (impossible !== null) {
            decision.decision = 'impossible';
            decision.reasons = [impossible];
          } else if (reads.length > 0) bytes = (await reader.estimate(reads)).totalBytes;
          else bytes = 0;
        }
      }
      if (decision.decision === 'run') willRun.add(`${date}/${entry.name}`);
      views.set(
        entry.name,
        decision.decision === 'run'
          ? { kind: 'will-run' }
          : decision.decision === 'skip'
            ? { kind: 'final', state: stored }
            : { kind: 'will-not-run', status: decision.decision },
      );
      const notDue = notDueReason(entry.config.schedule, date);
      out.push({
        name: entry.name,
        date,
        decision: decision.decision,
        reasons: notDue === null ? decision.reasons : [...decision.reasons, `${notDue}; a scheduled run leaves it out`],
        due: notDue === null,
        changed: decision.changed,
        bytes: decision.decision === 'run' ? bytes : 0,
        checks: stored?.checks?.outcomes ?? null,
      });
    }
  }
  return out;
}

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'say what a run would do for a date (run, skip, blocked, impossible), why, and what it would scan',
  flags: {
    date: RUN_FLAGS.date,
    to: { type: 'string', description: 'last date of a range, inclusive' },
    computation: RUN_FLAGS.computation,
    force: { type: 'boolean', description: 'analyze as if the run were forced' },
    repair: {
      type: 'boolean',
      description: 'also say what the repair window (the repairDays dates before --date) would run again, and why',
    },
  },
  async run(input) {
    const now = new Date();
    runRequestFromFlags(input.flags, now, null);
    const project = await loadProject(input);
    const manifest = await requireManifest(project);
    const request = runRequestFromFlags(input.flags, now, { config: project, manifest });
    const { dates, computations: selected } = request;
    const opened = await openPorts(manifest, 'inspect', { env: input.io.env });
    const { state } = opened;
    try {
      const reader = opened.reader;
      const scope = versionScope(manifest);
      const computations = await analyzeDates(manifest, state, reader, dates, selected, request.force, scope);
      const repair = request.repair
        ? await scanRepairWindow(
            { manifest, state, reader },
            repairWindow(dates, manifest.project.repairDays),
            selected ?? manifest.computations.map((e) => e.name),
            scope,
          )
        : null;
      const running = computations.filter((c) => c.decision === 'run');
      const totalBytes = running.some((c) => c.bytes === null) ? null : running.reduce((sum, c) => sum + c.bytes!, 0);
      const versions = { queries: scope.queries, cost: reader.versionQueryCost };
      if (input.flags.json === true) {
        printJson(input, {
          date: dates[0],
          to: dates[dates.length - 1],
          computations,
          totalBytes,
          inputVersions: versions,
          ...(repair === null ? {} : { repair }),
        });
        return 0;
      }
      if (repair !== null) {
        const window = repairWindow(dates, manifest.project.repairDays);
        input.io.stdout(
          window.length === 0
            ? 'Repair window: off (repairDays is 0)\n'
            : `Repair window ${window[0]}..${window[window.length - 1]}: ${repair.length === 0 ? 'nothing to repair' : `${repair.length} to run again`}\n`,
        );
        for (const item of repair) input.io.stdout(`  ▶️ ${item.date} ${item.name.padEnd(26)} ${item.reason}\n`);
      }
      // DuckDB cannot price a scan: its lines leave the column out instead of saying 'unknown' on each.
      const priced = !reader.scansAreFree;
      for (const date of dates) {
        input.io.stdout(`${date}:\n`);
        for (const c of computations.filter((x) => x.date === date)) {
          const changed = c.changed.length > 0 ? `  [changed: ${c.changed.join(', ')}]` : '';
          const due = c.due ? '' : '  [not due]';
          const bytes = c.decision === 'run' && priced ? `  scans ${formatBytes(c.bytes)}` : '';
          input.io.stdout(
            `  ${ICONS[c.decision]} ${c.name.padEnd(26)} ${c.decision.padEnd(10)} ${c.reasons.join('; ')}${changed}${bytes}${due}\n`,
          );
        }
      }
      const counts = ['run', 'skip', 'blocked', 'impossible']
        .map((d) => `${computations.filter((c) => c.decision === d).length} ${d}`)
        .join(', ');
      input.io.stdout(`\n${counts}${priced ? `; would scan ${formatBytes(totalBytes)} in total` : ''}\n`);
      if (versions.queries > 0)
        input.io.stdout(
          `Input versions: ${versions.queries} quer${versions.queries === 1 ? 'y' : 'ies'}; each ${versions.cost}.\n`,
        );
      return 0;
    } finally {
      await opened.close();
    }
  },
};
