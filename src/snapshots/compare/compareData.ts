/**
 * Checkpoints analysed for a comparison, reduced in the worker to what the host keeps: per-query
 * arrays (a million ranks and captions per checkpoint) never cross to the host.
 */
import type { CheckpointSummary, CompareData, RankChangeTables } from '../../protocol/comparePanel';
import { samePairs } from './comparability';
import { sharedHistograms } from './histograms';
import { rankChanges, type RankedCheckpoint } from './rankChanges';

const histogramBins = 60;

export type AnalyzedForCompare = CheckpointSummary &
  RankedCheckpoint & {
    positive: Float32Array;
    /** Image → text. */
    hardestNegative: Float32Array;
  };

/** Every baseline's rank changes, so choosing another baseline in the view computes nothing. */
function rankChangesPerBaseline(checkpoints: RankedCheckpoint[]): RankChangeTables[] {
  return checkpoints.map((_, baseline) => ({
    i2t: rankChanges(checkpoints, baseline, 'i2t'),
    t2i: rankChanges(checkpoints, baseline, 't2i'),
  }));
}

export function compareDataOf(analyzed: AnalyzedForCompare[], backend: string, seconds: number): CompareData {
  return {
    checkpoints: analyzed.map(({ name, files, result, seconds: s, warnings }) => ({
      name,
      files,
      result,
      seconds: s,
      warnings,
    })),
    histograms: sharedHistograms(
      analyzed.map((a) => a.positive),
      analyzed.map((a) => a.hardestNegative),
      histogramBins,
    ),
    rankChanges: samePairs(analyzed.map((a) => a.result)) ? rankChangesPerBaseline(analyzed) : undefined,
    backend,
    seconds,
  };
}
