/**
 * GoogleSQL -> DuckDB, for the statements our BigQuery adapter sends (and
 * a little more). Not a general translator: it rewrites the BigQuery-isms
 * those statements use (backtick paths, INFORMATION_SCHEMA views, typed
 * @parameters, TIMESTAMP()/DATETIME()/DATE() conversions, CAST to BigQuery
 * type names, IN UNNEST) and refuses what BigQuery would refuse and DuckDB
 * would accept (selecting a partition pseudo-column, a table that requires
 * a partition filter read without one).
 */

export interface Token {
  kind: 'ws' | 'string' | 'qident' | 'param' | 'word' | 'number' | 'punct';
  text: string;
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const take = (kind: Token['kind'], end: number) => {
    tokens.push({ kind, text: sql.slice(i, end) });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      let j = i;
      while (j < sql.length && /\s/.test(sql[j]!)) j++;
      take('ws', j);
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < sql.length && sql[j] !== c) j += sql[j] === '\\' ? 2 : 1;
      if (j >= sql.length) throw new SqlError(`Syntax error: Unclosed ${c === '`' ? 'identifier' : 'string'} literal`);
      take(c === '`' ? 'qident' : 'string', j + 1);
    } else if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && /\w/.test(sql[j]!)) j++;
      take('param', j);
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < sql.length && /\w/.test(sql[j]!)) j++;
      take('word', j);
    } else if (/\d/.test(c)) {
      let j = i;
      while (j < sql.length && /[\d.]/.test(sql[j]!)) j++;
      take('number', j);
    } else {
      const two = sql.slice(i, i + 2);
      take('punct', i + (['<=', '>=', '<>', '!=', '||'].includes(two) ? 2 : 1));
    }
  }
  return tokens;
}

/** A query BigQuery refuses: answered as 400 invalidQuery. */
export class SqlError extends Error {}

/** A dataset or table that does not exist: answered as 404 notFound. */
export class NotFoundError extends Error {}

/** What the translator needs to know about the fake's catalog. */
export interface Catalog {
  projectId: string;
  hasDataset(dataset: string): boolean;
  hasTable(dataset: string, table: string): boolean;
  /** The column a table's reads must filter on, when it requires a partition filter. */
  requiredFilter(dataset: string, table: string): string | null;
}

export interface Translated {
  sql: string;
  /** Tables read or written, as [dataset, table]. */
  tables: Array<[string, string]>;
  /** Datasets named (tables and INFORMATION_SCHEMA views). */
  datasets: string[];
}

/** DuckDB types of BigQuery parameter and CAST type names. */
export const DUCK_SCALAR: Record<string, string> = {
  STRING: 'VARCHAR',
  INT64: 'BIGINT',
  INTEGER: 'BIGINT',
  FLOAT64: 'DOUBLE',
  FLOAT: 'DOUBLE',
  BOOL: 'BOOLEAN',
  BOOLEAN: 'BOOLEAN',
  DATE: 'DATE',
  DATETIME: 'TIMESTAMP',
  TIMESTAMP: 'TIMESTAMPTZ',
  TIME: 'TIME',
  NUMERIC: 'DECIMAL(38,9)',
  BYTES: 'BLOB',
  JSON: 'JSON',
};

const PSEUDO_COLUMNS = new Set(['_PARTITIONTIME', '_PARTITIONDATE']);

function unquote(token: Token): string {
  return token.kind === 'qident' ? token.text.slice(1, -1).replace(/\\(.)/g, '$1') : token.text;
}

const duckIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Translates one statement. `paramTypes` maps each parameter the request
 * carried to its BigQuery type (ARRAY<T> as 'ARRAY<T>').
 */
export function translate(sql: string, paramTypes: Record<string, string>, catalog: Catalog): Translated {
  const tokens = tokenize(sql).filter((t) => t.kind !== 'ws');
  const tables: Array<[string, string]> = [];
  const datasets = new Set<string>();
  checkPseudoColumns(tokens);

  // Reads a dotted path starting at `i`: `a.b`.c or a.`b`.c; returns its parts and the next index.
  const path = (i: number): [string[], number] => {
    const parts = unquote(tokens[i]!).split('.');
    let j = i + 1;
    while (tokens[j]?.text === '.' && (tokens[j + 1]?.kind === 'word' || tokens[j + 1]?.kind === 'qident')) {
      parts.push(...unquote(tokens[j + 1]!).split('.'));
      j += 2;
    }
    return [parts, j];
  };

  const tableRef = (parts: string[]): string => {
    const [project, dataset, ...rest] = parts;
    if (project !== catalog.projectId) throw new NotFoundError(`Not found: Project ${project}`);
    if (!catalog.hasDataset(dataset!))
      throw new NotFoundError(`Not found: Dataset ${project}:${dataset} was not found`);
    datasets.add(dataset!);
    if (rest[0]?.toUpperCase() === 'INFORMATION_SCHEMA') {
      const view = rest[1]!.toLowerCase();
      return `(SELECT * FROM "__info"."${view}" WHERE table_schema = '${dataset}')`;
    }
    const table = rest.join('.');
    if (!catalog.hasTable(dataset!, table))
      throw new NotFoundError(`Not found: Table ${project}:${dataset}.${table} was not found`);
    const required = catalog.requiredFilter(dataset!, table);
    if (required !== null && !whereMentions(tokens, required)) {
      throw new SqlError(
        `Cannot query over table '${project}.${dataset}.${table}' without a filter over column(s) '${required}' that can be used for partition elimination`,
      );
    }
    tables.push([dataset!, table]);
    return `${duckIdent(dataset!)}.${duckIdent(table)}`;
  };

  const param = (token: Token): string => {
    const name = token.text.slice(1);
    const type = paramTypes[name];
    if (type === undefined) throw new SqlError(`Query parameter '${name}' not found`);
    const array = /^ARRAY<(.+)>$/.exec(type);
    const duck = array === null ? DUCK_SCALAR[type] : `${DUCK_SCALAR[array[1]!]}[]`;
    if (duck === undefined) throw new SqlError(`Unsupported parameter type ${type} in the fake`);
    return `CAST($${name} AS ${duck})`;
  };

  // Translates tokens [from, to) into DuckDB text.
  const emit = (from: number, to: number): string => {
    const out: string[] = [];
    for (let i = from; i < to;) {
      const t = tokens[i]!;
      const upper = t.text.toUpperCase();
      const next = tokens[i + 1];
      if (t.kind === 'param') {
        out.push(param(t));
        i++;
      } else if (t.kind === 'word' && upper === 'IN' && next?.text.toUpperCase() === 'UNNEST') {
        const close = matching(tokens, i + 2);
        out.push(`IN (SELECT unnest(${emit(i + 3, close)}))`);
        i = close + 1;
      } else if (t.kind === 'word' && ['TIMESTAMP', 'DATETIME', 'DATE'].includes(upper) && next?.text === '(') {
        const close = matching(tokens, i + 1);
        out.push(`CAST(${emit(i + 2, close)} AS ${DUCK_SCALAR[upper]})`);
        i = close + 1;
      } else if (t.kind === 'word' && upper === 'CAST' && next?.text === '(') {
        const close = matching(tokens, i + 1);
        const as = lastTopLevel(tokens, i + 2, close, 'AS');
        const type = tokens
          .slice(as + 1, close)
          .map((x) => x.text.toUpperCase())
          .join('');
        const inner = emit(i + 2, as);
        if (type === 'BYTES') out.push(`encode(${inner})`);
        else if (DUCK_SCALAR[type] !== undefined) out.push(`CAST(${inner} AS ${DUCK_SCALAR[type]})`);
        else throw new SqlError(`Syntax error: unknown type ${type}`);
        i = close + 1;
      } else if (t.kind === 'word' && next?.text === '(') {
        // A function call: DuckDB knows DATE_ADD, IFNULL, COUNT... by the same names.
        out.push(t.text);
        i++;
      } else if ((t.kind === 'word' || t.kind === 'qident') && !isKeyword(t)) {
        const [parts, end] = path(i);
        out.push(parts.length >= 3 ? tableRef(parts) : parts.map(duckIdent).join('.'));
        i = end;
      } else if (t.kind === 'string' && t.text.startsWith('"')) {
        out.push(`'${t.text.slice(1, -1).replaceAll("'", "''")}'`);
        i++;
      } else {
        out.push(t.text);
        i++;
      }
    }
    return out.join(' ');
  };

  return { sql: emit(0, tokens.length), tables, datasets: [...datasets] };
}

const KEYWORDS = new Set(
  (
    'SELECT FROM WHERE AND OR NOT IN IS NULL AS ORDER BY ASC DESC LIMIT DELETE INSERT INTO VALUES UPDATE SET ' +
    'BETWEEN LEFT RIGHT INNER OUTER JOIN ON CASE WHEN THEN ELSE END TRUE FALSE INTERVAL DAY HOUR MONTH YEAR ' +
    'GROUP HAVING DISTINCT UNION ALL EXISTS LIKE IFNULL COALESCE COUNT SUM MIN MAX DATE_ADD DATE_SUB WITH'
  ).split(' '),
);

function isKeyword(token: Token): boolean {
  return token.kind === 'word' && KEYWORDS.has(token.text.toUpperCase());
}

function matching(tokens: Token[], open: number): number {
  if (tokens[open]?.text !== '(') throw new SqlError('Syntax error: expected (');
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]!.text === '(') depth++;
    if (tokens[i]!.text === ')' && --depth === 0) return i;
  }
  throw new SqlError('Syntax error: unbalanced parentheses');
}

function lastTopLevel(tokens: Token[], from: number, to: number, word: string): number {
  let depth = 0;
  let found = -1;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (depth === 0 && t.kind === 'word' && t.text.toUpperCase() === word) found = i;
  }
  if (found < 0) throw new SqlError(`Syntax error: expected ${word}`);
  return found;
}

/** Whether a column is named after the statement's WHERE (a filter BigQuery can prune partitions with). */
function whereMentions(tokens: Token[], column: string): boolean {
  const where = tokens.findIndex((t) => t.kind === 'word' && t.text.toUpperCase() === 'WHERE');
  if (where < 0) return false;
  return tokens.slice(where).some((t) => (t.kind === 'word' || t.kind === 'qident') && unquote(t) === column);
}

/** BigQuery refuses a pseudo-column in a select list unless it is given an alias. */
function checkPseudoColumns(tokens: Token[]): void {
  tokens.forEach((t, i) => {
    if ((t.kind === 'word' || t.kind === 'qident') && PSEUDO_COLUMNS.has(unquote(t).toUpperCase())) {
      const alias = tokens[i + 1]?.text.toUpperCase() === 'AS';
      const from = tokens.findIndex((x) => x.kind === 'word' && x.text.toUpperCase() === 'FROM');
      if (!alias && (from < 0 || i < from)) {
        throw new SqlError(
          `Invalid field name "${unquote(t)}". Field names are not allowed to start with the (case-insensitive) prefixes _PARTITION, _TABLE_, _FILE_, _ROW_TIMESTAMP, __ROOT__ and _COLIDENTIFIER`,
        );
      }
    }
  });
}
