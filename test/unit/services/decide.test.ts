import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../../shared/manifest/manifest.ts';
import { decide, type DependencyView } from '../../../shared/plan/decide.ts';
import type { ComputationState } from '../../../shared/ports/state-store.ts';
import { entry, project } from '../../support/entries.ts';
import { state } from '../../contract/state-store.contract.ts';

/** The decision table of shared/plan/decide.ts: one row per rule. */
const totals = entry({ name: 'Totals', type: 'per-entity' });
const doubled = entry({ name: 'Doubled', type: 'per-entity', dependencies: ['Totals'] });
const streak = entry({ name: 'Streak', type: 'per-entity', isHistorical: true });
const manifest = {
  project: project(),
  computations: [totals, doubled, streak],
  byName: new Map([totals, doubled, streak].map((e) => [e.name, e])),
  passes: [['Totals', 'Streak'], ['Doubled']],
} as unknown as Manifest;

const D = '2026-01-26';
const done = (overrides: Partial<ComputationState> = {}) =>
  state({ computation: 'Totals', date: D, status: 'completed', resultHash: 'r-totals', ...overrides });

function run(
  which: typeof totals,
  options: {
    stored?: ComputationState | null;
    previous?: ComputationState | null;
    force?: boolean;
    deps?: Record<string, DependencyView>;
  } = {},
) {
  return decide({
    manifest,
    entry: which,
    date: D,
    force: options.force ?? false,
    stored: options.stored ?? null,
    previous: options.previous ?? null,
    dependency: (name) => options.deps?.[name] ?? { kind: 'final', state: done() },
  });
}

describe('decide', () => {
  it('runs what never ran, as new', () => {
    expect(run(totals)).toMatchObject({ decision: 'run', reasons: ['never ran for this date'], changed: ['new'] });
  });

  it('skips when the composite hash equals the stored one', () => {
    const first = run(doubled);
    const again = run(doubled, {
      stored: done({ computation: 'Doubled', compositeHash: first.compositeHash, components: first.components }),
    });
    expect(again).toMatchObject({ decision: 'skip', changed: [], compositeHash: first.compositeHash });
  });

  it('runs a forced computation even when up to date', () => {
    const first = run(totals);
    const stored = done({ compositeHash: first.compositeHash, components: first.components });
    expect(run(totals, { stored, force: true })).toMatchObject({ decision: 'run', reasons: ['forced'], changed: [] });
  });

  it('runs again after a failure with the same hash, saying why', () => {
    const first = run(totals);
    const stored = done({
      status: 'failed',
      error: 'boom',
      compositeHash: first.compositeHash,
      components: first.components,
    });
    expect(run(totals, { stored })).toMatchObject({ decision: 'run', reasons: ['last attempt was failed: boom'] });
  });

  it('names the dependency whose result changed', () => {
    const before = run(doubled);
    const stored = done({ computation: 'Doubled', compositeHash: before.compositeHash, components: before.components });
    const after = run(doubled, { stored, deps: { Totals: { kind: 'final', state: done({ resultHash: 'r2' }) } } });
    expect(after).toMatchObject({
      decision: 'run',
      changed: ['dependency:Totals'],
      reasons: ["dependency Totals's result changed"],
    });
  });

  it('blocks on a failed dependency, quoting its error, and on one that has not run', () => {
    expect(
      run(doubled, { deps: { Totals: { kind: 'final', state: done({ status: 'failed', error: 'x' }) } } }),
    ).toMatchObject({
      decision: 'blocked',
      reasons: ['dependency Totals is failed on 2026-01-26 (x)'],
      compositeHash: null,
    });
    expect(run(doubled, { deps: { Totals: { kind: 'final', state: null } } }).reasons).toEqual([
      'dependency Totals has not run on 2026-01-26',
    ]);
  });

  it('plans to run after a dependency that runs first, and to be blocked by one that will not run', () => {
    expect(run(doubled, { deps: { Totals: { kind: 'will-run' } } })).toMatchObject({
      decision: 'run',
      compositeHash: null,
      changed: ['new', 'dependency:Totals'],
    });
    expect(run(doubled, { deps: { Totals: { kind: 'will-not-run', status: 'impossible' } } })).toMatchObject({
      decision: 'blocked',
      reasons: ['dependency Totals will be impossible on 2026-01-26'],
    });
  });

  it("re-runs a historical computation when the previous day's result changed", () => {
    const before = run(streak, { previous: done({ computation: 'Streak', resultHash: 'p1' }) });
    const stored = done({ computation: 'Streak', compositeHash: before.compositeHash, components: before.components });
    expect(run(streak, { stored, previous: done({ computation: 'Streak', resultHash: 'p1' }) }).decision).toBe('skip');
    expect(run(streak, { stored, previous: done({ computation: 'Streak', resultHash: 'p2' }) })).toMatchObject({
      decision: 'run',
      changed: ['previous'],
      reasons: ["the previous day's result changed"],
    });
  });
});
