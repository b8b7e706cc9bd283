/**
 * Checks every SQL statement the BigQuery dialect generates with the real
 * GoogleSQL (ZetaSQL) analyzer, against a catalog of the tables' types and
 * with the statements' typed parameters; negative controls (statements
 * BigQuery refuses) must be rejected, so the check is live.
 *
 *   npm run check:sql              uses the analyzer if installed, else says how to install it
 *   npm run check:sql -- --install installs it first (about 340 MB, into the cache folder)
 *
 * The analyzer (npm @fivetrandevelopers/zetasql, a local gRPC server) is
 * too heavy for every install, so it is not a dependency: it goes to
 * COMPUTE_ZETASQL_DIR (Default: ~/.cache/computation-system/zetasql),
 * outside the project and its lock file. Exit code: 0 when every statement
 * passes and every control is rejected, 1 otherwise, 2 when the analyzer is
 * missing (with --install: could not be installed).
 */
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ColumnInfo, TableQuery } from '../shared/ports/warehouse.ts';
import {
  bigqueryResultsDelete,
  bigqueryResultsRead,
  bigquerySchemaQuery,
  bigqueryPartitionsQuery,
  bigqueryTablesQuery,
  compileBigquery,
  type BigquerySql as DialectSql,
} from '../shared/warehouse/dialects/bigquery.ts';
import { columnKind } from '../shared/warehouse/values.ts';

/** What the analyzer is given of a statement: its text and its parameters' types. */
type BigquerySql = Pick<DialectSql, 'sql' | 'types'>;

const VERSION = '1.13.0';
const dir = process.env.COMPUTE_ZETASQL_DIR ?? join(homedir(), '.cache', 'computation-system', 'zetasql');
const pkg = join(dir, 'node_modules', '@fivetrandevelopers', 'zetasql');

function ensureAnalyzer(): boolean {
  if (existsSync(join(pkg, 'lib', 'index.js'))) return true;
  if (!process.argv.includes('--install')) {
    process.stderr.write(
      `SKIP: the GoogleSQL analyzer is not installed in ${dir}; run npm run check:sql -- --install\n`,
    );
    return false;
  }
  mkdirSync(dir, { recursive: true });
  try {
    const args = ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund'];
    args.push(`@fivetrandevelopers/zetasql@${VERSION}`);
    // Under `npm run`, npm_execpath is npm's own script: run it with this (Node 24) binary.
    const npm = process.env.npm_execpath;
    if (npm !== undefined && npm.endsWith('.js')) execFileSync(process.execPath, [npm, ...args], { stdio: 'inherit' });
    else execFileSync('npm', args, { stdio: 'inherit' });
  } catch {
    process.stderr.write(`SKIP: could not install @fivetrandevelopers/zetasql@${VERSION} into ${dir}\n`);
    return false;
  }
  return existsSync(join(pkg, 'lib', 'index.js'));
}

// ---- The catalog: every table the statements below read, with BigQuery types ----------------

const PROJECT = 'acme-prod';
const at = { projectId: PROJECT, dataset: 'facts' };
type Catalog = Record<string, Record<string, string>>;
const TABLES: Catalog = {
  trades: { date: 'DATE', user_id: 'STRING', symbol: 'STRING', quantity: 'INT64', price: 'FLOAT64' },
  logins: { ts: 'TIMESTAMP', user_id: 'STRING', device: 'STRING' },
  visits: { at: 'DATETIME', account: 'INT64', page: 'STRING' },
  'odd table-1': { 'we`ird': 'STRING', 'day of': 'DATE', 'user id': 'STRING' },
};
const INFORMATION_SCHEMA: Catalog = {
  COLUMNS: {
    table_catalog: 'STRING',
    table_schema: 'STRING',
    table_name: 'STRING',
    column_name: 'STRING',
    ordinal_position: 'INT64',
    is_nullable: 'STRING',
    data_type: 'STRING',
    is_generated: 'STRING',
    is_hidden: 'STRING',
    is_updatable: 'STRING',
    is_system_defined: 'STRING',
    is_partitioning_column: 'STRING',
    clustering_ordinal_position: 'INT64',
    collation_name: 'STRING',
    column_default: 'STRING',
    rounding_mode: 'STRING',
  },
  TABLES: {
    table_catalog: 'STRING',
    table_schema: 'STRING',
    table_name: 'STRING',
    table_type: 'STRING',
    is_insertable_into: 'STRING',
    is_typed: 'STRING',
    creation_time: 'TIMESTAMP',
    ddl: 'STRING',
  },
  PARTITIONS: {
    table_catalog: 'STRING',
    table_schema: 'STRING',
    table_name: 'STRING',
    partition_id: 'STRING',
    total_rows: 'INT64',
    total_logical_bytes: 'INT64',
    total_billable_bytes: 'INT64',
    last_modified_time: 'TIMESTAMP',
    storage_tier: 'STRING',
  },
  TABLE_OPTIONS: {
    table_catalog: 'STRING',
    table_schema: 'STRING',
    table_name: 'STRING',
    option_name: 'STRING',
    option_type: 'STRING',
    option_value: 'STRING',
  },
};
const RESULTS = `${PROJECT}.computed.results_Totals`;

const KINDS: Record<string, string> = {
  STRING: 'TYPE_STRING',
  INT64: 'TYPE_INT64',
  FLOAT64: 'TYPE_DOUBLE',
  BOOL: 'TYPE_BOOL',
  DATE: 'TYPE_DATE',
  DATETIME: 'TYPE_DATETIME',
  TIMESTAMP: 'TYPE_TIMESTAMP',
  BYTES: 'TYPE_BYTES',
};
const typeProto = (type: string | string[]): object =>
  Array.isArray(type)
    ? { typeKind: 'TYPE_ARRAY', arrayType: { elementType: typeProto(type[0]!) } }
    : {
        typeKind:
          KINDS[type] ??
          (() => {
            throw new Error(`no ZetaSQL kind for ${type}`);
          })(),
      };
const tableProto = (name: string, columns: Record<string, string>) => ({
  name,
  column: Object.entries(columns).map(([column, type]) => ({ name: column, type: typeProto(type) })),
});

// ---- The statements: built by the dialect's own functions ------------------------------------

const column = (table: string, name: string): ColumnInfo => {
  const type = TABLES[table]![name]!;
  return { name, type, kind: columnKind(type), nullable: true };
};
const read = (table: string, options: { columns?: string[]; entity?: string; window?: string }): BigquerySql => {
  const names = options.columns ?? Object.keys(TABLES[table]!);
  const query: TableQuery = {
    table,
    columns: names.map((name) => column(table, name)),
    entity: options.entity === undefined ? null : column(table, options.entity),
    window:
      options.window === undefined
        ? null
        : { column: column(table, options.window), from: '2026-02-27', to: '2026-03-01' },
    orderByEntity: options.entity !== undefined,
  };
  return compileBigquery(query, at);
};

const STATEMENTS: Array<[string, BigquerySql]> = [
  ['window on a DATE column, per entity (also the dry run)', read('trades', { entity: 'user_id', window: 'date' })],
  ['window on a TIMESTAMP column, per entity', read('logins', { entity: 'user_id', window: 'ts' })],
  ['window on a DATETIME column, INT64 entity', read('visits', { entity: 'account', window: 'at' })],
  ['window on a TIMESTAMP column, global', read('logins', { window: 'ts' })],
  ['no window (dateField: null), listed columns', read('trades', { columns: ['symbol', 'price'] })],
  ['no window, per entity', read('trades', { entity: 'user_id' })],
  ['odd identifiers: backtick, spaces, dash', read('odd table-1', { entity: 'user id', window: 'day of' })],
  ['schema discovery (COLUMNS + TABLE_OPTIONS)', bigquerySchemaQuery(PROJECT, 'facts', 'trades')],
  ['table list', bigqueryTablesQuery(PROJECT, 'facts')],
  ['input versions (PARTITIONS + COLUMNS)', bigqueryPartitionsQuery(PROJECT, 'facts', ['trades', 'logins'])],
  ['results read, whole date', bigqueryResultsRead(RESULTS, '2026-03-01')],
  ['results read, chosen entities', bigqueryResultsRead(RESULTS, '2026-03-01', ['u1', 'u2'])],
  ['results delete of one date', bigqueryResultsDelete(RESULTS, '2026-03-01')],
];

/** Statements BigQuery refuses: each must be rejected, or the check is not looking. */
const CONTROLS: Array<[string, BigquerySql]> = [
  [
    'a TIMESTAMP column compared with DATE parameters',
    {
      sql: `SELECT ts FROM \`${PROJECT}.facts.logins\` WHERE ts BETWEEN @from AND @to`,
      types: { from: 'DATE', to: 'DATE' },
    },
  ],
  [
    'the TIMESTAMP window form on a DATETIME column',
    {
      sql: `SELECT \`at\` FROM \`${PROJECT}.facts.visits\` WHERE \`at\` >= TIMESTAMP(@from) AND \`at\` < TIMESTAMP(DATE_ADD(@to, INTERVAL 1 DAY))`,
      types: { from: 'DATE', to: 'DATE' },
    },
  ],
  ['a column the table does not have', { sql: `SELECT nope FROM \`${PROJECT}.facts.trades\``, types: {} }],
  ['a parameter the request does not declare', { ...read('trades', { window: 'date' }), types: { from: 'DATE' } }],
];

// ---- Running the analyzer --------------------------------------------------------------------

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Client {
  testConnection(): Promise<boolean>;
  getLanguageOptions(request: object): Promise<Record<string, unknown>>;
  analyze(request: object): Promise<unknown>;
}

async function main(): Promise<number> {
  if (!ensureAnalyzer()) return 2;
  const zetasql = (await import(pathToFileURL(join(pkg, 'lib', 'index.js')).href)) as {
    default?: { ZetaSQLClient: { HOST: string; init(port: number): void; getInstance(): Client } };
    ZetaSQLClient?: { HOST: string; init(port: number): void; getInstance(): Client };
  };
  const ZetaSQLClient = zetasql.ZetaSQLClient ?? zetasql.default!.ZetaSQLClient;
  const binary = join(
    pkg,
    'lib',
    'zetasql',
    `remote_server${process.arch.startsWith('arm') ? '_arm' : ''}${process.platform === 'darwin' ? '' : '.so'}`,
  );
  const port = await freePort();
  const server: ChildProcess = execFile(binary, ['127.0.0.1', String(port)]);
  try {
    ZetaSQLClient.HOST = '127.0.0.1';
    ZetaSQLClient.init(port);
    const client = ZetaSQLClient.getInstance();
    if (!(await client.testConnection())) throw new Error(`the analyzer did not answer on 127.0.0.1:${port}`);
    const language = {
      ...(await client.getLanguageOptions({ maximumFeatures: true })),
      productMode: 'PRODUCT_EXTERNAL',
      supportedStatementKinds: ['RESOLVED_QUERY_STMT', 'RESOLVED_DELETE_STMT'],
    };
    const catalog = {
      name: 'bigquery',
      table: [
        ...Object.entries(TABLES).map(([name, columns]) => tableProto(`${PROJECT}.facts.${name}`, columns)),
        tableProto(RESULTS, { date: 'DATE', entity_id: 'STRING', result: 'STRING' }),
      ],
      catalog: [
        {
          name: `${PROJECT}.facts`,
          catalog: [
            {
              name: 'INFORMATION_SCHEMA',
              table: Object.entries(INFORMATION_SCHEMA).map(([name, columns]) => tableProto(name, columns)),
            },
          ],
        },
      ],
      builtinFunctionOptions: { languageOptions: language },
    };
    const analyze = async (statement: BigquerySql): Promise<string | null> => {
      try {
        await client.analyze({
          simpleCatalog: catalog,
          sqlStatement: statement.sql,
          options: {
            languageOptions: language,
            parameterMode: 'PARAMETER_NAMED',
            errorMessageMode: 'ERROR_MESSAGE_ONE_LINE',
            queryParameters: Object.entries(statement.types).map(([name, type]) => ({ name, type: typeProto(type) })),
          },
        });
        return null;
      } catch (error) {
        return (error as { details?: string }).details ?? String(error);
      }
    };
    let failed = 0;
    for (const [name, statement] of STATEMENTS) {
      const error = await analyze(statement);
      if (error !== null) failed++;
      const params = Object.entries(statement.types).map(
        ([p, t]) => `@${p} ${Array.isArray(t) ? `ARRAY<${t[0]}>` : t}`,
      );
      process.stdout.write(`${error === null ? 'ok  ' : 'FAIL'} ${name}\n     ${statement.sql}\n`);
      if (params.length > 0) process.stdout.write(`     params: ${params.join(', ')}\n`);
      if (error !== null) process.stdout.write(`     ${error}\n`);
    }
    let rejected = 0;
    for (const [name, statement] of CONTROLS) {
      const error = await analyze(statement);
      if (error !== null) rejected++;
      process.stdout.write(
        `${error === null ? 'FAIL accepted' : 'ok   rejected'} (negative control) ${name}${error === null ? '' : `\n     ${error}`}\n`,
      );
    }
    process.stdout.write(
      `\n${STATEMENTS.length - failed}/${STATEMENTS.length} statements pass the GoogleSQL analyzer; ${rejected}/${CONTROLS.length} negative controls rejected.\n`,
    );
    return failed === 0 && rejected === CONTROLS.length ? 0 : 1;
  } finally {
    server.kill('SIGKILL');
  }
}

process.exitCode = await main();
