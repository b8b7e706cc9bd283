import { describe, expect, it } from 'vitest';
import { changedComponents, compositeHash, type HashComponents } from '../../../shared/manifest/composite-hash.ts';
import type { Manifest, ManifestEntry } from '../../../shared/manifest/manifest.ts';
import { decide, type DependencyView } from '../../../shared/plan/decide.ts';
import type { ComputationState } from '../../../shared/ports/state-store.ts';
import type { InputVersions } from '../../../shared/warehouse/computation-reader.ts';
import { state } from '../../contract/state-store.contract.ts';
import { entry, project } from '../../support/entries.ts';

/**
 * The words `analyze` and the run logs give for each decision, and the
 * rules behind input versions: the reasons a user reads are part of the
 * contract (found by mutation testing: these texts had no test).
 */
const D = '2026-03-02';
const ledger: ManifestEntry = {
  ...entry({ name: 'Ledger', type: 'per-entity', dependencies: ['A', 'B'], rules: ['risk'] }),
  layerHashes: { money: 'l1' },
  ruleHashes: { risk: 'r1' },
};
const manifest = {
  project: project(),
  computations: [ledger],
  byName: new Map([[ledger.name, ledger]]),
  passes: [['Ledger']],
} as unknown as Manifest;

const final = (name: string, resultHash: string): DependencyView => ({
  kind: 'final',
  state: state({ computation: name, date: D, status: 'completed', resultHash }),
});
const inputs = (version: string): InputVersions => ({
  versions: { orders: version },
  windows: { orders: 'window 2026-02-28..2026-03-02' },
});

function decideWith(options: {
  deps?: Record<string, DependencyView>;
  stored?: ComputationState | null;
  inputs?: InputVersions;
  target?: ManifestEntry;
  force?: boolean;
}) {
  const target = options.target ?? ledger;
  return decide({
    manifest,
    entry: target,
    date: D,
    force: options.force ?? false,
    stored: options.stored ?? null,
    previous: null,
    ...(options.inputs === undefined ? {} : { inputs: options.inputs }),
    dependency: (name) => options.deps?.[name] ?? final(name, `r-${name}`),
  });
}

const storedFrom = (decision: ReturnType<typeof decide>, overrides: Partial<ComputationState> = {}) =>
  state({
    computation: 'Ledger',
    date: D,
    status: 'completed',
    compositeHash: decision.compositeHash,
    components: decision.components,
    resultHash: 'mine',
    ...overrides,
  });

describe('decision reasons', () => {
  it('says which dependencies run first, in the singular and the plural', () => {
    const one = decideWith({ deps: { A: { kind: 'will-run' } } });
    expect(one.reasons).toEqual(['A runs first; this re-runs unless its output is unchanged']);
    const two = decideWith({ deps: { A: { kind: 'will-run' }, B: { kind: 'will-run' } } });
    expect(two.reasons).toEqual(['A, B run first; this re-runs unless their output is unchanged']);
  });

  it('lists each pending dependency once among the changed components, after what else changed', () => {
    const before = decideWith({});
    const stored = storedFrom(before, {
      components: { ...before.components!, code: 'old', dependencies: { A: 'old-a', B: 'old-b' } },
    });
    const one = decideWith({ stored, deps: { A: { kind: 'will-run' } } });
    expect(one.changed).toEqual(['code', 'dependency:B', 'dependency:A']);
    const two = decideWith({ stored, deps: { A: { kind: 'will-run' }, B: { kind: 'will-run' } } });
    expect(two.changed).toEqual(['code', 'dependency:A', 'dependency:B']);
  });

  it('keeps previous out of a computation that is not historical, and says a failure without an error plainly', () => {
    expect(decideWith({}).components).not.toHaveProperty('previous');
    const before = decideWith({});
    expect(decideWith({ stored: storedFrom(before, { status: 'failed', error: null }) }).reasons).toEqual([
      'last attempt was failed',
    ]);
    expect(decideWith({ deps: { A: final('A', 'x'), B: { kind: 'will-not-run', status: 'blocked' } } })).toEqual(
      expect.objectContaining({ decision: 'blocked', changed: [] }),
    );
  });

  it('names each kind of change in words', () => {
    const before = decideWith({ inputs: inputs('v1') });
    const components = before.components!;
    const stored = storedFrom(before, {
      components: {
        ...components,
        code: 'old',
        epoch: 9,
        layers: { money: 'l0' },
        rules: { risk: 'r0' },
        dependencies: { ...components.dependencies, B: 'old' },
        inputs: { orders: 'v0' },
      },
      compositeHash: 'old',
    });
    expect(decideWith({ stored, inputs: inputs('v1') }).reasons).toEqual([
      'its code changed',
      'the epoch changed',
      'layer money changed',
      'rule risk changed',
      "dependency B's result changed",
      'input:orders changed (window 2026-02-28..2026-03-02)',
    ]);
  });

  it('says an input that is no longer versioned changed, and a skip says why', () => {
    const versioned = decideWith({ inputs: inputs('v1') });
    const stored = storedFrom(versioned);
    expect(decideWith({ stored, inputs: inputs('v1') }).reasons).toEqual([
      'up to date: the composite hash matches the stored one',
    ]);
    expect(decideWith({ stored }).reasons).toEqual(['input:orders changed (no longer versioned)']);
  });

  it('records input versions over a state stored without them, without re-running', () => {
    const legacy = decideWith({});
    const stored = storedFrom(legacy);
    expect(decideWith({ stored, inputs: inputs('v1') })).toMatchObject({
      decision: 'skip',
      reasons: ['up to date; the versions of its inputs are recorded for the first time'],
      changed: [],
      components: { inputs: { orders: 'v1' } },
    });
    // Forced, or after a failure, it runs: the upgrade shortcut is only for what is up to date.
    expect(decideWith({ stored, inputs: inputs('v1'), force: true }).decision).toBe('run');
    expect(decideWith({ stored: { ...stored, status: 'failed' }, inputs: inputs('v1') }).decision).toBe('run');
  });
});

describe('composite hash rules for input versions', () => {
  const base: HashComponents = { code: 'c', epoch: 0, layers: {}, rules: {}, dependencies: {} };

  it('hashes no versioned input as no inputs at all, so such states stay up to date after an upgrade', () => {
    expect(compositeHash({ ...base, inputs: {} })).toBe(compositeHash(base));
    expect(compositeHash({ ...base, inputs: { t: 'v' } })).not.toBe(compositeHash(base));
  });

  it('names changed keys in name order, whatever order the objects hold them in', () => {
    const before = { ...base, layers: { zeta: '1', alpha: '1' }, inputs: { zeta: '1', alpha: '1' } };
    const after = { ...base, layers: { zeta: '2', alpha: '2' }, inputs: { zeta: '2', alpha: '2' } };
    expect(changedComponents(before, after)).toEqual(['layer:alpha', 'layer:zeta', 'input:alpha', 'input:zeta']);
  });
});
