/** The compare table as a file: CSV for spreadsheets, JSON for scripts (the CLI's --json too). */
import type { CompareTable } from '../../protocol/comparePanel';
import { csvText } from '../../core/util/csv';

/** One row per metric: each checkpoint's value, then its delta against the baseline. */
export function metricsCsv(s: CompareTable): string {
  const names = s.checkpoints.map((c) => c.name);
  const header = [
    'metric',
    'better',
    ...names,
    ...names.map((n, i) => (i === s.baseline ? `Δ ${n} (baseline)` : `Δ ${n}`)),
  ];
  return csvText([header, ...s.rows.map((r) => [r.key, r.better, ...r.values.map(String), ...r.deltas.map(String)])]);
}

export interface MetricsJson {
  baseline: string;
  checkpoints: { name: string; files: string[] }[];
  metrics: Record<
    string,
    { better: string; values: Record<string, number>; deltas: Record<string, number>; verdicts: Record<string, string> }
  >;
  not_comparable: string[];
}

export function metricsJson(s: CompareTable): MetricsJson {
  const names = s.checkpoints.map((c) => c.name);
  const byName = <T>(xs: T[]) => Object.fromEntries(xs.map((x, i) => [names[i], x]));
  return {
    baseline: names[s.baseline],
    checkpoints: s.checkpoints.map((c) => ({ name: c.name, files: c.files })),
    metrics: Object.fromEntries(
      s.rows.map((r) => [
        r.key,
        { better: r.better, values: byName(r.values), deltas: byName(r.deltas), verdicts: byName(r.verdicts) },
      ]),
    ),
    not_comparable: s.notComparable,
  };
}
