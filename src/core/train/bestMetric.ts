/** The eval metric that picks best.safetensors (config `bestMetric`). */
import type { SuiteResult } from '../classification/types';
import { analysisMetricBetter, zeroShotMetricBetter, type Better } from '../metrics/metricDirection';
import type { AnalysisResult } from '../metrics/types';
import type { BestMetric } from './config';

/** `suites`: the epoch's evalSuites results; id_top1 and ood_mean read the first. */
export function bestMetricValue(r: AnalysisResult, metric: BestMetric, suites: SuiteResult[] = []): number {
  switch (metric) {
    case 'id_top1':
      return suites[0]?.inDistribution.result.top1 ?? NaN;
    case 'ood_mean':
      return suites[0]?.ood_mean ?? NaN;
    case 'mean_R@1':
      return (r.i2t['R@1'] + r.t2i['R@1']) / 2;
    case 'i2t.R@1':
      return r.i2t['R@1'];
    case 't2i.R@1':
      return r.t2i['R@1'];
    case 'i2t.R@5':
      return r.i2t['R@5'];
    case 't2i.R@5':
      return r.t2i['R@5'];
    case 'alignment':
      return r.alignment;
    case 'uniformity':
      return r.uniformity;
    case 'ece':
      return r.ece;
  }
}

/** A metric built from others (a mean of R@1s, of top-1s) improves the way they do. */
const bestMetricBetter: Record<BestMetric, Better> = {
  id_top1: zeroShotMetricBetter.top1,
  ood_mean: zeroShotMetricBetter.top1,
  'mean_R@1': analysisMetricBetter['i2t.R@1'],
  'i2t.R@1': analysisMetricBetter['i2t.R@1'],
  't2i.R@1': analysisMetricBetter['t2i.R@1'],
  'i2t.R@5': analysisMetricBetter['i2t.R@5'],
  't2i.R@5': analysisMetricBetter['t2i.R@5'],
  alignment: analysisMetricBetter.alignment,
  uniformity: analysisMetricBetter.uniformity,
  ece: analysisMetricBetter.ece,
};

/** Strictly better, so ties keep the earlier epoch. */
export function isBetter(metric: BestMetric, candidate: number, best: number | undefined): boolean {
  if (best === undefined) return true;
  return bestMetricBetter[metric] === 'higher' ? candidate > best : candidate < best;
}
