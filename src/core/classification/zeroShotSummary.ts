/** Per-image ranks, argmaxes and confidences -> the METRICS.md figures and what the views draw. */
import { calibration } from '../metrics/reliability';
import type { ScorePassOutput } from './scorePass';
import type { ZeroShotAnalysis } from './types';

/** The JSON lists the most confused pairs only: a 1,000-class set can have ~10^5 distinct ones. */
export const confusedPairsShown = 20;

/** (true, predicted, count) of every wrong argmax, largest counts first, then by true and predicted class. */
export function confusedPairs(
  labels: Int32Array,
  argmax: Int32Array,
  classes: number,
  limit = confusedPairsShown,
): [number, number, number][] {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    if (argmax[i] === labels[i]) continue;
    const key = labels[i] * classes + argmax[i];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, limit)
    .map(([key, count]) => [Math.floor(key / classes), key % classes, count]);
}

export interface SummaryInput {
  labels: Int32Array;
  classes: number;
  pass: ScorePassOutput;
  tau: number;
  bins: number;
  classNames?: string[];
}

/** Percentages throughout; a class without images has accuracy NaN (null in JSON) and no part in `balanced`. */
export function summarizeZeroShot({ labels, classes, pass, tau, bins, classNames }: SummaryInput): ZeroShotAnalysis {
  const n = labels.length;
  const hits = new Float64Array(classes);
  const count = new Array<number>(classes).fill(0);
  let top1 = 0;
  let top5 = 0;
  const correct = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    count[labels[i]]++;
    if (pass.rank[i] < 1) {
      top1++;
      hits[labels[i]]++;
    }
    if (pass.rank[i] < 5) top5++;
    correct[i] = pass.argmax[i] === labels[i] ? 1 : 0;
  }
  const perClass = Array.from({ length: classes }, (_, c) => (count[c] ? (100 * hits[c]) / count[c] : NaN));
  const present = perClass.filter((a) => !Number.isNaN(a));
  const { ece, reliability } = calibration(pass.confidence, correct, bins);
  return {
    result: {
      n,
      classes,
      top1: (100 * top1) / n,
      top5: (100 * top5) / n,
      balanced: present.reduce((s, a) => s + a, 0) / present.length,
      ece,
      ece_tau: tau,
      per_class: perClass,
      confused: confusedPairs(labels, pass.argmax, classes),
    },
    detail: { classNames, perClassCount: count, reliability },
  };
}
