/** A training run's curves as files: the eval metrics per epoch as CSV, everything as JSON. */
import type { DashboardSnapshot, EvalSeries } from '../../protocol/dashboard';
import { csvText } from '../csv';

/** Eval columns, in the dashboard's order, with the names they get in the files. */
const evalColumns: [keyof EvalSeries, string][] = [
  ['epoch', 'epoch'],
  ['uniformity', 'uniformity'],
  ['alignment', 'alignment'],
  ['hardNegativeI2t', 'hard_negative_alignment_i2t'],
  ['hardNegativeT2i', 'hard_negative_alignment_t2i'],
  ['modalityGap', 'modality_gap'],
  ['r1I2t', 'i2t_R@1'],
  ['r1T2i', 't2i_R@1'],
];

/** One row per evaluated epoch (0: before training). */
export function runEvalsCsv(s: DashboardSnapshot): string {
  return csvText([evalColumns.map(([, name]) => name), ...s.evals.epoch.map((_, i) => evalColumns.map(([key]) => String(s.evals[key][i])))]);
}

/** The run's state, its eval metrics per epoch and its per-step series (every `stride`-th step). */
export function runJson(s: DashboardSnapshot): string {
  const evals = s.evals.epoch.map((_, i) => Object.fromEntries(evalColumns.map(([key, name]) => [name, s.evals[key][i]])));
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
