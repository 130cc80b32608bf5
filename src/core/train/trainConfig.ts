/** A resolved run configuration: plain data, with no Node import, so the worker protocol can carry it. */
export type LossKind = 'clip' | 'm2mix' | 'm3mix';
/** id_top1 and ood_mean: of the first of `evalSuites`. */
export type BestMetric =
  | 'mean_R@1'
  | 'i2t.R@1'
  | 't2i.R@1'
  | 'i2t.R@5'
  | 't2i.R@5'
  | 'alignment'
  | 'uniformity'
  | 'ece'
  | 'id_top1'
  | 'ood_mean';
export type TrainEngine = 'tfjs' | 'torch';
/** Paths in it are absolute once the config is parsed (a pretrained tag stays a tag). */
export type ModelSpec =
  'heads' | { openClip: string; pretrained?: string } | { huggingFace: string } | { factory: string };
export type Precision = 'fp32' | 'bf16' | 'amp';
/** "auto", ranks per node, or CUDA device indices (one rank each). */
export type DevicesSpec = 'auto' | number | number[];

export interface TrainConfig {
  name: string;
  engine: TrainEngine;
  model: ModelSpec;
  /** Absolute paths: embedding files for heads, one CSV/TSV each for a full model. */
  train: string[];
  eval: string[];
  /** Absolute paths of zero-shot suites (*.suite.json or suite folders) measured every epoch through the heads (tfjs, or torch with "model": "heads"). */
  evalSuites: string[];
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
  /** The rest only matter to the torch engine. */
  imageColumn: string;
  captionColumn: string;
  freeze: string[];
  precision: Precision;
  workers: number;
  devices: DevicesSpec;
  nodes: { count: number; rendezvous?: string };
}
