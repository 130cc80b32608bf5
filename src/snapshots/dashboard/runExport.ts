/** A training run's curves as files: the eval metrics per epoch as CSV, everything as JSON. */
import type { DashboardSnapshot, EvalSeries } from '../../protocol/dashboard';
import { csvText } from '../../core/util/csv';

/** Eval columns, in the dashboard's order, with the names they get in the files. */
const evalColumns: [Exclude<keyof EvalSeries, 'suites'>, string][] = [
  ['epoch', 'epoch'],
  ['uniformity', 'uniformity'],
  ['alignment', 'alignment'],
  ['hardestNegativeAlignmentI2t', 'hard_negative_alignment_i2t'],
  ['hardestNegativeAlignmentT2i', 'hard_negative_alignment_t2i'],
  ['modalityGap', 'modality_gap'],
  ['r1I2t', 'i2t_R@1'],
  ['r1T2i', 't2i_R@1'],
];

/** The eval suites' columns: each suite's in-distribution top-1 and mean shifted top-1. */
function suiteColumns(s: DashboardSnapshot): [string, (number | null)[]][] {
  return (s.evals.suites ?? []).flatMap((suite): [string, (number | null)[]][] => [
    [`${suite.name}_id_top1`, suite.idTop1],
    [`${suite.name}_ood_mean`, suite.oodMean],
  ]);
}

/** One row per evaluated epoch (0: before training). */
export function runEvalsCsv(s: DashboardSnapshot): string {
  const suites = suiteColumns(s);
  const header = [...evalColumns.map(([, name]) => name), ...suites.map(([name]) => name)];
  const row = (i: number) => [
    ...evalColumns.map(([key]) => String(s.evals[key][i])),
    ...suites.map(([, values]) => String(values[i] ?? '')),
  ];
  return csvText([header, ...s.evals.epoch.map((_, i) => row(i))]);
}

/** The run's state, its eval metrics per epoch and its per-step series (every `stride`-th step). */
export function runJson(s: DashboardSnapshot): string {
  const suites = suiteColumns(s);
  const evals = s.evals.epoch.map((_, i) =>
    Object.fromEntries([
      ...evalColumns.map(([key, name]) => [name, s.evals[key][i]]),
      ...suites.map(([name, values]) => [name, values[i]]),
    ]),
  );
  const { stride, step, lr, loss, components } = s.steps;
  const run = {
    name: s.name,
    config: s.configFile,
    run_dir: s.runDir,
    status: s.status,
    message: s.message,
    step: s.step,
    total_steps: s.totalSteps,
    best_epoch: s.bestEpoch,
    best_checkpoint: s.bestCheckpoint,
    evals,
    steps: { stride, step, lr, loss, components },
  };
  return JSON.stringify(run, null, 1) + '\n';
}
