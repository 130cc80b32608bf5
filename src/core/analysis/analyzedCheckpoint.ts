import type { ZeroShotAnalysis } from '../classification/types';
import type { AnalysisDetail, AnalysisResult } from '../metrics/types';
import type { Checkpoint } from '../readers/checkpoint';

/** One checkpoint read and analysed: what analyzeFiles() returns and the views are built from. */
export interface AnalyzedCheckpoint {
  checkpoint: Checkpoint;
  result: AnalysisResult;
  detail: AnalysisDetail;
  seconds: number;
  /** Present when the file also holds labels and class embeddings (also in result.zero_shot). */
  zeroShot?: ZeroShotAnalysis;
}
