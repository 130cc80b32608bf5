/** Read + analyse, the one job the CLI, the worker and the benchmark all run. */
import type { CancelToken, ProgressFn } from '../util/cancel';
import type { Checkpoint } from '../readers/checkpoint';
import * as tf from '@tensorflow/tfjs-core';
import { analyze } from '../metrics/analyze';
import { analyzeOnDevice } from '../metrics/deviceReduce';
import type { AnalysisDetail, AnalysisResult } from '../metrics/types';
import { readCheckpoint } from '../readers';
import type { AnalyzeFilesSettings } from './analyzeSettings';
import { attachZeroShot } from '../classification/attachZeroShot';
import type { ZeroShotAnalysis } from '../classification/types';

export type { AnalyzeFilesSettings };


export interface AnalyzedCheckpoint {
  checkpoint: Checkpoint;
  result: AnalysisResult;
  detail: AnalysisDetail;
  seconds: number;
  /** Present when the file also holds labels and class embeddings (also in result.zero_shot). */
  zeroShot?: ZeroShotAnalysis;
}

/**
 * The sample when sampled mode starts by itself: 20,000 pairs put the uniformity estimates' standard
 * errors near 0.01 on CLIP-like data, and ECE then softmaxes 20,000 queries instead of N.
 */
export const defaultSamplePairs = 20_000;

/** Reads a checkpoint with an analysis's array names and memory budget. */
export function readWithSettings(files: string[], settings: AnalyzeFilesSettings, token?: CancelToken, onProgress?: ProgressFn): Promise<Checkpoint> {
  const { imageKeys, textKeys, memoryBudgetMB } = settings;
  return readCheckpoint(files, { imageKeys, textKeys, memoryBudgetBytes: memoryBudgetMB * 1024 * 1024, token, onProgress });
}

/** Backends whose data lives on a device: they take the device-reduced pass, not the JS-accumulated one. */
const gpuBackends = new Set(['webgpu', 'tensorflow']);

/** Reading takes the first tenth of the progress bar, the blocked pass the rest. */
const readShare = 0.1;

export async function analyzeFiles(
  files: string[],
  settings: AnalyzeFilesSettings,
  token?: CancelToken,
  onProgress?: ProgressFn,
): Promise<AnalyzedCheckpoint> {
  const start = performance.now();
  const memoryBudgetBytes = settings.memoryBudgetMB * 1024 * 1024;
  const checkpoint = await readWithSettings(files, settings, token, (f, m) => onProgress?.(f * readShare, m ?? 'reading'));
  const finish = async (retrieval: AnalyzedCheckpoint): Promise<AnalyzedCheckpoint> => {
    const analyzed = await attachZeroShot(retrieval, files, settings, token);
    return { ...analyzed, seconds: (performance.now() - start) / 1000 };
  };
  const options = {
    uniformityT: settings.uniformityT,
    ks: settings.ks,
    eceTau: settings.eceTau,
    memoryBudgetBytes,
    token,
    onProgress: (f: number, m?: string) => onProgress?.(readShare + f * (1 - readShare), m),
  };
  if (gpuBackends.has(tf.getBackend())) {
    // Exact on the device: a GPU runs 100,000 pairs in seconds, so it never needs sampled mode.
    const { result, detail, notes } = await analyzeOnDevice(checkpoint, options);
    checkpoint.warnings.push(...notes);
    return finish({ checkpoint, result, detail, seconds: 0 });
  }
  const { result, detail } = await analyze(checkpoint, {
    ...options,
    samplePairs:
      settings.samplePairs ?? (checkpoint.text.rows > (settings.sampleAbovePairs ?? Infinity) ? defaultSamplePairs : undefined),
  });
  return finish({ checkpoint, result, detail, seconds: 0 });
}
