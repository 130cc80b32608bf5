import type { TemperatureSweep } from '../calibration/temperatureSweep';
import type { ZeroShotAnalysis } from '../classification/types';
import type { AnalysisDetail, AnalysisResult } from '../metrics/types';
import type { Checkpoint } from '../readers/checkpoint';
import type { ViewPairs } from './viewPairs';

/** What the views name of the input besides its metrics (a Checkpoint read whole is one). */
export type CheckpointInfo = Pick<Checkpoint, 'files' | 'warnings' | 'metadata' | 'captions'>;

/**
 * The rows the views draw from: the checkpoint read whole (tfjs), or the pairs the torch engine
 * drew for the views and its ECE-against-temperature sweep, so that nothing reads the file again.
 */
export type AnalyzedRows =
  | { kind: 'checkpoint'; checkpoint: Checkpoint }
  | { kind: 'drawn pairs'; pairs: ViewPairs; temperature: TemperatureSweep };

/** One checkpoint read and analysed: what analyzeFiles() returns and the views are built from. */
export interface AnalyzedCheckpoint {
  checkpoint: CheckpointInfo;
  rows: AnalyzedRows;
  result: AnalysisResult;
  detail: AnalysisDetail;
  seconds: number;
  /** Who ran the metric pass when another engine did ("torch cuda:0"); absent: this process's tfjs backend. */
  engine?: string;
  /** Present when the file also holds labels and class embeddings (also in result.zero_shot). */
  zeroShot?: ZeroShotAnalysis;
}

/** A checkpoint read whole and its analysis, as analyzeFiles() returns them (before zero-shot joins). */
export function analyzedFromCheckpoint(
  checkpoint: Checkpoint,
  result: AnalysisResult,
  detail: AnalysisDetail,
  seconds = 0,
): AnalyzedCheckpoint {
  return { checkpoint, rows: { kind: 'checkpoint', checkpoint }, result, detail, seconds };
}
