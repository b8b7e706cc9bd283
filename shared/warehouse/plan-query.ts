import type { Problem } from '../errors.ts';
import type { Requirement } from '../model/config-schema.ts';
import type { ComputationType, IsoDate } from '../model/types.ts';
import type { ColumnInfo, TableQuery, TableSchema } from '../ports/warehouse.ts';
import { didYouMean } from '../util/nearest.ts';
import { daysBeforeOrFirst } from '../model/dates.ts';
import { DATE_KINDS } from './values.ts';

export interface QueryPlanInput {
  computation: string;
  type: ComputationType;
  table: string;
  requirement: Requirement;
  /** Project defaults for entity and date columns. */
  entityField: string;
  dateField: string;
  /** The discovered schema, or null when the table does not exist. */
  schema: TableSchema | null;
  /** Existing tables, for suggestions. */
  tables: readonly string[];
  date: IsoDate;
}

/** The date window a requirement reads: [date - lookback, date], starting no earlier than 0001-01-01. */
export function windowOf(requirement: Requirement, date: IsoDate): { from: IsoDate; to: IsoDate } {
  return { from: daysBeforeOrFirst(date, requirement.lookback), to: date };
}

/**
 * Builds the read of one required table, checking every name against the
 * discovered schema first. Nothing reaches the warehouse unless every
 * table and column exists and the date column has a usable type.
 */
export function planTableQuery(input: QueryPlanInput): {
  query: TableQuery | null;
  problems: Problem[];
  /** Risks that do not stop the read, e.g. a window that cannot prune partitions. */
  warnings: Problem[];
} {
  const { computation, table, schema, requirement } = input;
  const where = `Computation '${computation}' requires table '${table}'`;
  const problem = (code: string, message: string): Problem => ({ code, computation, message });
  if (schema === null) {
    return {
      query: null,
      problems: [
        problem('UNKNOWN_TABLE', `${where}, which does not exist in the warehouse.${didYouMean(table, input.tables)}`),
      ],
      warnings: [],
    };
  }
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  const names = schema.columns.map((c) => c.name);
  const problems: Problem[] = [];
  const column = (name: string, role: string, option: string): ColumnInfo | null => {
    const found = byName.get(name);
    if (found === undefined) {
      problems.push(
        problem(
          'UNKNOWN_COLUMN',
          `${where}: it has no column '${name}' (${role}; set ${option}).${didYouMean(name, names)} Columns: ${names.join(', ')}.`,
        ),
      );
      return null;
    }
    return found;
  };

  const dateName = requirement.dateField === undefined ? input.dateField : requirement.dateField;
  let window: TableQuery['window'] = null;
  if (dateName !== null) {
    const dateColumn = column(
      dateName,
      'the date column',
      `requires.${table}.dateField, or null to read the whole table`,
    );
    if (dateColumn !== null && !DATE_KINDS.includes(dateColumn.kind)) {
      problems.push(
        problem(
          'UNUSABLE_DATE_COLUMN',
          `${where}: its date column '${dateName}' is ${dateColumn.type}; it must be DATE, TIMESTAMP or DATETIME. Point requires.${table}.dateField at such a column, or set it to null to read the whole table.`,
        ),
      );
    } else if (dateColumn !== null) {
      window = { column: dateColumn, ...windowOf(requirement, input.date) };
    }
  }

  let entity: ColumnInfo | null = null;
  if (input.type === 'per-entity') {
    entity = column(requirement.entityField ?? input.entityField, 'the entity column', `requires.${table}.entityField`);
  }

  let columns = schema.columns;
  if (requirement.columns !== undefined) {
    const listed = requirement.columns
      .map((name) => column(name, 'listed in columns', `requires.${table}.columns`))
      .filter((c): c is ColumnInfo => c !== null);
    for (const needed of [entity, window?.column]) {
      if (needed != null && !listed.includes(needed)) listed.push(needed);
    }
    columns = listed;
  }

  const warnings: Problem[] = [];
  if (schema.partitioning !== undefined && problems.length === 0) {
    const checked = partitionChecks(input, window?.column.name ?? null, schema.partitioning);
    if (checked !== null) (checked.severity === 'error' ? problems : warnings).push(checked.problem);
  }
  if (problems.length > 0) return { query: null, problems, warnings };
  return { query: { table, columns, entity, window, orderByEntity: entity !== null }, problems, warnings };
}

/**
 * A read BigQuery would refuse (the table requires a filter on its
 * partitioning column and the read has none), or one that scans the whole
 * table every run (its window is on another column than the partitioning).
 */
function partitionChecks(
  input: QueryPlanInput,
  windowColumn: string | null,
  partitioning: NonNullable<TableSchema['partitioning']>,
): { severity: 'error' | 'warning'; problem: Problem } | null {
  const { computation, table } = input;
  const where = `Computation '${computation}' requires table '${table}'`;
  const on = partitioning.column;
  if (windowColumn === on) return null;
  const ingestion = on === '_PARTITIONTIME';
  const partitionedBy = ingestion ? 'by ingestion time (_PARTITIONTIME)' : `on column '${on}'`;
  const fix = ingestion
    ? `Partition the table on its date column instead, or drop the partition filter requirement.`
    : `Set requires.${table}.dateField to '${on}'.`;
  if (partitioning.requireFilter) {
    const read = windowColumn === null ? 'with dateField: null (no date filter)' : `with a window on '${windowColumn}'`;
    return {
      severity: 'error',
      problem: {
        code: 'PARTITION_FILTER_REQUIRED',
        computation,
        message: `${where}, which is partitioned ${partitionedBy} and requires a partition filter, but reads it ${read}: BigQuery refuses such a query. ${fix}`,
      },
    };
  }
  if (windowColumn === null) return null;
  return {
    severity: 'warning',
    problem: {
      code: 'WINDOW_NOT_ON_PARTITION',
      computation,
      message: `${where} with a window on '${windowColumn}', but the table is partitioned ${partitionedBy}: the window cannot prune partitions, so every run scans (and BigQuery bills) the whole table, not the days it reads. ${ingestion ? 'Partition the table on its date column' : `Point requires.${table}.dateField at '${on}' if it holds the same date, or partition the table on '${windowColumn}'`}.`,
    },
  };
}
