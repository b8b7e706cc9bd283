import type { CheckOutcome } from '../checks/run-checks.ts';
import type { Manifest } from '../manifest/manifest.ts';
import { decide, previousDate, type Decision, type DependencyView } from '../plan/decide.ts';
import { gatherDecideInputs } from '../plan/decide-inputs.ts';
import type { StateStore } from '../ports/state-store.ts';
import type { VersionScope } from '../ports/warehouse.ts';
import { versionScope } from '../plan/input-versions.ts';
import { notDueReason } from '../schedule/due.ts';
import { repairWindow, scanRepairWindow, type RepairItem } from '../plan/repair.ts';
import type { IsoDate } from '../model/types.ts';
import type { ComputationReader } from '../warehouse/computation-reader.ts';

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
      const { stored, previous, inputs, dependencies } = await gatherDecideInputs({ state, reader }, entry, date, scope);
      const decision = decide({
        manifest,
        entry,
        date,
        force,
        stored,
        previous,
        inputs,
        dependency: (name) => views.get(name) ?? { kind: 'final', state: dependencies.get(name) ?? null },
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

/** What the computations that would run would scan in all; null when any of them cannot say. */
export function totalRunBytes(computations: AnalyzedComputation[]): number | null {
  const running = computations.filter((c) => c.decision === 'run');
  return running.some((c) => c.bytes === null) ? null : running.reduce((sum, c) => sum + c.bytes!, 0);
}

/** What `compute analyze` (and, without repair and versions, the management API and console) report. */
export interface AnalyzeReport {
  date: IsoDate;
  to: IsoDate;
  computations: AnalyzedComputation[];
  totalBytes: number | null;
  /** How many version queries the analysis sent, and what each costs on this warehouse. */
  inputVersions: { queries: number; cost: string };
  /** With `repair`: the repair window's dates (empty when repairDays is 0) and what it would run again. */
  repair: { window: IsoDate[]; items: RepairItem[] } | null;
}

/**
 * Analyzes a request's dates (see analyzeDates) and, with `repair`, the
 * repair window before them, with one version scope for both.
 */
export async function analyzeReport(
  source: { manifest: Manifest; state: StateStore; reader: ComputationReader },
  request: { dates: IsoDate[]; computations: string[] | null; force: boolean; repair?: boolean },
): Promise<AnalyzeReport> {
  const { manifest, state, reader } = source;
  const { dates, computations: selected } = request;
  const scope = versionScope(manifest);
  const computations = await analyzeDates(manifest, state, reader, dates, selected, request.force, scope);
  const window = request.repair === true ? repairWindow(dates, manifest.project.repairDays) : null;
  const items =
    window === null
      ? null
      : await scanRepairWindow(
          { manifest, state, reader },
          window,
          selected ?? manifest.computations.map((e) => e.name),
          scope,
        );
  return {
    date: dates[0]!,
    to: dates[dates.length - 1]!,
    computations,
    totalBytes: totalRunBytes(computations),
    inputVersions: { queries: scope.queries, cost: reader.versionQueryCost },
    repair: window === null || items === null ? null : { window, items },
  };
}
