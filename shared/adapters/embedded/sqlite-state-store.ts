import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import {
  ledgerRunField,
  StaleLeaseError,
  StaleStateError,
  isLeaseFence,
  type BatchLedger,
  type BatchPlan,
  type BatchRecord,
  type ComputationState,
  type ComputationStates,
  type HistoryEntry,
  type HistoryStore,
  type Lease,
  type LeaseKey,
  type LeaseStore,
  type LedgerKey,
  type LedgerSummary,
  type RunRecord,
  type RunStore,
  type StateStore,
} from '../../ports/state-store.ts';
import { holdsLease, laterBeat, storedLease } from '../../state/leases.ts';
import { planFrom } from '../../state/plans.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS states (date TEXT NOT NULL, computation TEXT NOT NULL, expires_at TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (date, computation));
CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_steps (run_id TEXT NOT NULL, step TEXT NOT NULL, PRIMARY KEY (run_id, step));
CREATE TABLE IF NOT EXISTS leases (computation TEXT NOT NULL, date TEXT NOT NULL, token INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (computation, date));
CREATE TABLE IF NOT EXISTS planned (run_id TEXT NOT NULL, computation TEXT NOT NULL, date TEXT NOT NULL, batch_id TEXT NOT NULL, entity_count INTEGER NOT NULL, published INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (run_id, computation, date, batch_id));
CREATE TABLE IF NOT EXISTS sealed (run_id TEXT NOT NULL, computation TEXT NOT NULL, date TEXT NOT NULL, entity_count INTEGER NOT NULL, PRIMARY KEY (run_id, computation, date));
CREATE TABLE IF NOT EXISTS history (run_id TEXT NOT NULL, computation TEXT NOT NULL, date TEXT NOT NULL, recorded_at TEXT NOT NULL, expires_at TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (run_id, computation, date));
CREATE INDEX IF NOT EXISTS history_by_computation_date ON history (computation, date, recorded_at);
CREATE TABLE IF NOT EXISTS batches (run_id TEXT NOT NULL, computation TEXT NOT NULL, date TEXT NOT NULL, batch_id TEXT NOT NULL,
  succeeded INTEGER NOT NULL, failed INTEGER NOT NULL, stored INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (run_id, computation, date, batch_id));
`;

type SqlValue = string | number | null;

/** Computation names per query of a range read limited to some computations. */
const RANGE_CHUNK = 500;

/** SQLite's time in epoch milliseconds: the host's clock, one for every process sharing the file. */
const SQLITE_NOW_MS = "CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER)";

/**
 * The embedded state store: one SQLite file (Node's built-in driver) in
 * WAL mode with full sync, so every committed write survives a killed
 * process, and several processes may share the file. Every read-modify-write
 * runs in an IMMEDIATE transaction, which serializes writers.
 */
export class SqliteStateStore implements StateStore {
  readonly #db: DatabaseSync;
  readonly states: ComputationStates;
  readonly runs: RunStore;
  readonly leases: LeaseStore;
  readonly ledger: BatchLedger;
  readonly history: HistoryStore;
  readonly #historyMs: number;

  /** `historyDays`: days a run is kept after it started (history entries carry their own expiry). (Default: 90) */
  constructor(path: string, options: { historyDays?: number } = {}) {
    this.#historyMs = (options.historyDays ?? 90) * 86_400_000;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    this.#db.exec('PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    this.#db.exec(SCHEMA);
    // Files written before batches carried their publication claim.
    const columns = this.#db.prepare('PRAGMA table_info(planned)').all() as Array<{ name: string }>;
    if (!columns.some((column) => column.name === 'published'))
      this.#db.exec('ALTER TABLE planned ADD COLUMN published INTEGER NOT NULL DEFAULT 0');
    this.states = this.#statesPort();
    this.runs = this.#runsPort();
    this.leases = this.#leasesPort();
    this.ledger = this.#ledgerPort();
    this.history = this.#historyPort();
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }

  readonly #statements = new Map<string, StatementSync>();

  /** Prepared once per SQL text: preparing costs more than running these small statements. */
  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #all<T>(sql: string, ...params: SqlValue[]): T[] {
    return this.#prepare(sql)
      .all(...params)
      .map((row) => JSON.parse((row as { body: string }).body) as T);
  }

  #one<T>(sql: string, ...params: SqlValue[]): T | null {
    const row = this.#prepare(sql).get(...params) as { body: string } | undefined;
    return row === undefined ? null : (JSON.parse(row.body) as T);
  }

  #run(sql: string, ...params: SqlValue[]): number {
    return Number(this.#prepare(sql).run(...params).changes);
  }

  #transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /** The lease with its silence on SQLite's clock (the host's, whatever a process's Date says), from `touchedMs` in its row. */
  #lease(key: LeaseKey): Lease | null {
    const row = this.#prepare(
      `SELECT body, ${SQLITE_NOW_MS} AS now_ms FROM leases WHERE computation = ? AND date = ?`,
    ).get(key.computation, key.date) as { body: string; now_ms: number } | undefined;
    if (row === undefined) return null;
    const { touchedMs, ...lease } = JSON.parse(row.body) as Lease & { touchedMs?: number };
    return touchedMs === undefined ? lease : { ...lease, silentMs: Math.max(0, Number(row.now_ms) - touchedMs) };
  }

  /** A lease row's body: the lease as stored, and when SQLite wrote it. */
  #leaseBody(lease: Lease): string {
    return JSON.stringify(storedLease(lease));
  }

  #plan(key: LedgerKey): BatchPlan | null {
    const params = [ledgerRunField(key), key.computation, key.date];
    const rows = this.#prepare(
      'SELECT batch_id, entity_count, published FROM planned WHERE run_id = ? AND computation = ? AND date = ? ORDER BY batch_id',
    ).all(...params) as Array<{ batch_id: string; entity_count: number; published: number }>;
    const batches = rows.map((r) => ({
      batchId: r.batch_id,
      entityCount: Number(r.entity_count),
      claimed: Number(r.published) === 1,
    }));
    const sealed = this.#prepare(
      'SELECT entity_count FROM sealed WHERE run_id = ? AND computation = ? AND date = ?',
    ).get(...params) as { entity_count: number } | undefined;
    return planFrom(key, batches, sealed === undefined ? null : Number(sealed.entity_count));
  }

  #statesPort(): ComputationStates {
    return {
      get: async (date, computation) =>
        this.#one<ComputationState>('SELECT body FROM states WHERE date = ? AND computation = ?', date, computation),
      list: async (date) =>
        date === undefined
          ? this.#all<ComputationState>('SELECT body FROM states ORDER BY date, computation')
          : this.#all<ComputationState>('SELECT body FROM states WHERE date = ? ORDER BY computation', date),
      range: async (from, to, computations) => {
        const sql = 'SELECT body FROM states WHERE date >= ? AND date <= ?';
        if (computations === undefined)
          return this.#all<ComputationState>(`${sql} ORDER BY date, computation`, from, to);
        const found: ComputationState[] = [];
        // Bound parameters per statement stay far below SQLite's limit; one prepared statement per chunk size.
        for (let i = 0; i < computations.length; i += RANGE_CHUNK) {
          const names = computations.slice(i, i + RANGE_CHUNK);
          const rows = this.#db
            .prepare(`${sql} AND computation IN (${names.map(() => '?').join(', ')})`)
            .all(from, to, ...names) as Array<{ body: string }>;
          for (const row of rows) found.push(JSON.parse(row.body) as ComputationState);
        }
        return found.sort((a, b) => a.date.localeCompare(b.date) || a.computation.localeCompare(b.computation));
      },
      put: async (state, fence) => {
        this.#transaction(() => {
          if (fence !== undefined && isLeaseFence(fence)) {
            const lease = this.#lease(fence);
            const current = lease?.token ?? null;
            if (!holdsLease(lease, fence)) throw new StaleLeaseError(fence, fence.token, current);
          } else if (fence !== undefined) {
            const row = this.#prepare('SELECT body FROM states WHERE date = ? AND computation = ?').get(
              state.date,
              state.computation,
            ) as { body: string } | undefined;
            const found = row === undefined ? null : (JSON.parse(row.body) as ComputationState).updatedAt;
            if (found !== fence.updatedAt)
              throw new StaleStateError(state.computation, state.date, fence.updatedAt, found);
          }
          this.#run(
            // Stamped with SQLite's clock, so "written since that run started" never compares two hosts' clocks.
            `INSERT INTO states (date, computation, expires_at, body) VALUES (?, ?, ?, json_set(?, '$.storedAtMs', ${SQLITE_NOW_MS})) ON CONFLICT (date, computation) DO UPDATE SET expires_at = excluded.expires_at, body = excluded.body`,
            state.date,
            state.computation,
            state.expiresAt,
            JSON.stringify(state),
          );
        });
      },
      purgeExpired: async (now) => this.#run('DELETE FROM states WHERE expires_at < ?', now.toISOString()),
    };
  }

  #runsPort(): RunStore {
    return {
      create: async (run) =>
        this.#run(
          `INSERT OR IGNORE INTO runs (run_id, started_at, body) VALUES (?, ?, json_set(?, '$.createdAtMs', ${SQLITE_NOW_MS}))`,
          run.runId,
          run.startedAt,
          JSON.stringify(run),
        ) === 1,
      get: async (runId) => this.#one<RunRecord>('SELECT body FROM runs WHERE run_id = ?', runId),
      update: async (runId, patch) => {
        this.#transaction(() => {
          const run = this.#one<RunRecord>('SELECT body FROM runs WHERE run_id = ?', runId);
          if (run === null) throw new Error(`No run ${runId} to update`);
          // The store's creation stamp stays the store's.
          const { createdAtMs: _stamp, ...changes } = patch;
          this.#run('UPDATE runs SET body = ? WHERE run_id = ?', JSON.stringify({ ...run, ...changes, runId }), runId);
        });
      },
      list: async (limit) =>
        this.#all<RunRecord>('SELECT body FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?', limit),
      claimStep: async (runId, step) =>
        this.#run('INSERT OR IGNORE INTO run_steps (run_id, step) VALUES (?, ?)', runId, step) === 1,
      steps: async (runId, prefix) =>
        (
          this.#prepare('SELECT step FROM run_steps WHERE run_id = ? AND substr(step, 1, ?) = ? ORDER BY step').all(
            runId,
            prefix.length,
            prefix,
          ) as Array<{ step: string }>
        ).map((r) => r.step),
    };
  }

  #historyPort(): HistoryStore {
    return {
      record: async (recorded) => {
        const expiresAt = new Date(Date.parse(recorded.recordedAt) + this.#historyMs).toISOString();
        const entry: HistoryEntry = { ...recorded, expiresAt };
        this.#run(
          'INSERT INTO history (run_id, computation, date, recorded_at, expires_at, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, computation, date) DO UPDATE SET recorded_at = excluded.recorded_at, expires_at = excluded.expires_at, body = excluded.body',
          entry.runId,
          entry.computation,
          entry.date,
          entry.recordedAt,
          entry.expiresAt,
          JSON.stringify(entry),
        );
      },
      ofRun: async (runId) =>
        this.#all<HistoryEntry>('SELECT body FROM history WHERE run_id = ? ORDER BY date, computation', runId),
      of: async (computation, date, limit) =>
        this.#all<HistoryEntry>(
          'SELECT body FROM history WHERE computation = ? AND date = ? ORDER BY recorded_at DESC, run_id DESC LIMIT ?',
          computation,
          date,
          limit,
        ),
      purgeExpired: async (now) =>
        this.#transaction(() => {
          // Firestore's TTL policy deletes old runs; here the purge does, with their steps.
          const cutoff = new Date(now.getTime() - this.#historyMs).toISOString();
          this.#run(
            'DELETE FROM run_steps WHERE run_id IN (SELECT run_id FROM runs WHERE started_at < ? AND json_extract(body, ?) IS NOT ?)',
            cutoff,
            '$.status',
            'running',
          );
          this.#run(
            'DELETE FROM runs WHERE started_at < ? AND json_extract(body, ?) IS NOT ?',
            cutoff,
            '$.status',
            'running',
          );
          return this.#run('DELETE FROM history WHERE expires_at < ?', now.toISOString());
        }),
    };
  }

  #leasesPort(): LeaseStore {
    return {
      get: async (key) => this.#lease(key),
      change: async (key, decide) =>
        this.#transaction(() => {
          const read = this.#lease(key);
          const written = decide(read);
          if (written !== null)
            this.#run(
              `INSERT INTO leases (computation, date, token, body) VALUES (?, ?, ?, json_set(?, '$.touchedMs', ${SQLITE_NOW_MS})) ON CONFLICT (computation, date) DO UPDATE SET token = excluded.token, body = excluded.body`,
              key.computation,
              key.date,
              written.token,
              this.#leaseBody(written),
            );
          return { read, written };
        }),
      // One local file: no document to contend on, so the heartbeat goes into the lease row.
      beat: async (token, _owner, at) =>
        this.#transaction(() => {
          const lease = this.#lease(token);
          if (lease === null || lease.token !== token.token || lease.released) return;
          const body = this.#leaseBody({ ...lease, heartbeatAt: laterBeat(lease.heartbeatAt, at) });
          this.#run(
            `UPDATE leases SET body = json_set(?, '$.touchedMs', ${SQLITE_NOW_MS}) WHERE computation = ? AND date = ?`,
            body,
            token.computation,
            token.date,
          );
        }),
    };
  }

  #ledgerPort(): BatchLedger {
    const keyParams = (key: LedgerKey): SqlValue[] => [ledgerRunField(key), key.computation, key.date];
    const where = 'run_id = ? AND computation = ? AND date = ?';
    return {
      planBatches: async (key, batches) => {
        this.#transaction(() => {
          for (const batch of batches) {
            this.#run(
              'INSERT OR IGNORE INTO planned (run_id, computation, date, batch_id, entity_count, published) VALUES (?, ?, ?, ?, ?, ?)',
              ...keyParams(key),
              batch.batchId,
              batch.entityCount,
              batch.claimed ? 1 : 0,
            );
          }
        });
      },
      claimedCount: async (key) =>
        Number(
          (
            this.#prepare(`SELECT COUNT(*) AS n FROM planned WHERE ${where} AND published = 1`).get(
              ...keyParams(key),
            ) as { n: number }
          ).n,
        ),
      claimNext: async (key, limit) => {
        if (limit <= 0) return [];
        const rows = this.#prepare(
          `UPDATE planned SET published = 1 WHERE rowid IN (SELECT rowid FROM planned WHERE ${where} AND published = 0 ORDER BY batch_id LIMIT ?) RETURNING batch_id`,
        ).all(...keyParams(key), limit) as Array<{ batch_id: string }>;
        return rows.map((row) => row.batch_id).sort();
      },
      seal: async (key, entityCount) => {
        this.#run(
          'INSERT OR IGNORE INTO sealed (run_id, computation, date, entity_count) VALUES (?, ?, ?, ?)',
          ...keyParams(key),
          entityCount,
        );
      },
      getPlan: async (key) => this.#plan(key),
      isSealed: async (key) =>
        this.#prepare(`SELECT 1 AS found FROM sealed WHERE ${where}`).get(...keyParams(key)) !== undefined,
      record: async (batch) =>
        this.#run(
          'INSERT OR IGNORE INTO batches (run_id, computation, date, batch_id, succeeded, failed, stored, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          ...keyParams(batch),
          batch.batchId,
          batch.succeeded,
          batch.failed,
          batch.stored,
          JSON.stringify(batch),
        ) === 1,
      summary: async (key): Promise<LedgerSummary> => {
        const row = this.#prepare(
          `SELECT COUNT(*) AS completed, COALESCE(SUM(succeeded), 0) AS succeeded, COALESCE(SUM(failed), 0) AS failed, COALESCE(SUM(stored), 0) AS stored FROM batches WHERE ${where}`,
        ).get(...keyParams(key)) as { completed: number; succeeded: number; failed: number; stored: number };
        return {
          completed: Number(row.completed),
          succeeded: Number(row.succeeded),
          failed: Number(row.failed),
          stored: Number(row.stored),
        };
      },
      batches: async (key) =>
        this.#all<BatchRecord>(`SELECT body FROM batches WHERE ${where} ORDER BY batch_id`, ...keyParams(key)),
    };
  }
}
