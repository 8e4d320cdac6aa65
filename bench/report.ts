/**
 * The shape every benchmark returns and how `npm run bench` prints it. Each `*.bench.ts` file in this folder
 * exports `bench(): Promise<BenchSection>`; the runner finds them, runs them one after another, prints each
 * as a table and writes them all to `vigil-out/bench.json`.
 */
export interface BenchFigure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The goal this figure must stay within, when there is one. */
  readonly budget?: { readonly max: number } | { readonly min: number };
}

export interface BenchSection {
  readonly component: string;
  /** What was run, so anyone can repeat it. */
  readonly setup: string;
  readonly figures: readonly BenchFigure[];
  readonly notes?: readonly string[];
}

export function withinBudget(f: BenchFigure): boolean {
  if (!f.budget) return true;
  return 'max' in f.budget ? f.value <= f.budget.max : f.value >= f.budget.min;
}

const fmt = (v: number) => (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumSignificantDigits: 4 }));

export function formatSection(s: BenchSection): string {
  const rows = s.figures.map((f) => [
    f.name,
    `${fmt(f.value)} ${f.unit}`,
    f.budget ? `${'max' in f.budget ? '≤' : '≥'} ${fmt('max' in f.budget ? f.budget.max : f.budget.min)} ${f.unit}` : '',
    f.budget ? (withinBudget(f) ? 'ok' : 'OVER BUDGET') : '',
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), ['figure', 'value', 'budget'][i].length));
  const line = (r: string[]) => `  ${r[0].padEnd(widths[0])}  ${r[1].padStart(widths[1])}  ${r[2].padEnd(widths[2])}  ${r[3]}`.trimEnd();
  return [
    `${s.component}`,
    `  (${s.setup})`,
    line(['figure', 'value', 'budget', '']),
    ...rows.map(line),
    ...(s.notes ?? []).map((n) => `  note: ${n}`),
  ].join('\n');
}

/** CPU time (user + system) of `fn` in this process, in milliseconds. */
export async function cpuMs<T>(fn: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const start = process.cpuUsage();
  const result = await fn();
  const u = process.cpuUsage(start);
  return { ms: (u.user + u.system) / 1000, result };
}
