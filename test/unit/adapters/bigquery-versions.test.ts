import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigqueryWarehouse } from '../../../shared/adapters/bigquery/bigquery-warehouse.ts';
import { requireManifest } from '../../../shared/manifest/build-manifest.ts';
import type { Manifest } from '../../../shared/manifest/manifest.ts';
import { ManualClock } from '../../../shared/ports/clock.ts';
import { loadProjectConfig } from '../../../shared/project/project-config.ts';
import { inputVersionsFor, versionScope } from '../../../shared/plan/input-versions.ts';
import { ComputationReader } from '../../../shared/warehouse/computation-reader.ts';
import { bigqueryPartitionsQuery } from '../../../shared/warehouse/dialects/bigquery.ts';
import { SchemaRegistry } from '../../../shared/warehouse/schema-registry.ts';
import { FakeBigQuery } from '../../support/fake-bigquery/server.ts';
import { computationSource, tempProject, type TempProject } from '../../support/temp-project.ts';

const DATES = ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04'];

/**
 * Input versions on BigQuery, through a real client and the REST fake:
 * versions come from INFORMATION_SCHEMA.PARTITIONS (metadata, no scan), one
 * query per dataset per run whatever the number of computations and dates,
 * and change exactly for the windows whose partitions changed.
 */
describe('input versions on BigQuery (partition metadata)', () => {
  let project: TempProject;
  let fake: FakeBigQuery;
  let manifest: Manifest;
  let reader: ComputationReader;

  beforeAll(async () => {
    project = await tempProject({
      'computations/daily.js': computationSource({ name: 'Daily', type: 'per-entity', requires: { events: {} } }),
      'computations/window3.js': computationSource({
        name: 'Window3',
        type: 'per-entity',
        requires: { events: { lookback: 2 } },
      }),
      'computations/labeled.js': computationSource({
        name: 'Labeled',
        type: 'global',
        requires: { dims: { dateField: null } },
      }),
      'computations/other.js': computationSource({ name: 'ByOther', type: 'global', requires: { logs: {} } }),
    });
    manifest = await requireManifest(await loadProjectConfig(project.root));
    fake = await FakeBigQuery.start('acme');
    await fake.dataset('facts');
    const events = DATES.flatMap((date) => ['e1', 'e2'].map((entity_id) => ({ date, entity_id, value: 1 })));
    await fake.table('facts', 'events', {
      columns: { date: 'DATE', entity_id: 'STRING', value: 'INT64' },
      timePartitioning: { type: 'DAY', field: 'date' },
      rows: events,
    });
    await fake.table('facts', 'dims', {
      columns: { entity_id: 'STRING', label: 'STRING' },
      rows: [{ entity_id: 'e1', label: 'one' }],
    });
    // Partitioned by when a line was ingested, read by its own date: no partition maps to a window.
    await fake.table('facts', 'logs', {
      columns: { date: 'DATE', ingested: 'DATE', entity_id: 'STRING' },
      timePartitioning: { type: 'DAY', field: 'ingested' },
      rows: DATES.map((date) => ({ date, ingested: date, entity_id: 'e1' })),
    });
    const warehouse = new BigqueryWarehouse(fake.client(), { projectId: 'acme', dataset: 'facts' });
    reader = new ComputationReader({
      warehouse,
      registry: new SchemaRegistry(warehouse, { clock: new ManualClock() }),
      project: manifest.project,
    });
  });
  afterAll(async () => {
    await project?.remove();
    await fake?.close();
  });

  /** Every computation's input versions on every date, from one fresh scope (one run). */
  async function versionsOfRun(): Promise<{ versions: Map<string, string>; queries: number }> {
    const scope = versionScope(manifest);
    const versions = new Map<string, string>();
    for (const date of DATES)
      for (const entry of manifest.computations) {
        const found = await inputVersionsFor(reader, entry, date, scope);
        for (const [table, version] of Object.entries(found?.versions ?? {}))
          versions.set(`${date}/${entry.name}/${table}`, version);
      }
    return { versions, queries: scope.queries };
  }

  const changedBetween = (a: Map<string, string>, b: Map<string, string>) =>
    [...a.keys()].filter((key) => a.get(key) !== b.get(key)).sort();

  const partitionJobs = () =>
    fake.queryJobs.filter((job) =>
      /INFORMATION_SCHEMA\.PARTITIONS/.test((job.configuration.query as { query: string }).query),
    );

  it('answers every computation and date of a run with one metadata query, scanning no table', async () => {
    const before = partitionJobs().length;
    const { versions, queries } = await versionsOfRun();
    expect(queries).toBe(1);
    expect(partitionJobs().length - before).toBe(1);
    expect(versions.size).toBe(DATES.length * manifest.computations.length);
    const billed = fake.queryJobs
      .map((job) => (job.configuration.query as { query: string }).query)
      .filter((sql) => !sql.includes('INFORMATION_SCHEMA'));
    expect(billed).toEqual([]);
    // The same data gives the same versions in the next run.
    expect(changedBetween(versions, (await versionsOfRun()).versions)).toEqual([]);
  });

  it('a late row in a date partition changes exactly the windows that hold that date', async () => {
    const before = (await versionsOfRun()).versions;
    await fake.modify(`INSERT INTO "facts"."events" VALUES (DATE '2026-03-02', 'e3', 7)`);
    const after = (await versionsOfRun()).versions;
    expect(changedBetween(before, after)).toEqual([
      '2026-03-02/Daily/events',
      '2026-03-02/Window3/events',
      '2026-03-03/Window3/events',
      '2026-03-04/Window3/events',
    ]);
  });

  it('an unpartitioned table read whole, or one partitioned on another column, changes on any change', async () => {
    const before = (await versionsOfRun()).versions;
    await fake.modify(`UPDATE "facts"."dims" SET label = 'uno'`);
    await fake.modify(`UPDATE "facts"."logs" SET entity_id = 'e2' WHERE ingested = DATE '2026-03-01'`);
    const after = (await versionsOfRun()).versions;
    expect(changedBetween(before, after)).toEqual(
      DATES.flatMap((date) => [`${date}/ByOther/logs`, `${date}/Labeled/dims`]).sort(),
    );
  });

  it('asks the metadata again in the same run after the query failed, instead of keeping the error', async () => {
    const scope = versionScope(manifest);
    const [entry] = manifest.computations;
    fake.faults.push({
      on: 'insert',
      match: /INFORMATION_SCHEMA\.PARTITIONS/,
      reason: 'accessDenied',
      message: 'Access Denied',
    });
    await expect(inputVersionsFor(reader, entry!, DATES[0]!, scope)).rejects.toThrow('Access Denied');
    expect(Object.keys((await inputVersionsFor(reader, entry!, DATES[0]!, scope))!.versions)).not.toEqual([]);
    expect(scope.queries).toBe(2);
  });

  it('builds the metadata query for the tables asked, typed as a string array', () => {
    expect(bigqueryPartitionsQuery('acme', 'facts', ['events', 'dims'])).toEqual({
      sql:
        'SELECT p.table_name, p.partition_id, p.total_rows, p.last_modified_time, c.column_name AS partition_column ' +
        'FROM `acme.facts`.INFORMATION_SCHEMA.PARTITIONS AS p LEFT JOIN `acme.facts`.INFORMATION_SCHEMA.COLUMNS AS c ' +
        "ON c.table_name = p.table_name AND c.is_partitioning_column = 'YES' " +
        'WHERE p.table_name IN UNNEST(@tables) ORDER BY p.table_name, p.partition_id',
      params: { tables: ['events', 'dims'] },
      types: { tables: ['STRING'] },
    });
  });
});
