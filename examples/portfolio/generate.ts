// Writes the example's warehouse: a small portfolio-analytics world of
// users, daily closing prices and trades, the same every time (seeded).
// Source tables are replaced; stored results (schema compute_results) stay.
//
//   node examples/portfolio/generate.ts [path/to/warehouse.duckdb]
import { DuckDBInstance } from '@duckdb/node-api';
import { resolve } from 'node:path';

const path = resolve(process.argv[2] ?? resolve(import.meta.dirname, 'warehouse.duckdb'));
const USERS = 300;
const SYMBOLS = ['AAPL', 'AMZN', 'ASML', 'GOOG', 'MSFT', 'NESN', 'NVDA', 'NOVO', 'SAP', 'SHEL', 'TSLA', 'TSM'];
const FIRST = Date.UTC(2026, 0, 1);
const DAYS = 31;
const PROFILES = ['cautious', 'balanced', 'aggressive'];
const COUNTRIES = ['DE', 'FR', 'GB', 'NL', 'US'];

/** mulberry32: small, seeded, good enough for example data. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = random(20260126);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const day = (offset: number) => new Date(FIRST + offset * 86_400_000).toISOString().slice(0, 10);
const userId = (i: number) => `user_${String(i).padStart(4, '0')}`;

const users = Array.from({ length: USERS }, (_, i) => [
  userId(i),
  pick(COUNTRIES),
  pick(PROFILES),
  day(-Math.floor(rand() * 400)),
]);
const close = new Map(SYMBOLS.map((s) => [s, 50 + Math.round(rand() * 40000) / 100]));
const prices: Array<[string, string, number]> = [];
const trades: Array<[string, string, string, string, number, number, string]> = [];
const holdings = new Map<string, Map<string, number>>();

for (let d = 0; d < DAYS; d++) {
  const date = day(d);
  for (const symbol of SYMBOLS) {
    const next = Math.max(1, Math.round(close.get(symbol)! * (1 + (rand() - 0.5) * 0.06) * 100) / 100);
    close.set(symbol, next);
    prices.push([date, symbol, next]);
  }
  for (let u = 0; u < USERS; u++) {
    if (rand() > 0.25) continue;
    const held = holdings.get(userId(u)) ?? new Map<string, number>();
    holdings.set(userId(u), held);
    for (let t = 0, n = 1 + Math.floor(rand() * 3); t < n; t++) {
      const symbol = pick(SYMBOLS);
      const owned = held.get(symbol) ?? 0;
      const sell = owned > 0 && rand() < 0.35;
      const quantity = sell ? 1 + Math.floor(rand() * owned) : 1 + Math.floor(rand() * 20);
      held.set(symbol, owned + (sell ? -quantity : quantity));
      const at = `${date} ${String(9 + Math.floor(rand() * 8)).padStart(2, '0')}:${String(Math.floor(rand() * 60)).padStart(2, '0')}:00`;
      trades.push([date, userId(u), symbol, sell ? 'sell' : 'buy', quantity, close.get(symbol)!, at]);
    }
  }
}

const instance = await DuckDBInstance.create(path);
const connection = await instance.connect();
await connection.run(
  'CREATE OR REPLACE TABLE users (user_id VARCHAR, country VARCHAR, risk_profile VARCHAR, signup_date DATE)',
);
await connection.run('CREATE OR REPLACE TABLE prices (date DATE, symbol VARCHAR, close DOUBLE)');
await connection.run(
  'CREATE OR REPLACE TABLE trades (date DATE, user_id VARCHAR, symbol VARCHAR, side VARCHAR, quantity BIGINT, price DOUBLE, traded_at TIMESTAMP)',
);
/** Appends rows; `types` says per column: s text (cast by DuckDB), d double, i bigint. */
async function load(table: string, types: string, rows: unknown[][]): Promise<void> {
  const appender = await connection.createAppender(table);
  for (const row of rows) {
    row.forEach((value, i) => {
      if (types[i] === 'd') appender.appendDouble(value as number);
      else if (types[i] === 'i') appender.appendBigInt(BigInt(value as number));
      else appender.appendVarchar(String(value));
    });
    appender.endRow();
  }
  appender.closeSync();
}
await load('users', 'ssss', users);
await load('prices', 'ssd', prices);
await load('trades', 'ssssids', trades);
connection.closeSync();
instance.closeSync();
process.stdout.write(
  `Wrote ${path}: ${users.length} users, ${prices.length} prices, ${trades.length} trades (${day(0)} to ${day(DAYS - 1)}).\n`,
);
