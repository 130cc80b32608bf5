import type { ZeroShotAnalysis } from '../classification/types';
import type { AnalysisDetail, AnalysisResult } from '../metrics/types';
import type { Checkpoint } from '../readers/checkpoint';

/** One checkpoint read and analysed: what analyzeFiles() returns and the views are built from. */
export interface AnalyzedCheckpoint {
  checkpoint: Checkpoint;
  result: AnalysisResult;
  detail: AnalysisDetail;
  seconds: number;
  /** Who ran the metric pass when another engine did ("torch cuda:0"); absent: this process's tfjs backend. */
  engine?: string;
  /** Present when the file also holds labels and class embeddings (also in result.zero_shot). */
  zeroShot?: ZeroShotAnalysis;
}
