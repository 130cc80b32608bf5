import type { CancelToken, ProgressFn } from '../util/cancel';
import type { ZeroShotResult } from '../classification/types';

export interface RetrievalStats {
  'R@1': number;
  'R@5': number;
  'R@10': number;
  median_rank: number;
  mean_rank: number;
  /** Further R@K from the `ks` option, keyed `R@K`. */
  [key: string]: number;
}

export interface NormStats {
  min: number;
  mean: number;
  max: number;
}

/**
 * The analyze JSON. The first block of keys and their nesting are exactly those of
 * shared/data/*.reference.json; the rest are additions.
 */
export interface AnalysisResult {
  n: number;
  dim: number;
  uniformity: number;
  uniformity_image: number;
  uniformity_text: number;
  alignment: number;
  hardest_negative_alignment_i2t: number;
  hardest_negative_alignment_t2i: number;
  modality_gap: number;
  i2t: RetrievalStats;
  t2i: RetrievalStats;
  /** ECE of image queries (softmax over texts), the METRICS.md definition. */
  ece: number;
  /** ECE of text queries (softmax over images). */
  ece_t2i: number;
  ece_tau: number;
  uniformity_t: number;
  n_image: number;
  n_text: number;
  input_norms: { image: NormStats; text: NormStats };
  /** Zero-shot classification, when the file also holds labels and class embeddings (see classification/types.ts). */
  zero_shot?: ZeroShotResult;
  /** Keys whose values are estimates from a sample, with their standard errors. */
  estimates?: Record<string, { standard_error: number; sample_pairs: number }>;
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  confidence: number;
  accuracy: number;
}

/** Per-pair arrays and curves the views draw; not part of the JSON. */
export interface AnalysisDetail {
  /** Cosine similarity of each pair (per text for multi-caption sets). */
  positive: Float32Array;
  /** Similarity of each image query's hardest negative text. */
  hardestNegativeI2T: Float32Array;
  /** Similarity of each text query's hardest negative image. */
  hardestNegativeT2I: Float32Array;
  /** 0-based rank of the true match, per image query and per text query. */
  ranksI2T: Int32Array;
  ranksT2I: Int32Array;
  reliability: ReliabilityBin[];
}

export interface AnalyzeOptions {
  /** t of the uniformity kernel exp(-t ||a-b||^2). */
  uniformityT: number;
  /** Ks of R@K; 1, 5 and 10 are always reported. */
  ks: number[];
  /** tau of the ECE softmax. */
  eceTau: number;
  eceBins: number;
  /** Bytes the blocked pass may hold at once; sets the block size. */
  memoryBudgetBytes: number;
  /**
   * Sampled mode: estimate the three uniformities from this many random point pairs each, and both
   * ECEs from this many random queries (at most N); retrieval and alignment stay exact.
   */
  samplePairs?: number;
  sampleSeed: number;
  /** Block runners; default one per core on wasm/cpu (see blockedPass.ts). */
  workers?: number;
  token?: CancelToken;
  onProgress?: ProgressFn;
}

export const defaultAnalyzeOptions: AnalyzeOptions = {
  uniformityT: 2,
  ks: [1, 5, 10],
  eceTau: 0.01,
  eceBins: 15,
  memoryBudgetBytes: 512 * 1024 * 1024,
  sampleSeed: 1,
};
