/**
 * A logit-scaled accuracy axis (Taori et al. 2020): positions are logit(p), labels are accuracies
 * in percent. ECharts has no logit axis, so the chart plots logits on a value axis and places its
 * ticks and grid lines at chosen accuracies (customValues) instead of at round logits.
 */
import { logitOfPercent } from '../../../src/core/classification/robustness';

const coarse = [0.1, 1, 5, 10, 20, 30, 50, 70, 80, 90, 95, 99, 99.9];
const every = (step: number) => Array.from({ length: Math.round(100 / step) - 1 }, (_, i) => step * (i + 1));
/** Candidate tick sets, coarsest first: the densest with at most maxTicks in range is used (the coarsest always fits: logit spreads it evenly). */
const tiers = [coarse, ...[10, 5, 1].map((step) => [...new Set([...coarse, ...every(step)])].sort((a, b) => a - b))];
const maxTicks = 9;

export function percentOfLogit(x: number): number {
  return 100 / (1 + Math.exp(-x));
}

export interface LogitScale {
  /** The axis extent in logits. */
  min: number;
  max: number;
  /** Tick positions (logits), at accuracies a reader knows: 50%, 90%, 99%... */
  ticks: number[];
}

/** One extent and tick set for both axes, so that y = x runs corner to corner at 45°. */
export function logitScale(percents: number[]): LogitScale {
  const logits = percents.filter(Number.isFinite).map(logitOfPercent);
  const lo = logits.length ? Math.min(...logits) : logitOfPercent(10);
  const hi = logits.length ? Math.max(...logits) : logitOfPercent(90);
  // A margin around the points for their labels, at least a quarter logit when they coincide.
  const pad = Math.max(0.25, 0.15 * (hi - lo));
  const [min, max] = [lo - pad, hi + pad];
  const inRange = (tier: number[]) => tier.map(logitOfPercent).filter((x) => x >= min && x <= max);
  let ticks = inRange(tiers[0]);
  for (const tier of tiers.slice(1)) {
    const denser = inRange(tier);
    if (denser.length <= maxTicks) ticks = denser;
  }
  return { min, max, ticks };
}

/** A tick's accuracy, with a decimal only near 0% or 100% where the logit axis spreads them apart. */
export function formatLogitTick(x: number): string {
  const p = percentOfLogit(x);
  return `${Number(p.toFixed(p < 1 || p > 99 ? 1 : 0))}%`;
}
