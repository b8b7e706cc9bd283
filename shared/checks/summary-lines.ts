import type { CheckOutcome } from './run-checks.ts';

/** Failed checks named in the Execution Summary's text; the rest are counted. */
const NAMED = 5;

/**
 * One line of the Execution Summary text for the result checks that failed
 * in a run, or none: each as `Computation check on DATE (severity)`, and the
 * command that shows its offending entities.
 */
export function failedChecksLine(
  rows: ReadonlyArray<{ name: string; date: string; checks?: CheckOutcome[] | undefined }>,
): string[] {
  const failed = rows.flatMap((row) => (row.checks ?? []).filter((c) => !c.passed).map((c) => ({ row, check: c })));
  if (failed.length === 0) return [];
  const named = failed
    .slice(0, NAMED)
    .map(({ row, check }) => `${row.name} ${check.name} on ${row.date} (${check.severity})`);
  const more = failed.length > NAMED ? `, and ${failed.length - NAMED} more` : '';
  const first = failed[0]!.row;
  return [
    `Result checks failed: ${named.join(', ')}${more}; see compute show --computation ${first.name} --date ${first.date}`,
  ];
}
