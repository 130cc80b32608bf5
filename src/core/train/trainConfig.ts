/** A resolved run configuration: plain data, with no Node import, so the worker protocol can carry it. */
export type LossKind = 'clip' | 'm2mix' | 'm3mix';
export type BestMetric = 'mean_R@1' | 'i2t.R@1' | 't2i.R@1' | 'i2t.R@5' | 't2i.R@5' | 'alignment' | 'uniformity' | 'ece';

export interface TrainConfig {
  name: string;
  /** Absolute paths. */
  train: string[];
  eval: string[];
  out: string;
  loss: LossKind;
  weights: { m2: number; v: number; l: number; vl: number };
  tau: number;
  tauM: number;
  beta: number;
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  warmup: number;
  seed: number;
  jointDim?: number;
  scaleMixupByEpoch: boolean;
  bestMetric: BestMetric;
  resume: boolean;
}
