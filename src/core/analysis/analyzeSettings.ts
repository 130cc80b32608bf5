/** The settings of one analysis; types only, so the webview's protocol can share them. */
export interface AnalyzeFilesSettings {
  uniformityT: number;
  ks: number[];
  eceTau: number;
  memoryBudgetMB: number;
  imageKeys: string[];
  textKeys: string[];
  /** Sampled mode above this many pairs (embeddingLens.sampleAbovePairs); absent: never automatically. */
  sampleAbovePairs?: number;
  /** Sampled mode with this many pairs, whatever N (the CLI's --sample). */
  samplePairs?: number;
}
