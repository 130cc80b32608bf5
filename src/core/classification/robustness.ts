/** The robustness plot of Taori et al. 2020: in-distribution top-1 against mean shifted top-1, on logit axes. */
import type { SuiteResult } from './types';

/** Accuracies of exactly 0 or 100% would sit at -/+ infinity on the plot. */
export const logitClamp = 1e-6;

/** ln(p / (1 - p)) of an accuracy in percent, p clamped to [1e-6, 1 - 1e-6]. */
export function logitOfPercent(percent: number): number {
  const p = Math.min(1 - logitClamp, Math.max(logitClamp, percent / 100));
  return Math.log(p / (1 - p));
}

export interface RobustnessPoint {
  name: string;
  id_top1: number;
  ood_mean: number;
  logit_id: number;
  logit_ood: number;
  /** logit(ood_mean) - logit(ID top-1): how far the point sits above (+) or below (-) y = x on the plot. */
  gap_to_diagonal: number;
}

export function robustnessPoint(name: string, suite: SuiteResult): RobustnessPoint {
  const logitId = logitOfPercent(suite.inDistribution.result.top1);
  const logitOod = logitOfPercent(suite.ood_mean);
  return {
    name,
    id_top1: suite.inDistribution.result.top1,
    ood_mean: suite.ood_mean,
    logit_id: logitId,
    logit_ood: logitOod,
    gap_to_diagonal: logitOod - logitId,
  };
}
