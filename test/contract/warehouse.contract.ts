import { describe, expect, it } from 'vitest';
import { checksSchema } from '../../shared/model/check-schema.ts';
import { runChecks } from '../../shared/checks/run-checks.ts';
import { ManualClock } from '../../shared/ports/clock.ts';
import type { ResultStore, Warehouse } from '../../shared/ports/warehouse.ts';
import { ComputationReader } from '../../shared/warehouse/computation-reader.ts';
import { SchemaRegistry } from '../../shared/warehouse/schema-registry.ts';
import { entry, project } from '../support/entries.ts';
import { ODD_IDS } from './warehouse-fixture.ts';

/** ODD_IDS sorted by code point, written out. */
const CODE_POINT_ORDER = ['B', 'a', 'b', 'e', 'z', 'É', 'é', '～', '𝔸', '😀'];

export interface WarehouseUnderTest {
  warehouse: Warehouse;
  results: ResultStore;
}

/** One suite over every warehouse adapter; the fixture tables of warehouse-fixture.ts must exist. */
export function warehouseContract(
  adapter: string,
  open: () => WarehouseUnderTest,
  options: { skip?: string | null } = {},
): void {
  describe.skipIf(Boolean(options.skip))(`Warehouse contract: ${adapter}`, () => {
    const reader = () => {
      const { warehouse } = open();
      return new ComputationReader({
        warehouse,
        registry: new SchemaRegistry(warehouse, { clock: new ManualClock() }),
        project: project(),
      });
    };

    async function rowsOf(config: Parameters<typeof entry>[0], date: string) {
      const r = reader();
      const { reads, problems } = await r.plan(entry(config), date);
      expect(problems).toEqual([]);
      return (await r.readAll(reads)).data;
    }

    it('discovers columns, types and nullability from INFORMATION_SCHEMA', async () => {
      const schema = await open().warehouse.describeTable('trades');
      expect(schema!.columns.map((c) => [c.name, c.kind])).toEqual([
        ['date', 'date'],
        ['user_id', 'string'],
        ['symbol', 'string'],
        ['quantity', 'integer'],
        ['price', 'float'],
      ]);
      expect(schema!.columns.every((c) => c.nullable)).toBe(true);
      expect(await open().warehouse.describeTable('no_such_table')).toBeNull();
      expect(await open().warehouse.listTables()).toEqual(expect.arrayContaining(['trades', 'logins', 'users']));
    });

    it('gives portable row values: dates, timestamps, big and small integers, nulls', async () => {
      const data = await rowsOf(
        { name: 'Values', type: 'global', requires: { trades: { lookback: 0 }, logins: { dateField: 'ts' } } },
        '2026-03-01',
      );
      const u3 = data.trades!.find((r) => r.user_id === 'u3')!;
      expect(u3).toEqual({
        date: '2026-03-01',
        user_id: 'u3',
        symbol: 'AAA',
        quantity: '9007199254740993',
        price: null,
      });
      expect(data.trades!.find((r) => r.user_id === 'u1')).toEqual({
        date: '2026-03-01',
        user_id: 'u1',
        symbol: 'BBB',
        quantity: 4,
        price: 21,
      });
      expect(data.logins!.map((r) => r.ts).sort()).toEqual(['2026-03-01T00:00:00.000Z', '2026-03-01T12:30:00.250Z']);
    });

    it('gives the same plain values for nested, exact and binary types', async () => {
      const data = await rowsOf(
        { name: 'Kinds', type: 'global', requires: { kinds: { dateField: null } } },
        '2026-03-01',
      );
      const byId = Object.fromEntries(data.kinds!.map((r) => [r.id, r]));
      expect(byId.all).toEqual({
        id: 'all',
        n: '-9007199254740993',
        num: '12345678901234567890.123456789',
        f: 'NaN',
        ok: true,
        raw: 'AAEC/w==',
        t: '12:30:00.250000',
        ts: '2026-03-01T12:30:00.250001Z',
        doc: { x: [1, 2.5], y: { z: null } },
        tags: ['a', 'b'],
        counts: [1, '9007199254740993'],
        s: {
          a: 7,
          b: '2026-01-01',
          c: ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.500Z'],
          d: { e: '1.5', raw: 'AQ==' },
        },
      });
      expect(byId.none).toEqual({
        id: 'none',
        n: null,
        num: null,
        f: null,
        ok: null,
        raw: null,
        t: null,
        ts: null,
        doc: null,
        tags: [],
        counts: [],
        s: null,
      });
    });

    it('reads [date - lookback, date] on a DATE column across a month end', async () => {
      const data = await rowsOf(
        { name: 'Window', type: 'global', requires: { trades: { lookback: 2 } } },
        '2026-03-01',
      );
      expect(data.trades!.map((r) => `${r.date}/${r.user_id}`).sort()).toEqual([
        '2026-02-27/u1',
        '2026-02-28/u2',
        '2026-03-01/null',
        '2026-03-01/u1',
        '2026-03-01/u3',
      ]);
    });

    it('reads whole days on a TIMESTAMP column, and nothing of the next day', async () => {
      const data = await rowsOf(
        { name: 'Logins', type: 'global', requires: { logins: { dateField: 'ts', lookback: 1 } } },
        '2026-03-01',
      );
      expect(data.logins!.map((r) => r.ts).sort()).toEqual([
        '2026-02-28T23:59:59.000Z',
        '2026-03-01T00:00:00.000Z',
        '2026-03-01T12:30:00.250Z',
      ]);
    });

    it('reads a dimension table whole when dateField is null, with only the listed columns', async () => {
      const data = await rowsOf(
        { name: 'Dim', type: 'global', requires: { users: { dateField: null, columns: ['profile'] } } },
        '2026-03-01',
      );
      expect(data.users!.map((r) => r.profile).sort()).toEqual(['aggressive', 'balanced', 'cautious']);
      expect(Object.keys(data.users![0]!)).toEqual(['profile']);
    });

    it('cuts batches at entity boundaries across two tables with different coverage', async () => {
      const r = reader();
      const { reads } = await r.plan(
        entry({
          name: 'Merge',
          type: 'per-entity',
          requires: { trades: { lookback: 2 }, logins: { dateField: 'ts' } },
        }),
        '2026-03-01',
      );
      const { merger, impossible } = await r.openEntities(reads);
      expect(impossible).toBeNull();
      const batches = [];
      for await (const batch of merger.batches(2)) batches.push(batch);
      expect(batches.map((b) => b.entityIds)).toEqual([
        ['u1', 'u2'],
        ['u3', 'u4'],
      ]);
      const u1 = batches[0]!.items.get('u1')!;
      expect((u1.trades as Array<{ date: string }>).map((t) => t.date)).toEqual(
        expect.arrayContaining(['2026-02-27', '2026-03-01']),
      );
      expect(u1.logins).toEqual([]);
      expect(batches[0]!.items.get('u2')!.logins).toHaveLength(1);
      expect(batches[1]!.items.get('u4')!.trades).toEqual([]);
    });

    it('orders entities alike in the warehouse and in the merge: beyond the BMP, accents, case', async () => {
      const r = reader();
      const { reads, problems } = await r.plan(
        entry({
          name: 'Odd',
          type: 'per-entity',
          requires: { people: { entityField: 'person' }, visits: { entityField: 'person' } },
        }),
        '2026-03-01',
      );
      expect(problems).toEqual([]);
      const { merger } = await r.openEntities(reads);
      const ids: string[] = [];
      for await (const batch of merger.batches(3)) ids.push(...batch.entityIds);
      // Code-point order (UTF-8 bytes); JavaScript's < would put the two astral ids before '～'.
      expect(ids).toEqual(CODE_POINT_ORDER);
      const { results } = open();
      const writer = await results.openReplace('OddIds', '2026-03-01');
      await writer.append(ODD_IDS.map((id) => ({ entityId: id, result: id })));
      await writer.commit();
      const streamed: string[] = [];
      for await (const chunk of results.stream('OddIds', '2026-03-01')) streamed.push(...chunk.map((x) => x.entityId));
      expect(streamed).toEqual(CODE_POINT_ORDER);
    });

    it('makes a computation impossible when a mandatory table is empty in its window', async () => {
      const r = reader();
      const { reads } = await r.plan(
        entry({
          name: 'Needs',
          type: 'per-entity',
          requires: { trades: {}, empty_events: { mandatory: true, lookback: 3 } },
        }),
        '2026-03-01',
      );
      expect((await r.openEntities(reads)).impossible).toBe(
        "mandatory table 'empty_events' has no rows between 2026-02-26 and 2026-03-01 (column date)",
      );
      const global = await r.plan(
        entry({ name: 'NeedsG', type: 'global', requires: { trades: { mandatory: true } } }),
        '2030-01-01',
      );
      expect((await r.readAll(global.reads)).impossible).toContain(
        "mandatory table 'trades' has no rows between 2030-01-01 and 2030-01-01",
      );
    });

    it('reports validation problems with the nearest names, before any query', async () => {
      const { problems } = await reader().plan(
        entry({
          name: 'Bad',
          type: 'per-entity',
          requires: {
            trade: {},
            logins: { dateField: 'timestamp' },
            users: { dateField: null, entityField: 'userid' },
            text_dates: {},
          },
        }),
        '2026-03-01',
      );
      expect(problems.map((p) => p.message)).toEqual([
        "Computation 'Bad' requires table 'trade', which does not exist in the warehouse. Did you mean 'trades'?",
        expect.stringContaining(
          "Computation 'Bad' requires table 'logins': it has no column 'timestamp' (the date column; set requires.logins.dateField, or null to read the whole table). Columns: ts, user_id, device.",
        ),
        expect.stringContaining(
          "requires table 'users': it has no column 'userid' (the entity column; set requires.users.entityField). Did you mean 'user_id'?",
        ),
        expect.stringContaining("requires table 'text_dates': its date column 'date' is"),
      ]);
    });

    describe('results', () => {
      it('replaces the results of a (computation, date) atomically', async () => {
        const { results } = open();
        let writer = await results.openReplace('Contract', '2026-03-01');
        await writer.append([
          { entityId: 'u2', result: { v: 2 } },
          { entityId: 'u1', result: { v: 1, nested: { a: [1, 2] } } },
        ]);
        await writer.commit();
        writer = await results.openReplace('Contract', '2026-03-02');
        await writer.append([{ entityId: '_global', result: { total: 3 } }]);
        await writer.commit();
        expect(await results.read('Contract', '2026-03-01')).toEqual([
          { entityId: 'u1', result: { v: 1, nested: { a: [1, 2] } } },
          { entityId: 'u2', result: { v: 2 } },
        ]);
        // A second replace of the same date is not appended.
        writer = await results.openReplace('Contract', '2026-03-01');
        await writer.append([{ entityId: 'u1', result: { v: 10 } }]);
        await writer.commit();
        expect(await results.read('Contract', '2026-03-01')).toEqual([{ entityId: 'u1', result: { v: 10 } }]);
        expect(await results.read('Contract', '2026-03-02', ['_global'])).toEqual([
          { entityId: '_global', result: { total: 3 } },
        ]);
      });

      it('keeps the previous results when a replace fails half-way', async () => {
        const { results } = open();
        let writer = await results.openReplace('Atomic', '2026-03-01');
        await writer.append([
          { entityId: 'a', result: 1 },
          { entityId: 'b', result: 2 },
        ]);
        await writer.commit();
        writer = await results.openReplace('Atomic', '2026-03-01');
        await writer.append([{ entityId: 'a', result: 100 }]);
        await writer.abort();
        expect(await results.read('Atomic', '2026-03-01')).toEqual([
          { entityId: 'a', result: 1 },
          { entityId: 'b', result: 2 },
        ]);
      });

      it('leaves one set of results when replaces of one (computation, date) race', async () => {
        const { results } = open();
        await Promise.all(
          [1, 2, 3].map(async (n) => {
            const writer = await results.openReplace('Raced', '2026-03-01');
            await writer.append([
              { entityId: 'a', result: n },
              { entityId: 'b', result: n },
            ]);
            await writer.commit();
          }),
        );
        const stored = await results.read('Raced', '2026-03-01');
        expect(stored.map((r) => r.entityId)).toEqual(['a', 'b']);
        expect(stored[0]!.result).toBe(stored[1]!.result);
      });

      it('reads given entities, streams in entity order, and reads nothing for an unknown computation', async () => {
        const { results } = open();
        const writer = await results.openReplace('Streamed', '2026-03-01');
        await writer.append(
          Array.from({ length: 30 }, (_, i) => ({ entityId: `e${String(29 - i).padStart(2, '0')}`, result: 29 - i })),
        );
        await writer.commit();
        expect((await results.read('Streamed', '2026-03-01', ['e03', 'e17', 'missing'])).map((r) => r.result)).toEqual([
          3, 17,
        ]);
        const streamed: string[] = [];
        for await (const chunk of results.stream('Streamed', '2026-03-01'))
          streamed.push(...chunk.map((r) => r.entityId));
        expect(streamed).toEqual(Array.from({ length: 30 }, (_, i) => `e${String(i).padStart(2, '0')}`));
        expect(await results.read('NeverRan', '2026-03-01')).toEqual([]);
      });

      it('result checks judge every stored result through the stream (issue 22)', async () => {
        const { results } = open();
        const writer = await results.openReplace('Checked', '2026-03-01');
        await writer.append(
          Array.from({ length: 30 }, (_, i) => ({ entityId: `e${String(i).padStart(2, '0')}`, result: { v: i - 2 } })),
        );
        await writer.commit();
        const outcomes = await runChecks(
          checksSchema.parse([
            { type: 'range', field: 'v', min: 0 },
            { type: 'count', within: 0.1 },
          ]),
          results.stream('Checked', '2026-03-01'),
          30,
        );
        expect(outcomes.map((o) => [o.name, o.passed, o.checked, o.failed, o.sample.map((x) => x.entityId)])).toEqual([
          ['range(v)', false, 30, 2, ['e00', 'e01']],
          ['count', true, 30, 0, []],
        ]);
      });
    });
  });
}
