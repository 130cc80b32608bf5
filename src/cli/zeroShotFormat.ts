/** The readable tables of zero-shot classification, suites and the robustness comparison. */
import type { RobustnessPoint } from '../core/classification/robustness';
import type { SuiteResult, ZeroShotAnalysis, ZeroShotResult } from '../core/classification/types';

/** How many of the lowest per-class accuracies the table lists. */
export const worstClassesShown = 5;

const percent = (v: number) => v.toFixed(2).padStart(6);

function className(names: string[] | undefined, c: number): string {
  return names ? `${c} ${names[c]}` : `class ${c}`;
}

/** Top-1/top-5/balanced/ECE and the worst classes, indented to sit under a file's heading. */
export function formatZeroShot({ result: r, detail }: ZeroShotAnalysis): string {
  const out = [
    `  zero-shot classification: ${r.n} images, ${r.classes} classes`,
    `    top-1 ${percent(r.top1)} %   top-5 ${percent(r.top5)} %   balanced ${percent(r.balanced)} %   ECE ${r.ece.toFixed(4)} (τ = ${r.ece_tau})`,
  ];
  const worst = r.per_class
    .map((accuracy, c) => ({ accuracy, c }))
    .filter((x) => detail.perClassCount[x.c] > 0)
    .sort((a, b) => a.accuracy - b.accuracy || a.c - b.c)
    .slice(0, worstClassesShown);
  out.push(
    `    worst classes: ${worst.map((w) => `${className(detail.classNames, w.c)} ${w.accuracy.toFixed(1)} % (${detail.perClassCount[w.c]} images)`).join('; ')}`,
  );
  const [top] = r.confused;
  if (top)
    out.push(
      `    most confused: ${className(detail.classNames, top[0])} → ${className(detail.classNames, top[1])} (${top[2]} images)`,
    );
  return out.join('\n');
}

const setLine = (label: string, name: string, r: ZeroShotResult) =>
  `  ${label.padEnd(9)} ${name.padEnd(20)} ${percent(r.top1)} ${percent(r.top5)}  ${r.ece.toFixed(4)}   ${r.n} images`;

/** Each set's top-1/top-5/ECE and the mean top-1 over the shifted sets. */
export function formatSuite(s: SuiteResult, seconds: number, backend: string): string {
  return [
    `suite ${s.suite}: ${s.shifted.length + 1} sets of ${s.inDistribution.result.classes} classes (${seconds.toFixed(2)} s on ${backend})`,
    `  ${''.padEnd(9)} ${'set'.padEnd(20)}  top-1  top-5  ECE`,
    setLine('ID', s.inDistribution.name, s.inDistribution.result),
    ...s.shifted.map((set) => setLine('shifted', set.name, set.result)),
    `  ood_mean (mean shifted top-1): ${s.ood_mean.toFixed(2)} %`,
  ].join('\n');
}

/** Per checkpoint, its point on the robustness plot and its distance to y = x in logit units. */
export function formatRobustness(points: RobustnessPoint[]): string {
  const header = ['checkpoint', 'ID top-1', 'ood_mean', 'logit(ID)', 'logit(OOD)', 'gap to y=x'];
  const rows = points.map((p) => [
    p.name,
    p.id_top1.toFixed(2),
    p.ood_mean.toFixed(2),
    p.logit_id.toFixed(3),
    p.logit_ood.toFixed(3),
    `${p.gap_to_diagonal >= 0 ? '+' : ''}${p.gap_to_diagonal.toFixed(3)}`,
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (r: string[]) => r.map((c, k) => (k ? c.padStart(widths[k]) : c.padEnd(widths[k]))).join('  ');
  return [
    'robustness (Taori et al. 2020): x = logit(ID top-1), y = logit(mean shifted top-1); gap = y - x, above y = x is more robust',
    line(header),
    ...rows.map(line),
  ].join('\n');
}
