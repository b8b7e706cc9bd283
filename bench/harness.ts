/** A benchmark measures one figure against a baseline taken in the same run. */
export interface BenchResult {
  name: string;
  /** What was measured, e.g. 'build manifest of 1,000 computations'. */
  subject: string;
  /** What it is compared with. */
  baseline: string;
  unit: 'ms' | 'MB' | 'ops/s';
  value: number;
  baselineValue: number;
  /** value / baselineValue. */
  ratio: number;
  /** The target as text, e.g. '<= 1.5x', and whether it was met; null for a figure given for information. */
  target: string | null;
  met: boolean;
  notes?: string;
}

export interface Bench {
  name: string;
  run(): Promise<BenchResult | BenchResult[]>;
}

export function result(
  fields: Omit<BenchResult, 'ratio' | 'met'> & { maxRatio?: number; minRatio?: number },
): BenchResult {
  const { maxRatio, minRatio, ...rest } = fields;
  const ratio = rest.value / rest.baselineValue;
  const met = (maxRatio === undefined || ratio <= maxRatio) && (minRatio === undefined || ratio >= minRatio);
  return { ...rest, ratio, met };
}

/** Best of `repeat` timings, in milliseconds. */
export async function timeBest(repeat: number, work: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    await work();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

export function format(r: BenchResult): string {
  const fixed = (n: number) => (r.unit === 'ms' ? n.toFixed(1) : n.toFixed(2));
  const verdict = r.target === null ? 'INFO' : r.met ? 'PASS' : 'MISS';
  return `${verdict}  ${r.name}: ${r.subject} ${fixed(r.value)} ${r.unit} vs ${r.baseline} ${fixed(r.baselineValue)} ${r.unit} -> ratio ${r.ratio.toFixed(3)}${r.target === null ? '' : ` (target ${r.target})`}${r.notes === undefined ? '' : `\n      ${r.notes}`}`;
}
