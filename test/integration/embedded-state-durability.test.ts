import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../shared/adapters/embedded/sqlite-state-store.ts';
import { runUntilKilled } from '../support/kill-writer.ts';

const writer = resolve(import.meta.dirname, '../support/children/state-writer.ts');

describe('embedded state store durability', () => {
  const folders: string[] = [];
  afterAll(() => Promise.all(folders.map((f) => rm(f, { recursive: true, force: true }))));

  it('survives SIGKILL in the middle of writes: readable, consistent, nothing acknowledged is lost', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'compute-durability-'));
    folders.push(folder);
    const path = join(folder, 'state.sqlite');
    let lastAcknowledged = -1;
    await runUntilKilled(writer, [path], (line) => (lastAcknowledged = Number(line)) >= 300);
    expect(lastAcknowledged).toBeGreaterThanOrEqual(300);

    const raw = new DatabaseSync(path);
    expect(raw.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
    raw.close();

    const store = new SqliteStateStore(path);
    const key = { runId: 'run-crash', attempt: 1, computation: 'Crash', date: '2026-01-26' };
    const summary = await store.ledger.summary(key);
    // Every acknowledged batch is there; at most the one in flight beyond it.
    expect(summary.completed).toBeGreaterThanOrEqual(lastAcknowledged + 1);
    expect(summary.completed).toBeLessThanOrEqual(lastAcknowledged + 2);
    expect(summary.succeeded).toBe(summary.completed);
    const states = await store.states.list('2026-01-26');
    expect(states).toHaveLength(50);
    const newest = Math.max(...states.map((s) => Number(s.resultHash!.slice(1))));
    expect(newest).toBeGreaterThanOrEqual(lastAcknowledged);
    for (const s of states) expect(s.counts!.planned).toBe(Number(s.resultHash!.slice(1)));
    // The store still takes writes after the crash.
    expect(
      await store.ledger.record({
        ...key,
        batchId: 'after-crash',
        succeeded: 1,
        failed: 0,
        stored: 1,
        errors: [],
        resultsBlob: null,
        recordedAt: new Date().toISOString(),
      }),
    ).toBe(true);
    await store.close();
  }, 60_000);
});

describe('embedded state store shared by several processes', () => {
  const racer = resolve(import.meta.dirname, '../support/children/state-racer.ts');

  it('gives one lease and one finalization to exactly one of four processes, and counts each batch once', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'compute-race-'));
    const path = join(folder, 'state.sqlite');
    await new SqliteStateStore(path).close();
    const startAt = String(Date.now() + 1500);
    const outputs = await Promise.all(
      ['a', 'b', 'c', 'd'].map(
        (owner) =>
          new Promise<{ lease: boolean; final: boolean; recorded: number }>((done, fail) => {
            const child = spawn(
              process.execPath,
              ['--disable-warning=ExperimentalWarning', racer, path, owner, startAt],
              { stdio: ['ignore', 'pipe', 'pipe'] },
            );
            let out = '';
            let err = '';
            child.stdout.on('data', (c: Buffer) => (out += c.toString()));
            child.stderr.on('data', (c: Buffer) => (err += c.toString()));
            child.once('exit', (code) =>
              code === 0
                ? done(JSON.parse(out) as { lease: boolean; final: boolean; recorded: number })
                : fail(new Error(err)),
            );
          }),
      ),
    );
    expect(outputs.filter((o) => o.lease)).toHaveLength(1);
    expect(outputs.filter((o) => o.final)).toHaveLength(1);
    expect(outputs.reduce((sum, o) => sum + o.recorded, 0)).toBe(50);
    const store = new SqliteStateStore(path);
    expect(
      (await store.ledger.summary({ runId: 'r', attempt: 1, computation: 'Race', date: '2026-01-26' })).completed,
    ).toBe(50);
    await store.close();
    await rm(folder, { recursive: true, force: true });
  }, 60_000);
});

describe('embedded state files from an earlier version', () => {
  it('gains the publication column on open, keeping the batches planned before', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'compute-upgrade-'));
    const path = join(folder, 'state.sqlite');
    const old = new DatabaseSync(path);
    old.exec(
      'CREATE TABLE planned (run_id TEXT NOT NULL, computation TEXT NOT NULL, date TEXT NOT NULL, batch_id TEXT NOT NULL, entity_count INTEGER NOT NULL, PRIMARY KEY (run_id, computation, date, batch_id))',
    );
    old.exec("INSERT INTO planned VALUES ('r#1', 'Totals', '2026-01-26', 'b000000', 10)");
    old.close();
    const store = new SqliteStateStore(path);
    // Run and attempt were stored in one field, 'r#1': the key of run r, attempt 1.
    const key = { runId: 'r', attempt: 1, computation: 'Totals', date: '2026-01-26' };
    expect((await store.ledger.getPlan(key))!.batches).toEqual([
      { batchId: 'b000000', entityCount: 10, claimed: false },
    ]);
    // A batch planned by the earlier version is published through a claim, once.
    expect(await store.ledger.claimNext(key, 5)).toEqual(['b000000']);
    expect(await store.ledger.claimNext(key, 5)).toEqual([]);
    await store.close();
    await rm(folder, { recursive: true, force: true });
  });
});
