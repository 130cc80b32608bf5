/**
 * The contract of the metric pass: what analyze() reports (AnalysisResult, AnalysisDetail), its
 * options, and what either pass (blockedPass.ts on wasm/cpu, devicePass.ts on a GPU) takes and gives
 * back (MetricPassInput, MetricPassResult, one DirectionStatistics per retrieval direction).
 */
import type { CancelToken, ProgressFn } from '../util/cancel';
import type { ZeroShotResult } from '../classification/types';
import type { ReliabilityBin } from './reliability';
import type { Pairing } from './textToImagePairing';

export type { ReliabilityBin };

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

/** What analyze() returns. */
export interface MetricAnalysis {
  result: AnalysisResult;
  detail: AnalysisDetail;
  /** What the user should know about how the pass ran (device out-of-memory retries). */
  notes: string[];
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
  /** Device pass only: caps the adapter's binding limit (bytes), to exercise the tiling on a small budget. */
  maxBindingBytes?: number;
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

/**
 * One retrieval direction's per-query statistics (i2t: image queries against texts; t2i: text
 * queries against images), as a pass hands them to summary.ts.
 */
export interface DirectionStatistics {
  /** Similarity of the true pair, per text, as this direction's products saw it. */
  positive: Float32Array;
  /** Per query: similarity of its hardest negative (i2t: every caption of the image excluded). */
  hardestNegative: Float32Array;
  /** Per query: 0-based rank of its true match (i2t: of the image's best caption). */
  rank: Int32Array;
  /** Softmax confidence max_j p_qj and whether its argmax is a true match, per entry of `eceQueries`. */
  confidence: Float64Array;
  correct: Uint8Array;
  /** The queries whose confidence was computed: every query, or sampled mode's sample. */
  eceQueries: Int32Array;
}

/** What a metric pass measures: unit rows of both modalities, which text belongs to which image, and the options. */
export interface MetricPassInput {
  /** Unit-length image rows (ni x dim) and text rows (nt x dim); shared memory, so block workers read them in place. */
  x: Float32Array;
  y: Float32Array;
  ni: number;
  nt: number;
  dim: number;
  pairing: Pairing;
  /** Norms of the rows before they were made unit-length (reported as input_norms). */
  norms: { image: NormStats; text: NormStats };
  options: AnalyzeOptions;
  /** Sampled mode: skip uniformity, and compute softmax confidences only for these queries. */
  eceImages?: Int32Array;
  eceTexts?: Int32Array;
}

/** What a metric pass measured, before summary.ts turns it into the reported figures. */
export interface MetricPassResult {
  /** i2t.positive is the similarity behind alignment and both hardest-negative alignments. */
  i2t: DirectionStatistics;
  t2i: DirectionStatistics;
  /** Sums of exp(-t ||a - b||^2) over pairs i < j within images, within texts, and over all cross pairs (0 when sampled). */
  expSum: { image: number; text: number; cross: number };
  /** || mean x - mean y || of the unit rows. */
  modalityGap: number;
  /** What the user should know about how the pass ran (device out-of-memory retries). */
  notes: string[];
}
